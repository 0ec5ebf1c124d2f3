"""``analyze --no-report``: the tables without figures or HTML, and no plotting library loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

SAMPLES = Path(__file__).resolve().parents[2] / "sample_recordings"

SCRIPT = """
import sys
from glutesense.cli.main import main
rc = main(["analyze", sys.argv[1], "--protocol", "bridge", "--out", sys.argv[2]] + sys.argv[3:])
print(rc, "matplotlib" in sys.modules)
"""


def _run(out: Path, *extra: str) -> tuple[str, str]:
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(SAMPLES / "bridge_glute_late.gses"), str(out), *extra],
        capture_output=True, text=True, check=True,
    )
    return res.stdout.strip().splitlines()[-1], res.stdout


def test_no_report_writes_the_same_tables_without_figures(tmp_path: Path) -> None:
    last, out = _run(tmp_path / "tables", "--no-report")
    assert last == "0 False"  # exit 0, matplotlib never imported
    assert "tables in" in out
    names = sorted(p.name for p in (tmp_path / "tables").iterdir())
    assert names == ["onsets.csv", "reps.csv", "summary.json"]
    last, _ = _run(tmp_path / "full")
    assert last == "0 True"
    assert (tmp_path / "full" / "report.html").exists()
    for name in ("reps.csv", "onsets.csv"):
        tables, full = (pd.read_csv(tmp_path / d / name) for d in ("tables", "full"))
        pd.testing.assert_frame_equal(tables, full)
    a = json.loads((tmp_path / "tables" / "summary.json").read_text())
    b = json.loads((tmp_path / "full" / "summary.json").read_text())
    assert a == b
