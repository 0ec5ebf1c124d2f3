"""``glutesense train`` end to end through the bleak seam, in virtual time, with its report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
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


@pytest.mark.slow
def test_trend_over_training_sessions_shows_the_person_getting_better(tmp_path: Path) -> None:
    """Session 1 of a glute-late, tiring virtual person, then its 5th (progress.py: the glute now
    leads and tires less): ``trend`` writes the training rows and a section of trend.html."""
    for n in (1, 5):
        r = _cli(
            "train", "--exercise", "hip-thrust", "--device", "sim", "--speed", "inf", "--reps", "6",
            "--full-set", "--sim-session", str(n), "--sim-pattern", "glute-late", "--sim-fatigue-pct", "25",
            "--no-report", "--out", f"w{n}.gses", cwd=tmp_path,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
    r = _cli("trend", "w1.gses", "w5.gses", "--out", "tr", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = pd.read_csv(tmp_path / "tr" / "training_trend.csv")
    assert list(rows["session"]) == ["w1", "w5"] and set(rows["exercise"]) == {"hip-thrust"}
    first, last = rows.iloc[0], rows.iloc[1]
    assert first["glute_first_share"] == 0.0 and last["glute_first_share"] == 1.0  # lag +120 -> -40 ms
    assert first["mdf_drop_pct"] > last["mdf_drop_pct"] > 0  # true falls 25 % and 25 * 0.85^4 = 13 %
    html = (tmp_path / "tr" / "trend.html").read_text(encoding="utf-8")
    assert "Training over time" in html and "hip-thrust, w1 -&gt; w5 (2 sessions)" in html
    assert "glute first in 0 % -&gt; 100 % of reps" in html
    assert (tmp_path / "tr" / "figures" / "trend_training.png").read_bytes()[:4] == b"\x89PNG"
