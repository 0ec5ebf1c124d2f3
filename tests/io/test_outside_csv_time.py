"""``glutesense analyze`` on CSVs whose time column is rounded or jittery, through the command line.

Issue 11: a 2 kHz bridge CSV whose ``time_s`` was written with six significant digits (``%.6g``:
past 100 s pairs of samples share one value) exited 2 with "column 'time_s' must hold increasing
numbers".  Here one motor-unit recording (``benchmarks/mu_sim.py``) with its reps past 100 s is
written with full-precision time, with ``%.6g`` time, and with a jittery clock (±20 % of a sample
period); each must analyse, say what it found in ``summary.json``'s notes, and give the onsets of
the full-precision file to within one sample.  The same for a ``%g`` 1 kHz file whose clock starts
at 990 s (past 1000 s ten samples share a value); and time going back by seconds still exits 2 with
one line naming the file and the column.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ONSETS = ["glute_onset_s", "hamstring_onset_s", "movement_onset_s"]
pytestmark = pytest.mark.slow


def _simulate(fs_hz: float, rest_s: float) -> object:
    mu_sim = importlib.import_module("mu_sim")
    with np.errstate(over="ignore"):  # the generator's accelerometer transient overflows to 0 far from it
        return mu_sim.simulate(mu_sim.MuSpec(fs_hz=fs_hz, snr_db=20.0, seed=6, n_reps=4, rest_s=rest_s))


def _write(rec: object, path: Path, times: np.ndarray, t0_s: float = 0.0) -> Path:
    """``rec`` as a CSV with the given (already formatted) time column and an events file beside it."""
    oc = importlib.import_module("outside_csv")
    oc.write_csv(rec, path, names="role", time_col="time_s", events=True)
    df = pd.read_csv(path)
    df["time_s"] = times
    df.to_csv(path, index=False, float_format="%.6g", na_rep="")
    ev_path = path.with_name(path.stem + "_events.tsv")
    ev = pd.read_csv(ev_path, sep="\t")
    ev["onset"] = ev["onset"] + t0_s
    ev.to_csv(ev_path, sep="\t", index=False)
    return path


def _analyze(csv_path: Path, out: Path) -> tuple[pd.DataFrame, list[str]]:
    cmd = [sys.executable, "-m", "glutesense", "analyze", str(csv_path), "--protocol", "bridge",
           "--out", str(out), "--no-report"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return pd.read_csv(out / "reps.csv"), json.loads((out / "summary.json").read_text())["notes"]


def _same_onsets(got: pd.DataFrame, want: pd.DataFrame, fs_hz: float) -> None:
    assert list(got[["side", "rep"]].itertuples(index=False)) == list(
        want[["side", "rep"]].itertuples(index=False)
    )
    found = 0
    for col in ONSETS:
        assert (got[col].isna() == want[col].isna()).all(), col
        err = (got[col] - want[col]).abs().max()
        assert not err > 1.0 / fs_hz + 1e-9, f"{col}: differs by {err * 1e3:.2f} ms"
        found += int(want[col].notna().sum())
    assert found >= 16  # glute and hamstring onsets of the 8 reps at least


@pytest.fixture(scope="module")
def bridge_2khz(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path, pd.DataFrame]:
    rec = _simulate(2000.0, rest_s=95.0)  # reps from 95 s to 122 s
    d = tmp_path_factory.mktemp("full")
    n = rec.emg_uv.shape[1]  # type: ignore[attr-defined]
    assert n / 2000.0 > 120
    path = _write(rec, d / "full.csv", np.char.mod("%.9f", np.arange(n) / 2000.0))
    reps, notes = _analyze(path, d / "out")
    assert notes == [] or not any("time_s" in m for m in notes)
    return rec, d, reps


@pytest.mark.parametrize("kind", ["six_digits", "jitter"])
def test_a_2_khz_csv_with_rounded_or_jittery_time_analyses(
    bridge_2khz: tuple[object, Path, pd.DataFrame], tmp_path: Path, kind: str
) -> None:
    rec, _, want = bridge_2khz
    n = rec.emg_uv.shape[1]  # type: ignore[attr-defined]
    t = np.arange(n) / 2000.0
    if kind == "six_digits":
        times = np.char.mod("%.6g", t)
        assert np.count_nonzero(np.diff(times.astype(float)) == 0) > 10_000
    else:
        times = np.char.mod("%.9f", t + np.random.default_rng(7).uniform(-0.2, 0.2, n) / 2000.0)
    got, notes = _analyze(_write(rec, tmp_path / f"{kind}.csv", times), tmp_path / "out")
    said = [m for m in notes if m.startswith("column 'time_s'")]
    assert len(said) == 1, notes
    if kind == "six_digits":
        assert "holds repeated values" in said[0] and "written with 6 significant digits?" in said[0]
    else:
        assert "jitters by up to" in said[0]
    assert "2000 Hz" in said[0] and "whole column" in said[0]
    _same_onsets(got, want, 2000.0)


def test_a_g_1_khz_csv_past_1000_s_analyses(tmp_path: Path) -> None:
    rec = _simulate(1000.0, rest_s=5.0)
    n = rec.emg_uv.shape[1]  # type: ignore[attr-defined]
    t = 990.0 + np.arange(n) / 1000.0  # a device clock at 990 s: from 1000 s on, 1000.01, 1000.02, ...
    want, _ = _analyze(_write(rec, tmp_path / "full.csv", np.char.mod("%.9f", t), 990.0), tmp_path / "a")
    got, notes = _analyze(_write(rec, tmp_path / "g.csv", np.char.mod("%g", t), 990.0), tmp_path / "b")
    assert any("repeated values" in m and "1000 Hz" in m for m in notes), notes
    assert want["cue_s"].min() > 990.0
    _same_onsets(got, want, 1000.0)


def test_time_going_back_by_seconds_exits_2_with_one_line(
    bridge_2khz: tuple[object, Path, pd.DataFrame], tmp_path: Path
) -> None:
    rec, _, _ = bridge_2khz
    n = rec.emg_uv.shape[1]  # type: ignore[attr-defined]
    t = np.arange(n) / 2000.0
    t[t >= 100.0] -= 5.0
    path = _write(rec, tmp_path / "back.csv", np.char.mod("%.6g", t))
    cmd = [sys.executable, "-m", "glutesense", "analyze", str(path), "--protocol", "bridge",
           "--out", str(tmp_path / "out")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    err = p.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert str(path) in err and "column 'time_s' must hold increasing numbers" in err, err
    assert "goes back from 99.9995 to 95 s" in err, err
    assert not (tmp_path / "out" / "reps.csv").exists()
