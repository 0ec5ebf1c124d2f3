"""Fatigue core against synthetic EMG with a known spectrum (not the virtual person's generator).

The test signal is Gaussian noise shaped in the frequency domain to the classic surface-EMG
spectrum model (Shwedyk et al. 1977): ``P(f) = f_h^4 f^2 / ((f^2 + f_l^2)(f^2 + f_h^2)^2)``;
fatigue compresses it by a factor ``k`` (``P(f / k)``, conduction velocity falling), so the
true median frequency is ``k`` times the fresh one, computed here from ``P`` itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from glutesense.analysis.fatigue import (
    Spectrum,
    SpectrumSettings,
    activation_share,
    assess_fatigue,
    contraction_spectra,
    contraction_spectrum,
    epochs,
    median_mean_frequency,
    noise_spectrum,
    running_drop_pct,
    trend,
)

F_L_HZ, F_H_HZ = 40.0, 120.0


def model_psd(f_hz: np.ndarray, k: float = 1.0) -> np.ndarray:
    f = np.asarray(f_hz) / k
    return F_H_HZ**4 * f**2 / ((f**2 + F_L_HZ**2) * (f**2 + F_H_HZ**2) ** 2)


def true_mdf_mnf(k: float, band=(20.0, 450.0)) -> tuple[float, float]:
    f = np.linspace(band[0], band[1], 200_001)
    p = model_psd(f, k)
    cum = np.cumsum(p)
    mdf = float(np.interp(0.5 * cum[-1], cum, f))
    return mdf, float(np.sum(f * p) / np.sum(p))


def shaped_noise(rng: np.random.Generator, n: int, fs_hz: float, k: float, rms_uv: float) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / fs_hz)
    x = np.fft.irfft(spec * np.sqrt(model_psd(f, k)), n)
    return rms_uv * x / np.std(x)


@pytest.mark.parametrize("fs_hz", [500.0, 1000.0, 2000.0])
@pytest.mark.parametrize("k", [1.0, 0.8, 0.6])
def test_median_and_mean_frequency_match_the_model(fs_hz: float, k: float) -> None:
    rng = np.random.default_rng(int(fs_hz + 10 * k))
    x = shaped_noise(rng, int(60 * fs_hz), fs_hz, k, 150.0)
    band = (20.0, min(450.0, 0.45 * fs_hz))
    got = contraction_spectrum(x, fs_hz, 0.0, 60.0)
    mdf, mnf = true_mdf_mnf(k, band)
    # 60 s of Gaussian EMG: the estimate's own SD is about 0.6 %
    assert got.mdf_hz == pytest.approx(mdf, rel=0.025)
    assert got.mnf_hz == pytest.approx(mnf, rel=0.025)
    assert got.rms_uv == pytest.approx(150.0, rel=0.1)  # most of the power lies in the band


def test_median_frequency_of_a_flat_band_is_its_middle() -> None:
    f = np.arange(0.0, 501.0, 4.0)
    p = np.where((f >= 100) & (f <= 300), 2.0, 0.0)
    mdf, mnf, power = median_mean_frequency(Spectrum(f, p), (20.0, 450.0))
    assert mdf == pytest.approx(200.0, abs=2.0)
    assert mnf == pytest.approx(200.0, abs=0.5)
    assert power == pytest.approx(2.0 * 51 * 4.0)


def test_noise_subtraction_removes_the_resting_floor() -> None:
    fs_hz = 1000.0
    rng = np.random.default_rng(3)
    rest = 20.0 * rng.standard_normal(int(5 * fs_hz))
    burst = shaped_noise(rng, int(20 * fs_hz), fs_hz, 1.0, 60.0) + 20.0 * rng.standard_normal(int(20 * fs_hz))
    x = np.concatenate([rest, burst])
    truth, _ = true_mdf_mnf(1.0)
    plain = contraction_spectrum(x, fs_hz, 5.0, 25.0)
    noise = noise_spectrum(x, fs_hz, 0.0, 5.0)
    cleaned = contraction_spectrum(x, fs_hz, 5.0, 25.0, noise=noise)
    assert plain.mdf_hz > truth * 1.05  # white noise pulls MDF up ...
    assert cleaned.mdf_hz == pytest.approx(truth, rel=0.04)  # ... subtracting rest brings it back
    assert cleaned.rms_uv == pytest.approx(60.0, rel=0.1)


def _set(rng: np.random.Generator, ks: np.ndarray, fs_hz: float = 1000.0, hold_s: float = 4.0):
    """A set of contractions, ``hold_s`` each, 2 s rest between, compressions ``ks``."""
    parts, windows, t = [], [], 0.0
    rest = int(2 * fs_hz)
    for k in ks:
        parts.append(3.0 * rng.standard_normal(rest))
        t += 2.0
        parts.append(
            shaped_noise(rng, int(hold_s * fs_hz), fs_hz, float(k), 150.0)
            + 3.0 * rng.standard_normal(int(hold_s * fs_hz))
        )
        windows.append((t, t + hold_s))
        t += hold_s
    return np.concatenate(parts), windows


def test_a_fatiguing_set_gives_the_known_slope() -> None:
    # 12 reps of 7 s, MDF falls linearly by 20 % of the first rep's over the set.  One rep's MDF
    # has an SD of 2.5 % (7 s of a stochastic signal: the estimate is unbiased, its scatter is the
    # signal's own), so one set's slope scatters by ~13 %: each set's interval holds the truth, and
    # the mean of 16 sets (SD ~3 %) lands within 8 % of it.
    ks = np.linspace(1.0, 0.8, 12)
    truth = trend(np.array([true_mdf_mnf(k)[0] for k in ks]))
    assert truth is not None
    slopes = []
    for seed in range(16):
        x, windows = _set(np.random.default_rng(seed), ks, hold_s=7.0)
        got = assess_fatigue(contraction_spectra(x, 1000.0, windows), tired_drop_pct=10.0)
        assert got.mdf is not None
        assert got.mdf.ci_low <= truth.slope <= got.mdf.ci_high
        assert got.mdf.slope == pytest.approx(truth.slope, rel=0.4)
        assert got.mdf.ci_high < 0 and got.tired
        assert got.mnf is not None and got.mnf.slope < 0
        slopes.append(got.mdf.slope)
    assert np.mean(slopes) == pytest.approx(truth.slope, rel=0.08)


def test_a_fresh_set_gives_a_slope_consistent_with_zero() -> None:
    consistent = 0
    for seed in range(10):
        x, windows = _set(np.random.default_rng(100 + seed), np.ones(12), hold_s=7.0)
        got = assess_fatigue(contraction_spectra(x, 1000.0, windows))
        assert got.mdf is not None and not got.tired
        assert abs(got.mdf_drop_pct) < 5.0
        consistent += got.mdf.consistent_with_zero
    assert consistent >= 8  # a 95 % interval: at most a rare miss


def test_trend_needs_three_points_and_ignores_nan() -> None:
    assert trend([1.0, 2.0]) is None
    t = trend([10.0, float("nan"), 8.0, 7.0, 6.0])
    assert t is not None and t.n == 4
    assert t.slope == pytest.approx(-1.0)
    assert t.first == pytest.approx(10.0) and t.change_pct == pytest.approx(-40.0)


def test_short_windows_and_epochs() -> None:
    x = np.random.default_rng(0).standard_normal(1000)
    short = contraction_spectrum(x, 1000.0, 0.0, 0.8, settings=SpectrumSettings(edge_s=0.25))
    assert np.isnan(short.mdf_hz)
    assert epochs(1.0, 4.5) == ((1.0, 2.0), (2.0, 3.0), (3.0, 4.0))
    assert noise_spectrum(x, 1000.0, 0.0, 0.3) is None


def test_running_drop_and_activation_share() -> None:
    assert np.isnan(running_drop_pct([100.0, 99.0, 98.0]))
    assert running_drop_pct([100.0, 100.0, 100.0, 90.0, 88.0, 86.0]) == pytest.approx(12.0)
    assert activation_share(50.0, 200.0) == pytest.approx(0.25)
    assert np.isnan(activation_share(50.0, 0.0))
