"""Per-rep spectral compression against synthetic EMG with a known spectrum (not the virtual person).

Same generator as ``test_fatigue.py``: Gaussian noise shaped to the surface-EMG model spectrum
(Shwedyk et al. 1977) and compressed by ``k`` per rep (``P(f / k)``), so the truth is exact.
"""

from __future__ import annotations

import numpy as np
import pytest

from glutesense.analysis.compression import band_median, set_compression, whittle_log_scale
from glutesense.analysis.fatigue import contraction_spectra, trend


def model_psd(f_hz: np.ndarray, k: float = 1.0) -> np.ndarray:
    f = np.asarray(f_hz) / k
    return 120.0**4 * f**2 / ((f**2 + 40.0**2) * (f**2 + 120.0**2) ** 2)


def true_mdf(k: float, band=(20.0, 450.0)) -> float:
    f = np.linspace(band[0], band[1], 200_001)
    cum = np.cumsum(model_psd(f, k))
    return float(np.interp(0.5 * cum[-1], cum, f))


def _set(rng: np.random.Generator, ks: np.ndarray, hold_s: float = 7.0, fs_hz: float = 1000.0):
    """Contractions of ``hold_s`` (150 µV RMS, compressions ``ks``) after 2 s of 3-µV rest each."""
    parts, windows, t = [], [], 0.0
    n = int(hold_s * fs_hz)
    for k in ks:
        parts.append(3.0 * rng.standard_normal(int(2 * fs_hz)))
        t += 2.0
        spec = np.fft.rfft(rng.standard_normal(n)) * np.sqrt(model_psd(np.fft.rfftfreq(n, 1 / fs_hz), k))
        x = np.fft.irfft(spec, n)
        parts.append(150.0 * x / np.std(x) + 3.0 * rng.standard_normal(n))
        windows.append((t, t + hold_s))
        t += hold_s
    return np.concatenate(parts), windows


def test_the_likelihood_finds_an_exact_compression() -> None:
    tf = np.arange(0.0, 1000.0, 0.5)
    template = model_psd(tf)
    f = np.arange(30.0, 350.0, 1.0)
    for k in (0.85, 1.0, 1.12):
        p = 7.0 * model_psd(f, k)  # any amplitude
        got = whittle_log_scale(p, f, tf, template, np.zeros_like(f), 0.25)
        assert got == pytest.approx(np.log(k), abs=1e-3)
    # and the MDF of the compressed template is the compressed model's
    assert band_median(tf, template, 0.8, (20.0, 450.0)) == pytest.approx(true_mdf(0.8), rel=2e-3)


def test_a_fatiguing_set_gives_the_known_slope_with_less_scatter_than_the_per_rep_mdf() -> None:
    # 12 reps of 7 s, MDF falls by 20 %: the per-rep MDF's slope scatters by ~14 % (SD over sets),
    # the compression's by ~7 % (benchmarks/fatigue_accuracy.py, source "shwedyk")
    ks = np.linspace(1.0, 0.8, 12)
    truth = trend(np.array([true_mdf(k) for k in ks]))
    assert truth is not None
    ratio_comp, ratio_mdf = [], []
    for seed in range(16):
        x, windows = _set(np.random.default_rng(seed), ks, hold_s=7.0)
        got = set_compression([x[int(a * 1000) : int(b * 1000)] for a, b in windows], 1000.0, x[:2000])
        assert got is not None and np.all(np.isfinite(got.mdf_hz))
        assert abs(float(np.mean(got.ln_k))) < 1e-9  # centred on the set's mean shape
        t = trend(got.mdf_hz)
        plain = trend([s.mdf_hz for s in contraction_spectra(x, 1000.0, windows)])
        assert t is not None and plain is not None
        assert t.ci_low <= truth.slope <= t.ci_high
        ratio_comp.append(t.slope / truth.slope)
        ratio_mdf.append(plain.slope / truth.slope)
    assert np.all(np.abs(np.array(ratio_comp) - 1) < 0.25)
    assert np.mean(ratio_comp) == pytest.approx(1.0, abs=0.04)
    assert np.std(ratio_comp) < 0.7 * np.std(ratio_mdf)


def test_a_fresh_set_is_consistent_with_zero() -> None:
    consistent = 0
    for seed in range(10):
        x, windows = _set(np.random.default_rng(100 + seed), np.ones(12), hold_s=7.0)
        got = set_compression([x[int(a * 1000) : int(b * 1000)] for a, b in windows], 1000.0, x[:2000])
        assert got is not None
        t = trend(got.mdf_hz)
        assert t is not None and abs(t.change_pct) < 4.0
        consistent += t.consistent_with_zero
    assert consistent >= 8


def test_too_few_or_too_short_reps() -> None:
    rng = np.random.default_rng(0)
    assert set_compression([rng.standard_normal(3000)] * 2, 1000.0) is None
    reps = [rng.standard_normal(3000) for _ in range(4)] + [rng.standard_normal(100)]
    got = set_compression(reps, 1000.0)
    assert got is not None and np.isnan(got.mdf_hz[-1]) and np.isfinite(got.mdf_hz[:4]).all()
