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


SINUSOID_BLOCK_N = 16384
"""Samples per block of :func:`subtract_sinusoids` (its memory is ``2 x harmonics x block`` values)."""


def subtract_sinusoids(
    x: FloatArray, fs_hz: float, freqs_hz: tuple[float, ...], *, block_n: int = SINUSOID_BLOCK_N
) -> FloatArray:
    """Remove the least-squares fit of constant-amplitude sinusoids at ``freqs_hz``.

    Run before a notch so that the notch only has to remove what drifts, which
    keeps its start-up transient (at segment edges) small.

    The fit is that of the whole segment, computed in blocks of ``block_n`` samples: the normal
    equations (Gram matrix and projections of the basis) are summed block by block and the fit is
    subtracted block by block, so memory does not grow with the length (a full ``n x 2k`` basis took
    7 GB on an hour at 2 kHz).  Every block's basis is a phase rotation of one template block
    (``sin(a + b) = sin a cos b + cos a sin b``), so the sines are evaluated once per segment.  Equal to
    the whole-record least squares to about 1e-9 of the signal's amplitude (test): the phases of a
    long record are themselves only that precise.

    Parameters
    ----------
    x : ndarray, shape (n_samples,)
        Finite samples, any unit.
    """
    if not freqs_hz or x.size < 8:
        return x.copy()
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    block_n = max(1, min(block_n, n))
    omega = 2.0 * np.pi * np.asarray(freqs_hz, dtype=np.float64) / fs_hz  # rad per sample
    theta = omega[:, None] * np.arange(block_n)[None, :]
    template = np.vstack((np.sin(theta), np.cos(theta)))  # (2k, block_n): sines then cosines
    starts = range(0, n, block_n)
    rots = [_rotation(omega, i0) for i0 in starts]  # one per block, for both passes
    gram = np.zeros((template.shape[0], template.shape[0]))
    proj = np.zeros(template.shape[0])
    full_gram = template @ template.T
    for i0, rot in zip(starts, rots, strict=True):
        m = min(block_n, n - i0)
        u = template[:, :m]
        g = full_gram if m == block_n else u @ u.T
        gram += rot @ g @ rot.T
        proj += rot @ (u @ x[i0 : i0 + m])
    coef, *_ = np.linalg.lstsq(gram, proj, rcond=None)
    out = np.empty_like(x)
    for i0, rot in zip(starts, rots, strict=True):
        m = min(block_n, n - i0)
        out[i0 : i0 + m] = x[i0 : i0 + m] - (rot.T @ coef) @ template[:, :m]
    return out


def _rotation(omega: FloatArray, i0: int) -> FloatArray:
    """``R`` with ``basis[:, i0 + j] = R @ template[:, j]``: rows sin then cos of ``omega (i0 + j)``."""
    k = omega.size
    phi = omega * i0
    s, c = np.sin(phi), np.cos(phi)
    rot = np.zeros((2 * k, 2 * k))
    idx = np.arange(k)
    rot[idx, idx] = c  # sin(phi + th) = cos(phi) sin(th) + sin(phi) cos(th)
    rot[idx, k + idx] = s
    rot[k + idx, idx] = -s  # cos(phi + th) = cos(phi) cos(th) - sin(phi) sin(th)
    rot[k + idx, k + idx] = c
    return rot
