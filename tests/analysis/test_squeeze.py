"""Single-leg stand done right: tries counted exactly and never taken as the onset; the shipped sample
against its truth; stance versus hanging side in words.  Recordings from ``benchmarks/sls_sim.py`` (an
independent motor-unit generator) and the virtual sensor's ``sls_glute_late`` sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sls_sim import SlsRecording, SlsSpec, simulate, to_recording

from glutesense.analysis.metrics import TRY_DETECTOR
from glutesense.analysis.pipeline import AnalysisResult, analyze
from glutesense.clinical import assess
from glutesense.io import read_native
from glutesense.model.roles import Muscle, Protocol
from glutesense.report import write_outputs


@pytest.fixture(scope="module")
def tries() -> tuple[SlsRecording, AnalysisResult]:
    spec = SlsSpec(
        fs_hz=1000.0,
        snr_db=25.0,
        seed=31,
        n_reps=4,
        tries=(0, 1, 2, 3),
        try_share=(0.45, 0.9),
        gap_ms=(200.0, 500.0),
        latency_ms=(300.0, 1500.0),
    )
    rec = simulate(spec)
    return rec, analyze(to_recording(rec), Protocol.SINGLE_LEG_STAND)


def test_zero_to_three_tries_counted_exactly_and_never_the_onset(
    tries: tuple[SlsRecording, AnalysisResult],
) -> None:
    rec, res = tries
    rows = {(r.side.value, r.rep): r for r in res.reps}
    assert {len(t.tries) for t in rec.truths} == {0, 1, 2, 3}
    for t in rec.truths:
        r = rows[(t.side, t.rep)]
        assert r.false_starts == len(t.tries), (t.side, t.rep)
        assert r.tries_separable is True
        assert len(r.false_starts_s) == len(t.tries)
        for got, true in zip(r.false_starts_s, t.tries, strict=True):
            assert abs(got - true.onset_s) <= 0.06
        assert r.glute_onset_s is not None and r.squeeze_latency_ms is not None
        # never a try: the onset lies after the last try has ended, close to the truth
        if t.tries:
            assert r.glute_onset_s > t.tries[-1].end_s
        assert abs(r.glute_onset_s - t.onset_s) <= 0.05
        assert r.squeeze_latency_ms == pytest.approx(1000.0 * (r.glute_onset_s - r.cue_s))
        assert r.firm_up_ms is not None and r.firm_up_ms >= 0


def test_tries_are_bursts_marked_as_tries(tries: tuple[SlsRecording, AnalysisResult]) -> None:
    rec, res = tries
    n_tries = sum(len(t.tries) for t in rec.truths)
    marked = [b for b in res.bursts if b.burst.detector == TRY_DETECTOR]
    assert len(marked) == n_tries
    assert all(b.muscle is Muscle.GLUTE_MAX for b in marked)


def test_a_try_that_runs_into_the_squeeze_says_so() -> None:
    spec = SlsSpec(
        fs_hz=1000.0,
        snr_db=25.0,
        seed=32,
        n_reps=3,
        tries=(1,),
        try_share=(0.5, 0.8),
        gap_ms=(200.0, 400.0),
        latency_ms=(600.0, 1200.0),
        merged_p=1.0,
    )
    rec = simulate(spec)
    res = analyze(to_recording(rec), Protocol.SINGLE_LEG_STAND)
    flagged = [r for r in res.reps if r.tries_separable is False]
    assert flagged
    assert all("less certain" in r.reason for r in flagged)
    for t in rec.truths:
        r = next(x for x in res.reps if x.side.value == t.side and x.rep == t.rep)
        # the try is never the onset: either it is counted (it relaxed enough to be told apart) or the
        # rep says it could not be told from the squeeze
        assert r.glute_onset_s is not None and r.glute_onset_s > t.tries[0].onset_s + 0.05
        assert r.false_starts == 1 or r.tries_separable is False


@pytest.mark.parametrize("seed", [2, 3])
def test_at_15_db_a_try_or_the_stance_is_never_the_onset(seed: int) -> None:
    # at 15 dB a stance-tone burst that began just before the cue ran into the first try (seed 3, right
    # rep 4: onset 55 ms before the cue), and a small try that never cleared the try threshold started the
    # detector's burst (seed 2, right rep 3: onset on the third try, 685 ms early)
    rec = simulate(SlsSpec(fs_hz=1000.0, snr_db=15.0, seed=seed, n_reps=4))
    res = analyze(to_recording(rec), Protocol.SINGLE_LEG_STAND)
    rows = {(r.side.value, r.rep): r for r in res.reps}
    errors_ms = []
    for t in rec.truths:
        r = rows[(t.side, t.rep)]
        assert r.glute_onset_s is not None, (t.side, t.rep)
        assert r.glute_onset_s > t.cue_s, (t.side, t.rep)
        if t.tries:
            assert r.glute_onset_s > t.tries[-1].end_s, (t.side, t.rep)
        errors_ms.append(abs(1000.0 * (r.glute_onset_s - t.onset_s)))
    assert max(errors_ms) <= 100.0
    assert np.median(errors_ms) <= 30.0


def test_sample_lags_within_30_ms_of_truth(samples_dir: Path) -> None:
    rec = read_native(samples_dir / "sls_glute_late.gses")
    truth = json.loads((samples_dir / "sls_glute_late_truth.json").read_text())
    res = analyze(rec, Protocol.SINGLE_LEG_STAND)
    rows = {(r.side.value, r.rep): r for r in res.reps}
    for t in truth["reps"]:
        r = rows[(t["side"], t["rep"])]
        assert r.glute_lag_ms is not None
        assert abs(r.glute_lag_ms - t["glute_lag_ms"]) <= 30.0, (t["side"], t["rep"], r.glute_lag_ms)
        assert r.false_starts == t["false_starts"]


def test_stance_versus_hanging_in_words(tries: tuple[SlsRecording, AnalysisResult], tmp_path: Path) -> None:
    rec, res = tries
    recording = to_recording(rec)
    clin = assess(res, recording)
    assert {s.side.value for s in clin.stance} == {"left", "right"}
    for s in clin.stance:
        words = " ".join(s.sentences)
        assert f"your {s.side.value} glute firmed up" in words
        assert "try" in words
        assert "the hanging side stays soft" in words
        truth = [t for t in rec.truths if t.side == s.side.value]
        assert s.hanging_hold_median_pct is not None and s.stance_hold_median_pct is not None
        assert s.hanging_hold_median_pct < 0.5 * s.stance_hold_median_pct
        # the stance glute takes up its tone when the other leg comes off the ground
        assert s.after_lift_median_pct is not None and s.before_lift_median_pct is not None
        assert s.after_lift_median_pct > s.before_lift_median_pct
        assert np.median([t.stance_after_lift_pct for t in truth]) > np.median(
            [t.stance_before_lift_pct for t in truth]
        )
    paths = write_outputs(res, recording, tmp_path)
    html = paths["report"].read_text(encoding="utf-8")
    assert "Single-leg stand: stance side and hanging side" in html
    assert "the hanging side stays soft" in html


def test_lift_found_from_the_imu_without_lift_events(tries: tuple[SlsRecording, AnalysisResult]) -> None:
    rec, _ = tries
    recording = to_recording(rec, with_lift=False)
    res = analyze(recording, Protocol.SINGLE_LEG_STAND)
    clin = assess(res, recording)
    readings = [x for s in clin.stance for x in s.reps]
    assert all(x.lift_source == "pelvis tilt (IMU)" for x in readings)
    truth = {(t.side, t.rep): t.lift_s for t in rec.truths}
    errs = [abs(x.lift_s - truth[(x.side.value, x.rep)]) for x in readings if x.lift_s is not None]
    assert len(errs) == len(readings)
    assert np.median(errs) <= 0.4  # the pelvis starts to tilt 0.1-0.25 s after the leg leaves the ground
