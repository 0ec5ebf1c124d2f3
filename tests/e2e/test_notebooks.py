"""The notebooks run the way users run them: ``jupyter nbconvert --execute`` from another folder.

Two working folders per notebook: an empty temporary one (the notebook path given absolute) and the
repository root (the path given relative, as the README's readers type it).  nbconvert runs the kernel
in the notebook's own folder, so a notebook that finds its files only from the repository root fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _execute(nb_path: str, cwd: Path, out_dir: Path) -> dict[str, object]:
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.timeout=600",
        "--output-dir",
        str(out_dir),
        nb_path,
    ]
    r = subprocess.run(
        cmd,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**__import__("os").environ, "MPLBACKEND": "Agg"},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    out = out_dir / Path(nb_path).name
    nb: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return nb


def _errors(nb: dict[str, object]) -> list[str]:
    cells = nb["cells"]
    assert isinstance(cells, list)
    return [
        o.get("ename", "") for c in cells for o in c.get("outputs", ()) if o.get("output_type") == "error"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_under_nbconvert_from_another_folder(nb_path: Path, tmp_path: Path) -> None:
    nb = _execute(str(nb_path), tmp_path, tmp_path / "out")
    assert not _errors(nb)
    cells = nb["cells"]
    assert isinstance(cells, list)
    ran = [c for c in cells if c["cell_type"] == "code"]
    assert ran and all(c["execution_count"] for c in ran)
    assert any(c["outputs"] for c in ran), "the executed notebook shows no output"


@pytest.mark.slow
def test_sample_notebook_runs_from_the_repository_root(tmp_path: Path) -> None:
    nb = _execute("notebooks/analyze_sample_session.ipynb", ROOT, tmp_path)
    assert not _errors(nb)
    text = json.dumps(nb["cells"])
    assert "glute error" in text  # the truth comparison printed its rows
