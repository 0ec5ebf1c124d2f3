"""Clock reconstruction: from packet counters and device clocks to session time.

Pure functions over arrays.  The order of work is fixed: counters first (a
lost packet leaves a hole of its samples, never absorbed by a fit), then a
fit of device time to host receive time.

Host receive stamps are the true send time plus a non-negative, jittery link
latency, so the device-to-host map is fitted to the *lower envelope* of
``t_rx - t_device``: a robust slope (drift) and the low quantile of the
residuals as the offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from glutesense.model.arrays import FloatArray, IntArray
from glutesense.model.robust import robust_sd

MAX_DRIFT_PPM = 1000.0


def unwrap_counter(values: npt.ArrayLike, modulus: int) -> IntArray:
    """Unwrap a wrapping counter into a monotonic int64 sequence.

    A step of ``d`` (mod ``modulus``) is taken as forward when
    ``d < modulus // 2``; larger steps are taken as going backwards (a
    duplicate or reordered packet) and keep their negative sign.

    Examples
    --------
    >>> unwrap_counter([65534, 65535, 0, 1], 65536).tolist()
    [65534, 65535, 65536, 65537]
    """
    v = np.asarray(values, dtype=np.int64)
    if v.size == 0:
        return v
    d = np.diff(v) % modulus
    d = np.where(d >= modulus // 2, d - modulus, d)
    return np.concatenate(([v[0]], v[0] + np.cumsum(d)))


@dataclass(frozen=True)
class ClockFit:
    """``t_host_s = offset_s + (1 + drift_ppm * 1e-6) * t_device_s``.

    ``residual_ms`` is the median latency above the fitted lower envelope, a
    measure of how tightly host stamps follow the device clock; ``spread_ms``
    (10th minus 1st percentile of that latency) is how sharp the envelope is,
    an estimate of the offset's own uncertainty.
    """

    offset_s: float
    drift_ppm: float
    residual_ms: float
    n_points: int
    spread_ms: float = 0.0

    @property
    def scale(self) -> float:
        return 1.0 + self.drift_ppm * 1e-6

    def to_host(self, t_device_s: npt.ArrayLike) -> FloatArray:
        return self.offset_s + self.scale * np.asarray(t_device_s, dtype=np.float64)


def _envelope_minima(td: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The least latency in each of up to 40 time windows of one segment: ``(t_device, latency)``."""
    if td.size < 40 or np.ptp(td) <= 5.0:
        return np.zeros(0), np.zeros(0)
    n_win = int(min(40, td.size // 5))
    edges = np.linspace(td.min(), td.max(), n_win + 1)
    which = np.clip(np.searchsorted(edges, td, side="right") - 1, 0, n_win - 1)
    xs, ys = [], []
    for w in range(n_win):
        sel = np.flatnonzero(which == w)
        if sel.size:
            k = sel[np.argmin(lat[sel])]
            xs.append(td[k])
            ys.append(lat[k])
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)


def pairwise_slopes(x: FloatArray, y: FloatArray, *, min_dx: float = 0.5) -> FloatArray:
    """Slopes ``(y_j - y_i) / (x_j - x_i)`` of every pair of points at least ``min_dx`` apart in ``x``.

    Their median is the Theil-Sen slope.  :func:`scipy.stats.theilslopes` is not used because it
    takes every pair: close pairs of packet times carry mostly jitter, and the clock fit pools the
    pairs of several segments (one drift, an offset each), which one call cannot express.
    """
    i, j = np.triu_indices(x.size, k=1)
    dx = x[j] - x[i]
    ok = dx > min_dx
    return np.asarray((y[j][ok] - y[i][ok]) / dx[ok], dtype=np.float64)


def fit_segments(
    segments: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]], *, low_quantile: float = 0.02
) -> tuple[ClockFit, ...]:
    """Fit gap-free segments of one device: one drift for the device, an offset per segment.

    Each segment's device time runs without a break in what is known of it (a device
    clock, or a packet counter that did not lose count); across segments the device
    time is unknown, so each gets its own offset.  Drift is the median of the pairwise
    slopes of the lower envelope within segments (Theil-Sen); segments too short to
    show drift take the others'.  A drift the envelope cannot distinguish from zero (within
    three standard errors) is taken as zero: short, jittery recordings keep the nominal rate.

    Parameters
    ----------
    segments : sequence of (t_device_s, t_host_s)
        Per segment, device time at which each packet was complete, s, and its host
        receive time, s (arrays of equal length, at least one point).
    low_quantile : float
        Quantile of ``t_host - t_device`` (after drift) taken as the zero-latency offset.
    """
    pairs = [(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)) for a, b in segments]
    if not pairs or any(a.size == 0 or a.size != b.size for a, b in pairs):
        raise ValueError("every clock segment needs matching, non-empty device and host times")
    minima = [_envelope_minima(td, th - td) for td, th in pairs]
    slopes = np.concatenate([pairwise_slopes(x, y) for x, y in minima])
    drift_ppm = 0.0
    if slopes.size:
        slope = float(np.median(slopes))
        # Keep the drift only where the envelope shows it: |slope| > 3 standard errors
        # (from the minima's scatter about the line); else the device clock is taken as nominal.
        scatter, spread, n = [], [], 0
        for x, y in minima:
            if x.size >= 3:
                r = y - slope * x
                scatter.append(r - np.median(r))
                spread.append(x - x.mean())
                n += x.size
        se = np.inf
        if n > 4:
            sigma = robust_sd(np.concatenate(scatter), center=0.0)  # each segment centred already
            se = sigma / max(float(np.sqrt(np.sum(np.concatenate(spread) ** 2))), 1e-9)
        if abs(slope) * 1e6 <= MAX_DRIFT_PPM and abs(slope) > 3.0 * se:
            drift_ppm = slope * 1e6
    out = []
    for td, th in pairs:
        detrended = th - td - drift_ppm * 1e-6 * td
        offset = float(np.quantile(detrended, low_quantile))
        residual_ms = float(np.median(detrended - offset) * 1e3)
        q01, q10 = np.quantile(detrended, [0.01, 0.10])
        out.append(ClockFit(offset, drift_ppm, residual_ms, int(td.size), float((q10 - q01) * 1e3)))
    return tuple(out)


def fit_device_to_host(
    t_device_s: npt.ArrayLike, t_host_s: npt.ArrayLike, *, low_quantile: float = 0.02
) -> ClockFit:
    """Fit the lower envelope of host receive time against device time (one segment).

    Parameters
    ----------
    t_device_s : array, shape (n,)
        Device time at which each packet was complete (its last sample), s.
    t_host_s : array, shape (n,)
        Host receive time of each packet, s.
    low_quantile : float
        Quantile of ``t_host - t_device`` taken as the zero-latency offset.
    """
    td = np.asarray(t_device_s, dtype=np.float64)
    if td.size == 0:
        raise ValueError("no packets to fit a clock to")
    return fit_segments([(td, t_host_s)], low_quantile=low_quantile)[0]
