"""Movement onset from the gyroscope (bias and drift removed), with the accelerometer as fallback."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from glutesense.analysis.pipeline import analyze
from glutesense.model.records import Stream
from glutesense.model.roles import GYR_ROLES
from glutesense.signal.movement import (
    AngularRate,
    movement_onset,
    movement_onset_gyro,
    movement_onset_imu,
    tilt_from_acc,
)
from glutesense.virtual.synth import SynthSpec, make_recording

FS_HZ = 100.0
TOLERANCE_S = 0.020
BIAS_DPS = np.array([[0.8], [-1.5], [0.4]])
DRIFT_DPS_PER_S = np.array([[0.03], [-0.02], [0.01]])


def _raised_cosine_rate(t_s: np.ndarray, start_s: float, dur_s: float, delta_deg: float) -> np.ndarray:
    u = (t_s - start_s) / dur_s
    inside = (u > 0) & (u < 1)
    return np.where(inside, delta_deg / dur_s * 0.5 * np.pi * np.sin(np.pi * np.clip(u, 0, 1)), 0.0)


def _minimum_jerk_rate(t_s: np.ndarray, start_s: float, dur_s: float, delta_deg: float) -> np.ndarray:
    u = np.clip((t_s - start_s) / dur_s, 0.0, 1.0)
    return delta_deg / dur_s * 30.0 * u**2 * (1.0 - u) ** 2  # starts with zero velocity *and* acceleration


def _gyro(rate_about_x: np.ndarray, t_s: np.ndarray, seed: int) -> AngularRate:
    rng = np.random.default_rng(seed)
    gyr = np.zeros((3, t_s.size))
    gyr[1] = rate_about_x  # the thigh pitches about the sensor's y axis
    gyr += BIAS_DPS + DRIFT_DPS_PER_S * t_s + 0.15 * rng.standard_normal(gyr.shape)
    return AngularRate(gyr, FS_HZ, 0.0)


@pytest.mark.parametrize(
    ("profile", "tolerance_s"),
    [
        (_raised_cosine_rate, TOLERANCE_S),  # the virtual person's lift: finite initial acceleration
        (_minimum_jerk_rate, 0.030),  # the gentlest start: zero acceleration, the rate grows as t^2
    ],
)
@pytest.mark.parametrize("seed", range(5))
def test_gyro_onset_of_a_thigh_rotation_despite_bias_and_drift(
    profile: object, tolerance_s: float, seed: int
) -> None:
    rng = np.random.default_rng(100 + seed)
    t = np.arange(round(60.0 * FS_HZ)) / FS_HZ
    starts = [10.0 + 10.0 * k + float(rng.uniform(0.2, 0.6)) for k in range(4)]
    rate = np.zeros_like(t)
    for s in starts:
        dur, delta = float(rng.uniform(0.5, 1.0)), float(rng.uniform(20.0, 30.0))
        rate += profile(t, s, dur, -delta)  # type: ignore[operator]
        rate += profile(t, s + 3.0, dur, delta)  # type: ignore[operator]  # lowering
    gyro = _gyro(rate, t, seed)
    for s in starts:
        cue = s - 0.3
        got = movement_onset_gyro(gyro, after_s=cue, before_s=cue + 2.5)
        assert got is not None
        assert abs(got - s) <= tolerance_s, (got, s)


def test_gyro_onset_never_before_the_window_and_none_without_movement() -> None:
    t = np.arange(round(20.0 * FS_HZ)) / FS_HZ
    gyro = _gyro(_raised_cosine_rate(t, 5.0, 0.7, 25.0), t, 1)
    assert movement_onset_gyro(gyro, after_s=10.0, before_s=15.0) is None  # still: bias and drift only
    got = movement_onset_gyro(gyro, after_s=5.2, before_s=8.0)  # movement already under way
    assert got == pytest.approx(5.2, abs=1.0 / FS_HZ)
    lost = AngularRate(np.full((3, t.size), np.nan), FS_HZ, 0.0)
    assert movement_onset_gyro(lost, after_s=4.0, before_s=8.0) is None


def _tilt_for(t: np.ndarray, start_s: float) -> tuple[np.ndarray, float]:
    u = np.clip((t - start_s) / 0.8, 0.0, 1.0)
    th = np.deg2rad(20.0 + 30.0 * (0.5 - 0.5 * np.cos(np.pi * u)))
    acc = np.vstack([np.zeros_like(t), np.sin(th), np.cos(th)])
    return acc + 0.005 * np.random.default_rng(3).standard_normal(acc.shape), start_s


def test_without_gyro_the_accelerometer_path_is_used() -> None:
    t = np.arange(round(12.0 * FS_HZ)) / FS_HZ
    acc, start = _tilt_for(t, 6.0)
    tilt = tilt_from_acc(acc, FS_HZ, rest_s=(0.5, 4.0))
    from_acc = movement_onset(tilt, after_s=5.5, before_s=9.0)
    assert from_acc is not None
    assert movement_onset_imu(tilt, None, after_s=5.5, before_s=9.0) == from_acc
    assert movement_onset_imu(None, None, after_s=5.5, before_s=9.0) is None
    gyro = _gyro(_raised_cosine_rate(t, start, 0.8, 30.0), t, 2)
    from_gyro = movement_onset_imu(tilt, gyro, after_s=5.5, before_s=9.0)
    assert from_gyro is not None
    assert abs(from_gyro - start) <= TOLERANCE_S


def test_analyze_takes_movement_onsets_from_the_gyroscope() -> None:
    spec = SynthSpec(n_reps=4, seed=41)
    rec, truth = make_recording(spec)
    imu = next(s for s in rec.streams if s.name == "imu")
    t = imu.t0_s + np.arange(imu.n_samples) / imu.fs_hz
    rate = np.zeros_like(t)
    for r in truth.reps:  # the synthetic thigh: 35 deg raised-cosine lift and lowering over 0.8 s
        assert r.movement_onset_s is not None and r.cue_s is not None
        rate += _raised_cosine_rate(t, r.movement_onset_s, 0.8, 35.0)
        rate -= _raised_cosine_rate(t, r.cue_s + spec.hold_s + 0.1, 0.8, 35.0)
    gyro = _gyro(rate, t, 4)
    with_gyro = dataclasses.replace(
        rec, streams=(*rec.streams, Stream("gyr", imu.fs_hz, imu.t0_s, GYR_ROLES, gyro.rate_dps))
    )
    res = analyze(with_gyro, "bridge")
    assert res.rate is not None
    for r in res.reps:
        true_move = truth.reps[r.rep - 1].movement_onset_s
        assert r.movement_onset_s is not None and true_move is not None
        assert abs(r.movement_onset_s - true_move) <= TOLERANCE_S
    no_cues = dataclasses.replace(with_gyro, events=tuple(e for e in rec.events if e.trial_type == "rest"))
    res2 = analyze(no_cues, "bridge")
    assert res2.rep_source == "accelerometer" and len(res2.reps) == 8
    for r in res2.reps:
        true_move = truth.reps[r.rep - 1].movement_onset_s
        assert r.movement_onset_s is not None and true_move is not None
        assert abs(r.movement_onset_s - true_move) <= TOLERANCE_S
