"""Hodges & Bui (1996): threshold on the low-passed rectified EMG, mean + h SD of rest.

Hodges, P. W. & Bui, B. H. (1996). A comparison of computer-based methods for the determination of
onset of muscle contraction using electromyography. *Electroencephalography and Clinical
Neurophysiology*, 101(6), 511-519.

Method: full-wave rectify the conditioned EMG, low-pass it (Butterworth, ``lowpass_hz``; the paper's
best settings used 50 Hz), average it over a window of ``window_ms``, and call the onset the start of
the first window whose mean exceeds the resting mean by ``h_sd`` resting SDs (plain mean and SD, as
in the paper).  Two additions keep it usable on long recordings, not just single trials: the level
must hold for ``min_on_ms``, and crossings closer than ``merge_gap_ms`` form one burst.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glutesense.detect.base import DetectionInput
from glutesense.detect.common import require_below_nyquist, require_duration, threshold_bursts
from glutesense.detect.skeleton import SpanDetector, Spans, mean_sd_level
from glutesense.signal.envelope import moving_mean
from glutesense.signal.filters import zero_phase_lowpass


@dataclass(frozen=True)
class HodgesBuiSettings:
    """Settings of :class:`HodgesBuiDetector`.

    Attributes
    ----------
    lowpass_hz : float
        Low-pass cut-off applied to the rectified EMG, Hz (must be below Nyquist).
    window_ms : float
        Averaging window, ms (at least 2 samples).
    h_sd : float
        Threshold, resting SDs above the resting mean.
    min_on_ms : float
        The mean must stay above the threshold this long, ms.
    merge_gap_ms : float
        Bursts separated by less than this are merged, ms.
    """

    lowpass_hz: float = 50.0
    window_ms: float = 25.0
    h_sd: float = 3.0
    min_on_ms: float = 50.0
    merge_gap_ms: float = 100.0


class HodgesBuiDetector(SpanDetector[HodgesBuiSettings]):
    """Hodges & Bui (1996) threshold detector (see the module docstring)."""

    name = "hodges_bui"
    settings_type = HodgesBuiSettings

    def sizes(self, fs_hz: float) -> tuple[int, ...]:
        """``(window_n,)``; checks the cut-off, the window, ``min_on_ms`` and ``h_sd``."""
        cfg = self.settings
        require_below_nyquist(self.name, "lowpass_hz", cfg.lowpass_hz, fs_hz)
        window_n = require_duration(self.name, "window_ms", cfg.window_ms, fs_hz, min_samples=2)
        require_duration(self.name, "min_on_ms", cfg.min_on_ms, fs_hz)
        if cfg.h_sd <= 0:
            raise ValueError(f"detector {self.name!r}: h_sd must be > 0, got {cfg.h_sd:g}")
        return (window_n,)

    def spans(self, data: DetectionInput, rest: slice, sizes: tuple[int, ...]) -> Spans:
        """Rectify, low-pass, average over the window; threshold at rest mean + ``h_sd`` SD."""
        cfg = self.settings
        fs = data.fs_hz
        (window_n,) = sizes
        x = data.signal_uv
        ok = np.isfinite(x)
        rectified = np.abs(np.where(ok, x, 0.0))
        smooth = np.where(ok, zero_phase_lowpass(rectified, cfg.lowpass_hz, fs), np.nan)
        test = moving_mean(smooth, window_n)
        return threshold_bursts(
            test,
            mean_sd_level(test, rest, cfg.h_sd),
            fs_hz=fs,
            min_on_ms=cfg.min_on_ms,
            merge_gap_ms=cfg.merge_gap_ms,
            lead_n=window_n // 2,
        )
