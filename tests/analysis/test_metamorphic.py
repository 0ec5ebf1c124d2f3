"""Metamorphic tests: changes to a recording that must not move an onset (issue 15).

One synthetic bridge session (``benchmarks/bridge_sim.py``: coloured sEMG, 1/f background, mains with
harmonics, DC, baseline wander, lift-off and lowering motion artifacts, electrode pops) is generated
with 20 s of extra rest before and after the reps.  The reference is the middle part (the usual 5 s
rest, the reps, 1 s after them).  Each relation transforms it -- gain x3, millivolts instead of
microvolts, renamed and reordered columns, left and right swapped, EDF+ instead of CSV, the 20 s of
rest kept before or after -- and runs the public API or the console script; every per-rep onset must
stay within 1 ms (``TOL_MS``) of the reference's.  The rest added is the same continuous signal
(mains, wander, pops and all), and the ``rest`` event marks the same stretch in every variant: what
the pipeline computes over the whole recording (mains detection and subtraction, filter start-up,
baselines) must not reach an onset.  A first test checks the reference against the truth, so the
relations are tested on onsets that are right.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bridge_sim import SimRecording, SimSpec, simulate

import glutesense as gs
from glutesense.export.edf import write_edf
from glutesense.export.table import write_csv
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import Role

pytestmark = pytest.mark.slow

FS_HZ = 1000.0
EXTRA_S = 20.0
REST_S = 5.0
TOL_MS = 1.0
ONSET_COLUMNS = ("glute_onset_s", "hamstring_onset_s")
ALIASES = {  # an outside user's column names (benchmarks/outside_csv.py uses the same kinds)
    "glute_max_l": "Gluteus Maximus Left",
    "hamstring_l": "Biceps Femoris Left",
    "glute_max_r": "right_glute_max",
    "hamstring_r": "BF_R",
}


@pytest.fixture(scope="module")
def sim() -> SimRecording:
    spec = SimSpec(fs_hz=FS_HZ, snr_db=14.0, artifacts=True, seed=1503, n_reps=4,
                   rest_s=REST_S + EXTRA_S, tail_s=1.0 + EXTRA_S)
    return simulate(spec)


def cut(sim: SimRecording, start_s: float, stop_s: float, *, emg_gain: float = 1.0,
        swap_sides: bool = False) -> Recording:
    """The part ``[start_s, stop_s)`` of the long session as a Recording (times from ``start_s``).

    The ``rest`` event is the original 5 s before the reps in every part.
    """
    a, b = round(start_s * FS_HZ), round(stop_s * FS_HZ)
    ia, ib = round(start_s * 100.0), round(stop_s * 100.0)
    roles = tuple(Role(r) for r in sim.roles)
    if swap_sides:
        roles = tuple(Role(r.value[:-1] + ("r" if r.value.endswith("l") else "l")) for r in roles)
    emg = Stream("emg", FS_HZ, 0.0, roles, emg_gain * sim.emg_uv[:, a:b])
    imu = Stream("imu", 100.0, 0.0, (Role.ACC_X, Role.ACC_Y, Role.ACC_Z), sim.acc_g[:, ia:ib])
    events = [Event(EXTRA_S - start_s, REST_S, "rest")]
    events += [Event(o - start_s, d, tt, None, rep) for o, d, tt, rep in sim.events if tt != "rest"]
    return Recording((emg, imu), tuple(events), {"placement": "thigh"}, source="metamorphic")


def onsets(reps: pd.DataFrame, shift_s: float = 0.0) -> pd.DataFrame:
    """Per-rep onsets (s, on the reference's clock), indexed by side and rep."""
    out = pd.DataFrame({c: reps[c].astype(float) - shift_s for c in ONSET_COLUMNS})
    out.index = pd.MultiIndex.from_arrays(
        [reps["side"].astype(str).to_numpy(), reps["rep"].astype(int).to_numpy()], names=["side", "rep"]
    )
    return out.sort_index()


def assert_same(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert got.index.tolist() == ref.index.tolist()
    assert np.isfinite(ref.to_numpy()).all()
    diff_ms = np.abs(got.to_numpy() - ref.to_numpy()) * 1000.0
    assert np.nanmax(diff_ms) <= TOL_MS, f"onsets moved by up to {np.nanmax(diff_ms):.1f} ms:\n{diff_ms}"


@pytest.fixture(scope="module")
def duration_s(sim: SimRecording) -> float:
    return sim.duration_s


@pytest.fixture(scope="module")
def reference(sim: SimRecording, duration_s: float) -> pd.DataFrame:
    return onsets(gs.analyze(cut(sim, EXTRA_S, duration_s - EXTRA_S)).reps)


def run_cli(path: Path, out: Path, *extra: str) -> pd.DataFrame:
    cmd = [sys.executable, "-m", "glutesense", "analyze", str(path), "--protocol", "bridge",
           "--out", str(out), *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return pd.read_csv(out / "reps.csv")


def test_reference_onsets_are_right(sim: SimRecording, reference: pd.DataFrame) -> None:
    errors = []
    for t in sim.truths:
        got = reference.loc[(t.side, t.rep), f"{t.muscle.split('_')[0]}_onset_s"]
        errors.append(abs(got - (t.onset_s - EXTRA_S)) * 1000.0)
    assert len(errors) == 16
    assert np.median(errors) <= 30.0 and max(errors) <= 120.0, errors


@pytest.mark.parametrize("where", ["before", "after"])
def test_rest_added(sim: SimRecording, duration_s: float, reference: pd.DataFrame, where: str) -> None:
    start, stop = (0.0, duration_s - EXTRA_S) if where == "before" else (EXTRA_S, duration_s)
    got = gs.analyze(cut(sim, start, stop)).reps
    assert_same(onsets(got, EXTRA_S - start), reference)


def test_gain_times_three(sim: SimRecording, duration_s: float, reference: pd.DataFrame) -> None:
    got = gs.analyze(cut(sim, EXTRA_S, duration_s - EXTRA_S, emg_gain=3.0)).reps
    assert_same(onsets(got), reference)


def test_millivolts(sim: SimRecording, duration_s: float, reference: pd.DataFrame) -> None:
    samples, events = gs.to_frame(cut(sim, EXTRA_S, duration_s - EXTRA_S))
    emg = [c for c in samples.columns if c in ALIASES]
    samples[emg] = samples[emg] / 1000.0
    got = gs.analyze(samples, events=events, emg_unit="mV").reps
    assert_same(onsets(got), reference)


def test_left_right_swapped(sim: SimRecording, duration_s: float, reference: pd.DataFrame) -> None:
    got = onsets(gs.analyze(cut(sim, EXTRA_S, duration_s - EXTRA_S, swap_sides=True)).reps)
    swapped = got.rename(index={"left": "right", "right": "left"}, level="side").sort_index()
    assert_same(swapped, reference)


def test_renamed_reordered_columns_csv(sim: SimRecording, duration_s: float, reference: pd.DataFrame,
                                       tmp_path: Path) -> None:
    samples, events = gs.to_frame(cut(sim, EXTRA_S, duration_s - EXTRA_S))
    samples = samples.rename(columns=ALIASES)
    samples = samples[["time_s", *reversed([c for c in samples.columns if c != "time_s"])]]
    path = tmp_path / "outside.csv"
    samples.to_csv(path, index=False, float_format="%.10g")
    events.to_csv(tmp_path / "outside_events.tsv", sep="\t", index=False, na_rep="n/a")
    assert_same(onsets(run_cli(path, tmp_path / "out")), reference)


def test_csv_and_edf_agree(sim: SimRecording, duration_s: float, reference: pd.DataFrame,
                           tmp_path: Path) -> None:
    rec = cut(sim, EXTRA_S, duration_s - EXTRA_S)
    write_csv(rec, tmp_path / "s.csv")
    write_edf(rec, tmp_path / "s.edf")
    from_csv = onsets(run_cli(tmp_path / "s.csv", tmp_path / "out_csv"))
    from_edf = onsets(run_cli(tmp_path / "s.edf", tmp_path / "out_edf"))
    assert_same(from_csv, reference)
    assert_same(from_edf, from_csv)
