"""Statistical change-point detector: AR pre-whitening, Page's CUSUM, maximum-likelihood change time.

Page, E. S. (1954). Continuous inspection schemes. *Biometrika*, 41(1/2), 100-115.
Staude, G., Flachenecker, C., Daumer, M. & Wolf, W. (2001). Onset detection in surface
electromyographic signals: a systematic comparison of methods. *EURASIP Journal on Applied Signal
Processing*, 2001(2), 67-81.

This is the fixed-jump special case of the approximate generalized likelihood-ratio (AGLR) detector
of Staude et al.: the conditioned EMG is whitened with an autoregressive model of order ``ar_order``
fitted to the rest (Yule-Walker), so that at rest its innovations ``e`` are white with variance
``sigma0^2``.  An activation is modelled as a jump of that variance by ``jump_ratio``; Page's CUSUM
accumulates the log-likelihood ratio ``s = -ln(nu)/2 + (e^2 / sigma0^2)(1 - 1/nu)/2`` (each sample's
``e^2 / sigma0^2`` clipped at ``z_max`` so that one spike cannot raise an alarm alone) and raises an
alarm when it exceeds ``h_nats``.  The change time is the maximum-likelihood estimate, the last
minimum of the cumulative sum before the alarm.  A burst lasts while a moving median (``on_window_ms``)
of ``e^2 / sigma0^2`` stays above the median of a variance ``on_ratio`` times the resting one; it must
last ``min_on_ms``.  Then the CUSUM restarts after the burst.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, ndimage
from scipy import signal as sps

from glutesense.detect.base import DetectionInput
from glutesense.detect.common import merge_runs, require_duration
from glutesense.detect.skeleton import SpanDetector, Spans
from glutesense.model.arrays import FloatArray
from glutesense.signal.runs import runs_of

CHI2_1_MEDIAN = 0.4549364
"""Median of a chi-square variable with one degree of freedom."""


def ar_whitening_filter(rest: FloatArray, order: int) -> FloatArray:
    """Prediction-error filter ``[1, -a_1, ..., -a_p]`` of a Yule-Walker AR(``order``) fit to ``rest``."""
    r = rest[np.isfinite(rest)]
    r = r - r.mean()
    acf = np.array([np.dot(r[: r.size - k], r[k:]) / r.size for k in range(order + 1)])
    if acf[0] <= 0:
        return np.array([1.0])
    a = linalg.solve_toeplitz(acf[:order], acf[1 : order + 1])
    return np.concatenate(([1.0], -a))


@dataclass(frozen=True)
class ChangePointSettings:
    """Settings of :class:`ChangePointDetector`.

    Attributes
    ----------
    ar_order : int
        Order of the whitening AR model (fitted to the rest).
    jump_ratio : float
        Variance ratio of active over rest the CUSUM is tuned for (4 is a 6 dB amplitude jump).
    h_nats : float
        Alarm threshold on the CUSUM statistic, nats.
    z_max : float
        Each sample's normalized power is clipped here (spike robustness).
    on_window_ms : float
        Moving-median window that decides how long a burst lasts, ms.
    on_ratio : float
        A burst lasts while the moving median is above that of ``on_ratio`` times the resting variance.
    min_on_ms : float
        Shortest burst kept, ms.
    merge_gap_ms : float
        Bursts separated by less than this are merged, ms.
    """

    ar_order: int = 4
    jump_ratio: float = 4.0
    h_nats: float = 15.0
    z_max: float = 25.0
    on_window_ms: float = 50.0
    on_ratio: float = 2.0
    min_on_ms: float = 50.0
    merge_gap_ms: float = 100.0


class ChangePointDetector(SpanDetector[ChangePointSettings]):
    """CUSUM change-point detector with AR pre-whitening (see the module docstring)."""

    name = "changepoint"
    settings_type = ChangePointSettings

    def min_rest_samples(self) -> int:
        """Enough resting samples to fit the AR whitening filter."""
        return max(20, 10 * self.settings.ar_order)

    def sizes(self, fs_hz: float) -> tuple[int, ...]:
        """``(window_n, min_on_n, gap_n)``; checks the ratios, the AR order and the durations."""
        cfg = self.settings
        if cfg.jump_ratio <= 1 or cfg.h_nats <= 0 or cfg.on_ratio <= 0 or cfg.ar_order < 0:
            raise ValueError(
                f"detector {self.name!r}: need jump_ratio > 1, h_nats > 0, on_ratio > 0, ar_order >= 0"
            )
        window_n = require_duration(self.name, "on_window_ms", cfg.on_window_ms, fs_hz, min_samples=3)
        min_on_n = require_duration(self.name, "min_on_ms", cfg.min_on_ms, fs_hz, min_samples=2)
        gap_n = require_duration(self.name, "merge_gap_ms", cfg.merge_gap_ms, fs_hz)
        return window_n, min_on_n, gap_n

    def spans(self, data: DetectionInput, rest: slice, sizes: tuple[int, ...]) -> Spans:
        """Whiten on the rest, then CUSUM alarms, each traced back to its change point."""
        cfg = self.settings
        window_n, min_on_n, gap_n = sizes
        x = data.signal_uv
        ok = np.isfinite(x)
        a = ar_whitening_filter(x[rest], cfg.ar_order)
        e = sps.lfilter(a, [1.0], np.where(ok, x, 0.0))
        e_rest = e[rest][ok[rest]]
        sigma2 = float(np.median(np.square(e_rest)) / CHI2_1_MEDIAN)
        z = np.where(ok, np.square(e) / max(sigma2, 1e-24), 1.0)
        nu = cfg.jump_ratio
        llr = -0.5 * np.log(nu) + 0.5 * np.minimum(z, cfg.z_max) * (1.0 - 1.0 / nu)
        on = ndimage.median_filter(z, size=window_n, mode="nearest") > cfg.on_ratio * CHI2_1_MEDIAN
        on_runs = merge_runs(runs_of(on), gap_n)
        run_stop = np.zeros(x.size, dtype=np.int64)  # stop of the on-run holding each index (0: none)
        for ra, rb in on_runs:
            run_stop[ra:rb] = rb
        spans: Spans = []
        i = 0
        while i < x.size:
            cum = np.cumsum(llr[i:])
            low = np.minimum.accumulate(np.minimum(cum, 0.0))
            hits = np.flatnonzero(cum - np.concatenate(([0.0], low[:-1])) > cfg.h_nats)
            if hits.size == 0:
                break
            k = int(hits[0])
            alarm = i + k
            head = np.concatenate(([0.0], cum[: k + 1]))
            change = i + int(head.size - 1 - np.argmin(head[::-1]))  # last minimum: first sample after it
            stop = int(run_stop[alarm]) if run_stop[alarm] > 0 else alarm + 1
            if stop - max(change, 0) >= min_on_n and stop - alarm > 0 and run_stop[alarm] > 0:
                if spans and change - spans[-1][2] < gap_n:
                    spans[-1] = (spans[-1][0], spans[-1][1], stop)
                else:
                    spans.append((change, alarm, stop))
            i = max(stop, alarm + 1)
        return spans
