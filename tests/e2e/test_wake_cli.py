"""``glutesense wake`` over a simulated 2-hour sit in virtual time: the day's log counts every break."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from glutesense.analysis.breaks import check_break
from glutesense.model.roles import Role


def test_wake_counts_answered_and_ignored_prompts_exactly(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "glutesense",
            "wake",
            "--device",
            "sim",
            "--every",
            "25m",
            "--for",
            "2h",
            "--speed",
            "inf",
            "--sim-answer-share",
            "0.5",
            "--sim-seed",
            "3",
            "--log",
            "day.json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "day.json").read_text(encoding="utf-8"))
    breaks = doc["breaks"]
    assert [b["prompt_s"] for b in breaks] == [1500.0, 3000.0, 4500.0, 6000.0]  # every 25 min in 2 h
    answered = [b["sim_truth"]["answered"] for b in breaks]
    assert 0 < sum(answered) < len(answered)  # this person answers some prompts and ignores others
    for b, a in zip(breaks, answered, strict=True):
        assert b["status"] == ("verified" if a else "missed")
        if a:
            assert 500.0 < b["latency_ms"] < 3500.0  # the virtual person stands and squeezes 0.8-3 s after
    s = doc["summary"]
    assert s == {
        "prompts": 4,
        "breaks_taken": sum(answered),
        "breaks_verified": sum(answered),
        "missed": 4 - sum(answered),
        "no_sensor": 0,
        "slept": 0,
    }
    assert r.stdout.count("\a") == 4 and f"{sum(answered)} verified" in r.stdout


def test_a_weak_or_short_squeeze_is_taken_but_not_verified() -> None:
    fs = 1000.0
    rng = np.random.default_rng(0)
    n = int(20 * fs)
    x = 4.0 * rng.standard_normal(n)
    on, off = int(5.8 * fs), int(6.8 * fs)  # 1 s squeeze: taken, not held for 2 s
    x[on:off] += 60.0 * rng.standard_normal(off - on)
    got = check_break({Role.GLUTE_MAX_L: (x, fs, 0.0)}, 5.0, (1.0, 4.8))
    assert got.taken and not got.verified
    assert abs(got.latency_s - 0.8) < 0.1
    quiet = check_break({Role.GLUTE_MAX_L: (4.0 * rng.standard_normal(n), fs, 0.0)}, 5.0, (1.0, 4.8))
    assert not quiet.taken and quiet.latency_s is None
