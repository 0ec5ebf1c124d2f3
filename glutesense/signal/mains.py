"""Mains (power-line) frequency detection from the data.

Compares the spectral peak at 50 Hz and at 60 Hz with the spectral floor in
their neighbourhood (Welch periodogram, median of neighbouring bins) and picks
the stronger one if it stands out.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from glutesense.model.arrays import FloatArray

MAINS_CANDIDATES_HZ: tuple[float, ...] = (50.0, 60.0)


def _peak_ratio(f_hz: FloatArray, pxx: FloatArray, freq_hz: float) -> float:
    """Power at ``freq_hz`` over the median power 3-12 Hz either side of it."""
    at = np.abs(f_hz - freq_hz) <= 1.0
    near = (np.abs(f_hz - freq_hz) >= 3.0) & (np.abs(f_hz - freq_hz) <= 12.0)
    if not at.any() or near.sum() < 2:
        return 0.0
    floor = float(np.median(pxx[near]))
    if floor <= 0.0:
        return float("inf") if float(pxx[at].max()) > 0 else 0.0
    return float(pxx[at].max()) / floor


def detect_mains_hz(x: FloatArray, fs_hz: float, *, min_ratio: float = 4.0) -> float | None:
    """Detect power-line interference at 50 or 60 Hz.

    Parameters
    ----------
    x : ndarray, shape (n_samples,)
        Raw signal, any unit; NaN samples (lost data) are ignored.
    fs_hz : float
        Sample rate.
    min_ratio : float
        How far (power ratio) the peak must stand above its neighbourhood.

    Returns
    -------
    float or None
        50.0 or 60.0, or None when neither peak stands out (or the rate cannot
        carry them: a candidate must lie below 0.48 ``fs_hz``).
    """
    finite = x[np.isfinite(x)]
    nperseg = int(min(finite.size, round(2.0 * fs_hz)))  # 0.5 Hz bins
    if nperseg < int(fs_hz / 2):
        return None
    f_hz, pxx = sps.welch(finite - np.median(finite), fs=fs_hz, nperseg=nperseg)
    ratios = {cand: _peak_ratio(f_hz, pxx, cand) for cand in MAINS_CANDIDATES_HZ if cand + 3.0 < 0.48 * fs_hz}
    if not ratios:
        return None
    best = max(ratios, key=lambda k: ratios[k])
    return best if ratios[best] >= min_ratio else None


def harmonics_below(freq_hz: float, fs_hz: float, *, max_fraction: float = 0.48) -> tuple[float, ...]:
    """``freq_hz`` and its harmonics strictly below ``max_fraction * fs_hz``."""
    limit = max_fraction * fs_hz
    return tuple(float(k * freq_hz) for k in range(1, int(limit // freq_hz) + 1) if k * freq_hz < limit)


def subtract_sinusoids(x: FloatArray, fs_hz: float, freqs_hz: tuple[float, ...]) -> FloatArray:
    """Remove the least-squares fit of constant-amplitude sinusoids at ``freqs_hz``.

    Run before a notch so that the notch only has to remove what drifts, which
    keeps its start-up transient (at segment edges) small.

    Parameters
    ----------
    x : ndarray, shape (n_samples,)
        Finite samples, any unit.
    """
    if not freqs_hz or x.size < 8:
        return x.copy()
    t_s = np.arange(x.size) / fs_hz
    cols = [f(2 * np.pi * fr * t_s) for fr in freqs_hz for f in (np.sin, np.cos)]
    basis = np.column_stack(cols)
    coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
    return np.asarray(x - basis @ coef)
