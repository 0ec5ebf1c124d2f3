"""Envelopes, baselines and movement onset."""

from __future__ import annotations

import numpy as np
import pytest

from glutesense.model.records import Event
from glutesense.model.roles import Role
from glutesense.signal.envelope import find_baseline, moving_mean, rms_envelope
from glutesense.signal.movement import find_lifts, movement_onset, tilt_from_acc
from glutesense.virtual.synth import SynthSpec, make_recording


def test_rms_envelope_of_a_sine_is_its_rms_whatever_the_rate() -> None:
    for fs in (200.0, 2000.0):
        t = np.arange(int(2 * fs)) / fs
        env = rms_envelope(10.0 * np.sin(2 * np.pi * 40.0 * t), fs, window_s=0.1)
        np.testing.assert_allclose(np.median(env), 10.0 / np.sqrt(2), rtol=0.02)


def test_baseline_from_rest_event_else_quietest_window() -> None:
    fs = 500.0
    rng = np.random.default_rng(3)
    env = np.abs(rng.normal(5.0, 1.0, int(10 * fs)))
    env[: int(3 * fs)] += 50.0  # loud start
    b = find_baseline(env, fs, (Event(4.0, 2.0, "rest"),))
    assert b.source == "rest"
    assert (b.start_s, b.stop_s) == (4.0, 6.0)
    q = find_baseline(env, fs, ())
    assert q.source == "quietest"
    assert q.start_s >= 3.0
    assert abs(q.median - 5.0) < 0.5


def test_lifts_and_movement_onset_from_the_accelerometer() -> None:
    rec, truth = make_recording(SynthSpec(cue_events=False, n_reps=3))
    s = rec.stream_of(Role.ACC_X)
    tilt = tilt_from_acc(s.data, s.fs_hz, rest_s=(0.5, 4.5))
    lifts = find_lifts(tilt)
    assert len(lifts) == 3
    for (start, _), rep in zip(lifts, truth.reps, strict=True):
        assert rep.movement_onset_s is not None
        assert abs(start - rep.movement_onset_s) < 0.15
        m = movement_onset(tilt, after_s=rep.cue_s, before_s=rep.cue_s + 2.0)
        assert m is not None
        assert abs(m - rep.movement_onset_s) < 0.15


@pytest.mark.parametrize("n", [1, 2, 7, 100, 1001])
@pytest.mark.parametrize("window_n", [1, 2, 5, 10, 99, 2000])
def test_moving_mean_is_the_windowed_nanmean(n: int, window_n: int) -> None:
    # sample i averages the finite samples of x[i - w//2 : i - w//2 + w] (clipped at both ends)
    rng = np.random.default_rng(n * 7919 + window_n)
    x = rng.standard_normal(n) * 10.0 + 3.0
    x[rng.random(n) < 0.25] = np.nan
    half = window_n // 2
    want = np.array(
        [
            np.nan
            if not np.isfinite(w := x[max(i - half, 0) : max(i - half + window_n, 0)]).any()
            else np.nanmean(w)
            for i in range(n)
        ]
    )
    np.testing.assert_allclose(moving_mean(x, window_n), want, rtol=1e-9, atol=1e-9)
