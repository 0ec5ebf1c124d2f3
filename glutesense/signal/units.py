"""Conversions between seconds and samples: the one place they happen."""

from __future__ import annotations


def n_samples(duration_s: float, fs_hz: float, *, minimum: int = 1) -> int:
    """Number of samples spanning ``duration_s`` at ``fs_hz`` (rounded, at least ``minimum``)."""
    return max(round(duration_s * fs_hz), minimum)


def index_at(t_s: float, fs_hz: float, t0_s: float = 0.0) -> int:
    """Index of the sample at or just after time ``t_s`` (not clipped)."""
    return round((t_s - t0_s) * fs_hz)


def time_at(index: float, fs_hz: float, t0_s: float = 0.0) -> float:
    """Time of (fractional) sample ``index``, seconds."""
    return t0_s + float(index) / fs_hz
