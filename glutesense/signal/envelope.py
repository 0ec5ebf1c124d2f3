"""Amplitude envelopes and resting baselines.

The envelope is a centred moving RMS (an estimate of the EMG amplitude, µV);
windows are given in seconds and converted to samples only through
:func:`glutesense.signal.units.n_samples`.  NaN samples (gaps) are left out of
each window; a window with no finite sample gives NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.model.records import Event
from glutesense.model.robust import median_sd
from glutesense.signal.units import index_at, n_samples, time_at


def moving_mean(x: FloatArray, window_n: int) -> FloatArray:
    """Centred moving mean over ``window_n`` samples, ignoring NaN; shape as ``x``.

    Sample ``i`` averages ``x[max(i - h, 0) : min(i - h + window_n, n)]`` with ``h = window_n // 2``:
    differences of cumulative sums, whose window ends are shifted slices (no index arrays).
    """
    ok = np.isfinite(x)
    c = np.concatenate(([0.0], np.cumsum(np.where(ok, x, 0.0))))
    k = np.concatenate(([0], np.cumsum(ok)))
    n = x.size
    window_n = max(int(window_n), 1)
    half = window_n // 2
    cnt = _window_ends(k, n, half, window_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _window_ends(c, n, half, window_n) / cnt
    return np.where(cnt > 0, out, np.nan)


def _window_ends(c: np.ndarray, n: int, half: int, window_n: int) -> np.ndarray:
    """``c[hi] - c[lo]`` with ``lo = clip(i - half, 0, n)``, ``hi = clip(i - half + window_n, 0, n)``."""
    first_hi = min(window_n - half, n)  # hi of sample 0 (>= 1)
    hi = c[first_hi:]
    if hi.size < n:
        hi = np.concatenate((hi, np.full(n - hi.size, c[n])))
    lo = c[: max(n - half, 0)]
    if lo.size < n:
        lo = np.concatenate((np.full(n - lo.size, c[0]), lo))
    return np.asarray(hi[:n] - lo[:n])


def rms_envelope(x_uv: FloatArray, fs_hz: float, *, window_s: float) -> FloatArray:
    """Centred moving-RMS envelope.

    Parameters
    ----------
    x_uv : ndarray, shape (n_samples,)
        Conditioned EMG, µV (NaN in gaps).
    fs_hz : float
    window_s : float
        Window length, seconds.

    Returns
    -------
    ndarray, shape (n_samples,)
        Envelope, µV.
    """
    return np.sqrt(moving_mean(np.square(x_uv), n_samples(window_s, fs_hz)))


@dataclass(frozen=True)
class Baseline:
    """Resting level of an envelope.

    Attributes
    ----------
    mean, sd : float
        Mean and standard deviation over the window (envelope units, µV).
    median, robust_sd : float
        Median and MAD-based SD (``1.4826 * MAD``); what detectors use.
    start_s, stop_s : float
        The window ``[start_s, stop_s)``.
    source : str
        ``"rest"`` (a ``rest`` event) or ``"quietest"`` (quietest window found).
    """

    mean: float
    sd: float
    median: float
    robust_sd: float
    start_s: float
    stop_s: float
    source: str

    def level(self, h_sd: float) -> float:
        """Robust level ``median + h_sd * robust_sd``."""
        return self.median + h_sd * self.robust_sd


def baseline_of(
    env: FloatArray, fs_hz: float, start_s: float, stop_s: float, *, t0_s: float = 0.0, source: str = "rest"
) -> Baseline | None:
    """Baseline statistics of ``env`` over ``[start_s, stop_s)``; None if too few finite samples."""
    a = max(index_at(start_s, fs_hz, t0_s), 0)
    b = min(index_at(stop_s, fs_hz, t0_s), env.size)
    seg = env[a:b]
    seg = seg[np.isfinite(seg)]
    if seg.size < 10:
        return None
    med, robust_sd = median_sd(seg)
    return Baseline(
        mean=float(seg.mean()),
        sd=float(seg.std()),
        median=med,
        robust_sd=max(robust_sd, 1e-12),
        start_s=start_s,
        stop_s=stop_s,
        source=source,
    )


def rest_window(events: Sequence[Event], *, min_duration_s: float = 0.5) -> tuple[float, float] | None:
    """The longest ``rest`` event with a duration of at least ``min_duration_s``, as ``(start_s, stop_s)``."""
    rests = [e for e in events if e.trial_type == "rest" and e.duration_s >= min_duration_s]
    if not rests:
        return None
    best = max(rests, key=lambda e: e.duration_s)
    return best.onset_s, best.onset_s + best.duration_s


def quietest_window(
    env: FloatArray, fs_hz: float, *, window_s: float, t0_s: float = 0.0
) -> tuple[float, float]:
    """Window ``(start_s, stop_s)`` of length ``window_s`` with the lowest median envelope."""
    w = min(n_samples(window_s, fs_hz), env.size)
    step = max(w // 4, 1)
    best_i, best_v = 0, np.inf
    for i in range(0, max(env.size - w, 0) + 1, step):
        seg = env[i : i + w]
        if np.isfinite(seg).sum() < w // 2:
            continue
        v = float(np.nanmedian(seg))
        if v < best_v:
            best_i, best_v = i, v
    return time_at(best_i, fs_hz, t0_s), time_at(best_i + w, fs_hz, t0_s)


def find_baseline(
    env: FloatArray, fs_hz: float, events: Sequence[Event], *, t0_s: float = 0.0, quiet_window_s: float = 1.0
) -> Baseline:
    """Baseline from the rest phase if there is one, else from the quietest window.

    Parameters
    ----------
    env : ndarray, shape (n_samples,)
        Envelope, µV.
    fs_hz : float
    events : sequence of Event
        A ``rest`` event with a duration marks the baseline phase.
    t0_s : float
        Time of ``env[0]``.
    quiet_window_s : float
        Window length for the quietest-window fallback.
    """
    rest = rest_window(events)
    if rest is not None:
        b = baseline_of(env, fs_hz, rest[0], rest[1], t0_s=t0_s, source="rest")
        if b is not None:
            return b
    start_s, stop_s = quietest_window(env, fs_hz, window_s=quiet_window_s, t0_s=t0_s)
    b = baseline_of(env, fs_hz, start_s, stop_s, t0_s=t0_s, source="quietest")
    if b is None:
        raise ValueError("signal too short or too gappy to find a resting baseline")
    return b
