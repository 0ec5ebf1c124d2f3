"""docs/guide.md runs as written: every block, in order, in one empty folder (the virtual sensor in
place of a real one), each command exiting 0 and leaving the files the guide says it leaves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"


def blocks() -> list[tuple[str, str]]:
    return re.findall(r"```(\w+)\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def commands(body: str) -> list[str]:
    """Shell lines of a block, comments dropped; installs are what the test environment already did."""
    lines = [line.split("#")[0].strip() for line in body.strip().splitlines()]
    return [c for c in lines if c and not c.startswith("pip ")]


@pytest.mark.slow
def test_the_guide_runs_as_written(tmp_path: Path) -> None:
    found = blocks()
    assert {lang for lang, _ in found} == {"bash", "python"}
    bin_dir = Path(sys.executable).parent
    env_path = f"{bin_dir}:{__import__('os').environ.get('PATH', '')}"
    for lang, body in found:
        if lang == "bash":
            for cmd in commands(body):
                r = subprocess.run(cmd, shell=True, cwd=tmp_path, capture_output=True, text=True,
                                   env={"PATH": env_path, "MPLBACKEND": "Agg", "HOME": str(tmp_path)})
                assert r.returncode == 0, (cmd, r.stderr[-2000:])
        else:
            r = subprocess.run([sys.executable, "-c", body], cwd=tmp_path, capture_output=True, text=True)
            assert r.returncode == 0, r.stderr[-2000:]
            assert "glute_lag_ms" in r.stdout
    for out in ("s01_report", "s01_sls_report", "s01_csv_report", "s01_py_report"):
        assert (tmp_path / out / "report.html").is_file(), out
        assert (tmp_path / out / "reps.csv").is_file(), out
    assert (tmp_path / "bids" / "dataset_description.json").is_file()
    season = pd.read_csv(tmp_path / "season" / "reps.csv")
    assert set(season["recording"]) == {"s01.gses", "s01_week2.gses"}
    assert (season["rep"] <= 3).all() and len(season) == 12  # 3 reps x 2 sides x 2 sessions
    assert (tmp_path / "s01_trend" / "trend.csv").is_file()
