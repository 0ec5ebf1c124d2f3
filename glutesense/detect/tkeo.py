"""Teager-Kaiser energy operator conditioning, then a threshold on the smoothed operator output.

Li, X., Zhou, P. & Aruin, A. S. (2007). Teager-Kaiser energy operation of surface EMG improves muscle
activity onset detection. *Annals of Biomedical Engineering*, 35(9), 1532-1538.
Solnik, S., Rider, P., Steinweg, K., DeVita, P. & Hortobágyi, T. (2010). Teager-Kaiser energy operator
signal conditioning improves EMG onset detection. *European Journal of Applied Physiology*, 110(3),
489-498.

Method: ``psi[n] = x[n]^2 - x[n-1] x[n+1]`` on the band-passed EMG (µV²) emphasises the sharp,
high-frequency motor-unit action potentials of an activation over slow noise; its magnitude is
low-passed (``lowpass_hz``) and compared with the resting mean plus ``h_sd`` resting SDs, as in the
Hodges & Bui threshold the papers pair it with.  The onset is the start of the first sample run that
stays above for ``min_on_ms``.  The thresholds of the papers were set for their data; the defaults
here were chosen to keep false alarms on a long rest below one per minute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glutesense.detect.base import DetectionInput
from glutesense.detect.common import require_below_nyquist, require_duration, threshold_bursts
from glutesense.detect.skeleton import SpanDetector, Spans, mean_sd_level
from glutesense.model.arrays import FloatArray
from glutesense.signal.filters import zero_phase_lowpass


def teager_kaiser(x: FloatArray) -> FloatArray:
    """Teager-Kaiser energy operator ``x[n]^2 - x[n-1] x[n+1]``; ends repeat their neighbour.

    Parameters
    ----------
    x : ndarray, shape (n_samples,)
        Signal, µV (NaN propagates).

    Returns
    -------
    ndarray, shape (n_samples,)
        Operator output, µV².
    """
    psi = np.empty_like(x)
    if x.size < 3:
        psi[:] = np.square(x)
        return psi
    psi[1:-1] = x[1:-1] ** 2 - x[:-2] * x[2:]
    psi[0] = psi[1]
    psi[-1] = psi[-2]
    return psi


@dataclass(frozen=True)
class TkeoSettings:
    """Settings of :class:`TkeoDetector`.

    Attributes
    ----------
    lowpass_hz : float
        Low-pass cut-off for the rectified operator output, Hz.
    h_sd : float
        Threshold, resting SDs above the resting mean.
    min_on_ms : float
        The smoothed operator must stay above the threshold this long, ms.
    merge_gap_ms : float
        Bursts separated by less than this are merged, ms.
    """

    lowpass_hz: float = 50.0
    h_sd: float = 6.0
    min_on_ms: float = 50.0
    merge_gap_ms: float = 250.0


class TkeoDetector(SpanDetector[TkeoSettings]):
    """TKEO-conditioned threshold detector (Li et al. 2007; Solnik et al. 2010)."""

    name = "tkeo"
    settings_type = TkeoSettings

    def sizes(self, fs_hz: float) -> tuple[int, ...]:
        """No sample counts; checks the cut-off, ``min_on_ms`` and ``h_sd``."""
        cfg = self.settings
        require_below_nyquist(self.name, "lowpass_hz", cfg.lowpass_hz, fs_hz)
        require_duration(self.name, "min_on_ms", cfg.min_on_ms, fs_hz, min_samples=2)
        if cfg.h_sd <= 0:
            raise ValueError(f"detector {self.name!r}: h_sd must be > 0, got {cfg.h_sd:g}")
        return ()

    def spans(self, data: DetectionInput, rest: slice, sizes: tuple[int, ...]) -> Spans:
        """|TKEO|, low-passed; threshold at rest mean + ``h_sd`` SD."""
        cfg = self.settings
        fs = data.fs_hz
        x = data.signal_uv
        ok = np.isfinite(x)
        psi = np.abs(teager_kaiser(np.where(ok, x, 0.0)))
        test = np.where(ok, zero_phase_lowpass(psi, cfg.lowpass_hz, fs), np.nan)
        level = mean_sd_level(test, rest, cfg.h_sd)
        return threshold_bursts(test, level, fs_hz=fs, min_on_ms=cfg.min_on_ms, merge_gap_ms=cfg.merge_gap_ms)
