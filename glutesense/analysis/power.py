"""Short-bin power of a conditioned EMG channel, the common input of the per-rep onset steps.

The conditioned EMG is high-passed (``highpass_hz``, causal, as the default detector does: what is
left of motion artifacts lies mostly below it), whitened by an AR prediction-error filter fitted to
the resting window (Yule-Walker; Staude et al. 2001), squared and averaged in bins of ``bin_ms``
(at least one sample).  Powers are multiples of the resting power, so the resting level is 1 and a
bin's power is close to a scaled chi-square variable with ``nu`` degrees of freedom (measured on the
rest, :func:`glutesense.detect.default.bin_dof`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from glutesense.detect.base import DetectionInput
from glutesense.detect.binpower import bin_dof
from glutesense.detect.changepoint import ar_whitening_filter
from glutesense.model.arrays import FloatArray
from glutesense.signal.envelope import moving_mean
from glutesense.signal.filters import design_highpass
from glutesense.signal.units import index_at


@dataclass(frozen=True)
class PowerSeries:
    """Binned power of one channel.

    Attributes
    ----------
    t0_s : float
        Start of the first bin (bin ``j`` covers ``[t0_s + j bin_s, t0_s + (j + 1) bin_s)``).
    bin_s : float
    power : ndarray, shape (n_bins,)
        Mean whitened power per bin, multiples of the resting power (NaN where samples were lost).
    nu : float
        Degrees of freedom of one bin's power.
    rest_uv : float
        RMS of the conditioned EMG in the resting window, µV (a power of 1 is this amplitude).
    """

    t0_s: float
    bin_s: float
    power: FloatArray
    nu: float
    rest_uv: float

    @property
    def t_s(self) -> FloatArray:
        """Bin centres, s."""
        return np.asarray(self.t0_s + (np.arange(self.power.size) + 0.5) * self.bin_s, dtype=np.float64)

    def index(self, t_s: float) -> int:
        """The bin holding ``t_s``, clipped to ``[0, n_bins]``."""
        return int(min(max(np.floor((t_s - self.t0_s) / self.bin_s), 0), self.power.size))

    def smooth(self, window_s: float) -> FloatArray:
        """Centred moving mean of the power over ``window_s`` (NaN bins left out)."""
        return np.asarray(moving_mean(self.power, max(1, round(window_s / self.bin_s))), dtype=np.float64)


def power_series(
    data: DetectionInput, *, bin_ms: float = 5.0, ar_order: int = 4, highpass_hz: float = 40.0
) -> PowerSeries:
    """The binned, whitened power of ``data`` (module docstring)."""
    fs = data.fs_hz
    ok = np.isfinite(data.signal_uv)
    x = np.where(ok, data.signal_uv, 0.0)
    if highpass_hz > 0:
        x = sps.sosfilt(design_highpass(min(highpass_hz, 0.2 * fs), fs), x)
    a = max(index_at(data.rest_s[0], fs, data.t0_s), 0)
    b = min(max(index_at(data.rest_s[1], fs, data.t0_s), a + 1), x.size)
    rest = np.where(ok[a:b], x[a:b], np.nan)
    order = min(ar_order, 8) if np.isfinite(rest).sum() > 10 * max(ar_order, 1) else 0
    e = sps.lfilter(ar_whitening_filter(rest, order), [1.0], x) if order else x
    e = np.where(ok, e, np.nan)
    rest_e = e[a:b][np.isfinite(e[a:b])]
    scale = float(np.mean(np.square(rest_e))) if rest_e.size else float(np.nanmean(np.square(e)))
    scale = max(scale, 1e-24)
    k = max(1, round(bin_ms * fs / 1000.0))
    m = e.size // k
    blocks = np.square(e[: m * k]).reshape(m, k) / scale
    power = np.where(np.isfinite(blocks).all(axis=1), np.nanmean(blocks, axis=1), np.nan)
    ra, rb = a // k, max(b // k, a // k + 1)
    raw_rest = data.signal_uv[a:b]
    rest_uv = float(np.sqrt(np.nanmean(np.square(raw_rest)))) if np.isfinite(raw_rest).any() else 1.0
    return PowerSeries(data.t0_s, k / fs, power, min(bin_dof(power[ra:rb]), 1.5 * k), rest_uv)
