"""Levels the signal-quality gate measures (:mod:`glutesense.analysis.gate`): band RMS, noise floor, mains.

Pure: arrays in, floats out; µV are RMS from a Welch power spectrum (1 s segments).
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from glutesense.model.arrays import BoolArray, FloatArray


def cut(x: FloatArray, fs_hz: float, t0_s: float, span: tuple[float, float]) -> FloatArray:
    a, b = (max(0, round((t - t0_s) * fs_hz)) for t in span)
    seg = x[a : min(b, x.size)]
    return seg[np.isfinite(seg)]


def psd(x: FloatArray, fs_hz: float) -> tuple[FloatArray, FloatArray]:
    n = min(x.size, int(fs_hz))
    f, p = sps.welch(x - np.mean(x), fs=fs_hz, nperseg=n, detrend="constant")
    return f, p


def mains_mask(f: FloatArray, base_hz: float, half_width_hz: float = 1.5) -> BoolArray:
    k = np.round(f / base_hz)
    return (k >= 1) & (np.abs(f - k * base_hz) <= half_width_hz)


def rest_levels(x: FloatArray, fs_hz: float, band: tuple[float, float]) -> tuple[float, float, float]:
    """(noise floor RMS, mains RMS, share of mains in the band's power) of a resting segment, µV."""
    f, p = psd(x, fs_hz)
    df = float(f[1] - f[0]) if f.size > 1 else 1.0
    in_band = (f >= band[0]) & (f <= band[1])
    lines = mains_mask(f, 50.0) | mains_mask(f, 60.0)
    quiet = in_band & ~lines
    floor_density = float(np.mean(p[quiet])) if np.any(quiet) else 0.0
    floor_uv = float(np.sqrt(floor_density * (band[1] - band[0])))
    mains_pow = 0.0
    for base in (50.0, 60.0):
        m = in_band & mains_mask(f, base)
        mains_pow = max(mains_pow, float(np.sum(np.maximum(p[m] - floor_density, 0.0)) * df))
    total = floor_uv**2 + mains_pow
    return floor_uv, float(np.sqrt(mains_pow)), mains_pow / total if total > 0 else 0.0


def band_rms(x: FloatArray, fs_hz: float, band: tuple[float, float]) -> float:
    """RMS of ``x`` in ``band`` (from its power spectrum), µV."""
    if x.size < 8:
        return float("nan")
    f, p = psd(x, fs_hz)
    df = float(f[1] - f[0]) if f.size > 1 else 1.0
    m = (f >= band[0]) & (f <= band[1])
    return float(np.sqrt(np.sum(p[m]) * df))
