"""``glutesense train`` end to end through the bleak seam, in virtual time, with its report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glutesense as gs
from glutesense.analysis.fatigue import trend
from glutesense.virtual.truth import truth_in_session_time


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "glutesense", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


@pytest.mark.slow
def test_train_hip_thrust_sim_runs_end_to_end_and_writes_a_report(tmp_path: Path) -> None:
    r = _cli(
        "train",
        "--exercise",
        "hip-thrust",
        "--device",
        "sim",
        "--speed",
        "inf",
        "--sim-pattern",
        "glute-first",
        "--sim-fatigue-pct",
        "20",
        "--full-set",
        "--out",
        "thrust.gses",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("rep ") >= 12 and "that's the burn" in r.stdout
    report = tmp_path / "thrust_report"
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "Training set: activation and fatigue" in html and "De Luca 1984" in html
    doc = json.loads((report / "training.json").read_text(encoding="utf-8"))
    assert doc["n_reps"] == 12 and doc["glutes"]["tired"] and doc["training"]["exercise"] == "hip-thrust"
    assert doc["glute_first_reps"] == 12
    rec = gs.read(tmp_path / "thrust.gses")
    truth = truth_in_session_time(rec)
    assert truth is not None
    by_rep: dict[int, list[float]] = {}
    for x in truth["fatigue"]["reps"]:
        for role in ("glute_max_l", "glute_max_r"):
            if x["rep"] >= 1 and role in x["muscles"]:
                by_rep.setdefault(x["rep"], []).append(x["muscles"][role]["mdf_hz"])
    true = trend(np.array([np.mean(by_rep[k]) for k in sorted(by_rep)]))
    got = doc["glutes"]["mdf_hz"]
    assert true is not None
    assert got["ci95_per_rep"][0] <= true.slope <= got["ci95_per_rep"][1]
    assert got["slope_per_rep"] == pytest.approx(true.slope, rel=0.2)
    # the standard analysis reads the thrusts as bridge reps: glute first every rep
    reps = (report / "reps.csv").read_text(encoding="utf-8")
    assert reps.count("glute_first") >= 12


def test_train_stops_when_tired_and_refuses_bad_input(tmp_path: Path) -> None:
    r = _cli(
        "train", "--exercise", "hip-thrust", "--device", "sim", "--reps", "2", "--hold-s", "0.2", cwd=tmp_path
    )
    assert r.returncode == 2 and "hold" in r.stderr and "Traceback" not in r.stderr
    r = _cli("train", "--exercise", "squeeze", "--device", "sim", "--target", "500", cwd=tmp_path)
    assert r.returncode == 2 and "--target" in r.stderr
