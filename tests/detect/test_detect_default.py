"""The default detector against synthetic truth (numbers asserted, tolerances stated)."""

from __future__ import annotations

import numpy as np
import pytest
from support.signals import ONSET_S, REST_S, burst_signal

from glutesense.analysis.pipeline import analyze
from glutesense.detect import DETECTORS, DetectionInput, make_detector
from glutesense.detect.default import DefaultDetector
from glutesense.detect.default_settings import DefaultSettings
from glutesense.detect.risefit import fit_rise, pooled_shape_prior
from glutesense.model.roles import Protocol, Role
from glutesense.signal.condition import condition_emg
from glutesense.virtual.synth import SynthSpec, make_recording

ROLES = (Role.GLUTE_MAX_L, Role.HAMSTRING_L, Role.GLUTE_MAX_R, Role.HAMSTRING_R)


def onset_errors_ms(spec: SynthSpec) -> tuple[np.ndarray, int, int]:
    """Signed errors of the nearest detected onset to each true onset; (errors, n_bursts, n_true)."""
    rec, truth = make_recording(spec)
    det = make_detector("default")
    errors, n_bursts = [], 0
    for role in ROLES:
        x, fs, t0 = rec.signal(role)
        bursts = det.detect(DetectionInput(condition_emg(x, fs).signal_uv, fs, t0, (0.5, spec.rest_s - 0.5)))
        n_bursts += len(bursts)
        for o in truth.onsets:
            if o.side is role.side and o.muscle is role.muscle and bursts:
                errors.append(min((b.onset_s - o.onset_s for b in bursts), key=abs) * 1000.0)
    return np.array(errors), n_bursts, len(truth.onsets)


@pytest.mark.parametrize("fs_hz", [1000.0, 2000.0])
def test_raised_cosine_onsets_at_15_db(fs_hz: float) -> None:
    # tolerance: median |error| <= 20 ms, 90th percentile <= 45 ms (rises 50-150 ms, SNR 15 dB)
    err, n_bursts, n_true = onset_errors_ms(SynthSpec(fs_hz=fs_hz, snr_db=15.0, n_reps=6, seed=11))
    assert n_bursts == n_true
    assert err.size == n_true
    assert np.median(np.abs(err)) <= 20.0
    assert np.percentile(np.abs(err), 90) <= 45.0


def test_step_onsets_are_placed_tightly() -> None:
    err, n_bursts, n_true = onset_errors_ms(SynthSpec(snr_db=15.0, rise_s=(0.0, 0.0), n_reps=5, seed=4))
    assert n_bursts == n_true
    # known: steps come out ~18 ms early (the rise fit prefers a short ramp); issue 3 tightens this
    assert np.median(np.abs(err)) <= 25.0
    assert np.percentile(np.abs(err), 90) <= 35.0


def test_backtracking_beats_the_threshold_alarm_on_slow_rises() -> None:
    rec, truth = make_recording(SynthSpec(snr_db=15.0, rise_s=(0.2, 0.25), n_reps=5, seed=5))
    x, fs, t0 = rec.signal(Role.HAMSTRING_L)
    data = DetectionInput(condition_emg(x, fs).signal_uv, fs, t0, (0.5, 4.5))
    bursts = make_detector("default").detect(data)
    true = [o.onset_s for o in truth.onsets if o.side.value == "left" and o.muscle.value == "hamstring"]
    onset_err = [abs(min((b.onset_s - t for b in bursts), key=abs)) for t in true]
    alarm_err = [abs(min((b.alarm_s - t for b in bursts), key=abs)) for t in true]
    assert np.median(onset_err) < 0.5 * np.median(alarm_err)


def test_200_hz_input_works() -> None:
    err, n_bursts, n_true = onset_errors_ms(SynthSpec(fs_hz=200.0, snr_db=15.0, n_reps=4, seed=2))
    assert n_bursts == n_true
    assert np.median(np.abs(err)) <= 50.0  # 200 Hz: causal band 20-90 Hz, late by ~30 ms (known)


def test_no_bursts_on_pure_noise_rest() -> None:
    fs = 1000.0
    rng = np.random.default_rng(7)
    x = 5.0 * rng.standard_normal(int(120 * fs))  # two minutes of rest
    c = condition_emg(x, fs)
    assert make_detector("default").detect(DetectionInput(c.signal_uv, fs, 0.0, (0.0, 20.0))) == ()


def test_short_spike_is_rejected() -> None:
    fs = 1000.0
    rng = np.random.default_rng(8)
    x = 5.0 * rng.standard_normal(int(10 * fs))
    x[5000:5005] += 400.0  # a 5 ms electrode pop
    c = condition_emg(x, fs, label="glute_max_l")
    assert make_detector("default").detect(DetectionInput(c.signal_uv, fs, 0.0, (0.0, 4.0))) == ()


def test_registry_and_settings_validation() -> None:
    assert "default" in DETECTORS
    with pytest.raises(ValueError, match="unknown detector 'nope'"):
        make_detector("nope")
    det = DefaultDetector(DefaultSettings(min_on_ms=2.0))
    with pytest.raises(ValueError, match="shorter than one sample at 200 Hz"):
        det.detect(DetectionInput(np.zeros(2000), 200.0, 0.0, (0.0, 5.0)))


def test_a_100_hz_channel_works_with_one_sample_bins() -> None:
    # the default 5 ms bins are shorter than a 10 ms sample: bins become one sample, not an error
    fs = 100.0
    t = np.arange(int(20 * fs)) / fs
    amp = 1.0 + 9.0 * np.clip((t - 10.0) / 0.1, 0.0, 1.0) * (t < 14.0)  # 20 dB, 100 ms linear rise
    for seed in range(4):  # seed 0 once made a false burst in the last 0.3 s (edge of the median)
        x = np.random.default_rng(seed).standard_normal(t.size) * amp
        (burst,) = make_detector("default").detect(DetectionInput(x, fs, 0.0, (0.0, 8.0)))
        assert abs(burst.onset_s - 10.0) <= 0.05
        assert 13.8 <= burst.offset_s <= 14.4


def test_onset_uncertainty_is_reported_and_roughly_calibrated() -> None:
    """30 single bursts (200/1000/2000 Hz, 6-20 dB, raised-cosine rises 20-200 ms): the reported SD
    covers the error within 2 SD in at least 75 % of cases (measured when written: 87 %)."""
    covered, sds = [], []
    for k in range(30):
        fs = (200.0, 1000.0, 2000.0)[k % 3]
        rise_ms = float(np.random.default_rng(k).uniform(20.0, 200.0))
        x = burst_signal(fs, snr_db=(6.0, 12.0, 20.0)[(k // 3) % 3], rise_ms=rise_ms, seed=300 + k)
        bursts = DefaultDetector().detect(DetectionInput(x, fs, 0.0, REST_S))
        b = next(b for b in bursts if b.alarm_s >= REST_S[1])
        assert np.isfinite(b.onset_sd_ms) and b.onset_sd_ms > 0
        sds.append(b.onset_sd_ms)
        covered.append(abs(b.onset_s - ONSET_S) * 1000.0 <= 2.0 * b.onset_sd_ms)
    assert np.mean(covered) >= 0.75
    assert np.median(sds) < 60.0


def test_rise_fit_finds_a_step_in_white_noise() -> None:
    rng = np.random.default_rng(3)
    fs, k = 1000.0, 5
    t = np.arange(int(1.5 * fs)) / fs
    x = rng.standard_normal(t.size) * np.where(t >= 0.7, 4.0, 1.0)  # 12 dB step at 0.7 s
    power = np.square(x)[: t.size // k * k].reshape(-1, k).mean(axis=1)
    t_bins = (np.arange(power.size) + 0.5) * k / fs
    fit = fit_rise(
        t_bins,
        power,
        nu=k,
        base_power=1.0,
        prior_nu=100.0,
        onset_range_s=(0.4, 1.0),
        onset_step_s=0.002,
        rise_grid_s=np.array([0.02, 0.05, 0.1, 0.2]),
        bin_s=k / fs,
    )
    assert fit is not None
    # two 5 ms bins: the family's short gentle rises (logistic, quadratic) may start a bin early
    assert abs(fit.onset_s - 0.7) <= 0.010
    assert abs(fit.map_onset_s - 0.7) <= 0.0105
    assert fit.onset_sd_s < 0.01
    assert abs(fit.onset_s - 0.7) <= 2 * fit.onset_sd_s


def test_pooled_shape_prior_learns_the_common_shape() -> None:
    evidence = np.zeros((8, 3))
    evidence[:6, 1] = 3.0  # six bursts favour shape 1 by e^3
    evidence[6:, 2] = 3.0
    pi = np.exp(pooled_shape_prior(evidence))
    assert pi.sum() == pytest.approx(1.0)
    assert pi[1] > 0.6 > pi[2] > pi[0]


def test_analysis_reports_lag_uncertainty() -> None:
    rec, _ = make_recording(SynthSpec(snr_db=15.0, n_reps=3, seed=12))
    res = analyze(rec, Protocol.BRIDGE)
    sds = [r.glute_lag_sd_ms for r in res.reps]
    assert all(sd is not None and 0.0 < sd < 100.0 for sd in sds)
    r = res.reps[0]
    assert r.glute_onset_sd_ms is not None and r.hamstring_onset_sd_ms is not None
    assert r.glute_lag_sd_ms == pytest.approx(np.hypot(r.glute_onset_sd_ms, r.hamstring_onset_sd_ms))


def test_sensitive_pass_finds_a_weak_sustained_activation_only_in_its_window() -> None:
    # 200 Hz, activation 3 dB below the rest noise (power ratio 1.5): the first pass sees nothing,
    # the sensitive pass (longer window of coarser bins, lower threshold) finds it within 150 ms
    fs = 200.0
    x = burst_signal(fs, snr_db=-3.0, rise_ms=50.0, seed=0, duration_s=7.0)
    data = DetectionInput(condition_emg(x, fs).signal_uv, fs, 0.0, REST_S)
    det = DefaultDetector()
    assert det.detect(data) == ()
    found = det.detect_in(data, [(ONSET_S - 0.25, 6.5)])
    assert len(found) == 1
    assert abs(found[0].onset_s - ONSET_S) <= 0.15
    assert found[0].duration_s >= 0.5
    assert det.detect_in(data, [(0.0, 3.5)]) == ()


def test_sensitive_pass_false_alarm_rate_on_noise() -> None:
    # stated rate: at most 0.5 sustained false bursts per minute of searched noise (measured ~0.2)
    det = DefaultDetector()
    n, searched_s = 0, 0.0
    for fs in (200.0, 1000.0):
        for seed in range(10):
            x = burst_signal(fs, snr_db=-200.0, rise_ms=50.0, seed=seed, duration_s=20.0)
            data = DetectionInput(condition_emg(x, fs).signal_uv, fs, 0.0, REST_S)
            n += len(det.detect_in(data, [(3.0, 19.0)]))
            searched_s += 16.0
    assert n / (searched_s / 60.0) <= 0.5


def test_electrode_pops_with_filter_ringing_are_not_bursts() -> None:
    # biphasic 2-10 ms pops at 30-60x the rest RMS: after the conditioning filters they ring for
    # 50-100 ms, long enough to move a 100 ms median, but most of their energy lies within 40 ms
    rng = np.random.default_rng(3)
    for fs in (1000.0, 2000.0):
        x = burst_signal(fs, snr_db=-200.0, rise_ms=50.0, seed=5, duration_s=30.0)
        t = np.arange(x.size) / fs
        for tp in np.linspace(4.0, 28.0, 12):
            width = rng.uniform(0.002, 0.01)
            x += rng.uniform(30.0, 60.0) * rng.choice([-1.0, 1.0]) * ((t - tp) / width) * np.exp(
                -0.5 * ((t - tp) / width) ** 2
            )
        data = DetectionInput(condition_emg(x, fs).signal_uv, fs, 0.0, REST_S)
        assert DefaultDetector().detect(data) == ()
