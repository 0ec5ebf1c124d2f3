"""The notebooks' code cells run against the current package."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest
from support.paths import ROOT


@pytest.mark.parametrize("nb_path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_runs(nb_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    matplotlib.use("Agg")
    monkeypatch.chdir(ROOT)
    nb = json.loads(nb_path.read_text())
    scope: dict[str, object] = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            exec(compile(source, f"{nb_path.name}", "exec"), scope)
    assert "result" in scope
