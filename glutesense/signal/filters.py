"""Streaming IIR filters with explicit state, and clearly named zero-phase helpers.

A :class:`SosFilter` holds a second-order-sections design (``scipy.signal``,
designed with ``fs=fs_hz, output="sos"``) and its state ``zi``.  Feeding a
signal in any chunking gives the same output as feeding it whole (tested with
Hypothesis).  Zero-phase (forward-backward) filtering is only available through
functions whose name says so, because it is non-causal and unusable live.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from glutesense.model.arrays import FloatArray


@dataclass
class SosFilter:
    """A causal IIR filter in second-order sections with explicit state.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        Second-order sections as returned by ``scipy.signal`` with ``output="sos"``.

    Notes
    -----
    The state starts at rest (zeros).  Use :meth:`prime` to start in the steady
    state for a constant input (avoids a start-up transient on a DC offset).
    """

    sos: FloatArray
    zi: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.sos = np.asarray(self.sos, dtype=np.float64)
        self.zi = np.zeros((self.sos.shape[0], 2), dtype=np.float64)

    def reset(self) -> None:
        """Return the state to rest (zeros)."""
        self.zi = np.zeros((self.sos.shape[0], 2), dtype=np.float64)

    def prime(self, x0: float) -> None:
        """Set the state to the steady state for a constant input ``x0``."""
        self.zi = sps.sosfilt_zi(self.sos) * float(x0)

    def process(self, chunk: npt.ArrayLike) -> FloatArray:
        """Filter one chunk and carry the state to the next.

        Parameters
        ----------
        chunk : array_like, shape (n_samples,)
            Next samples, any unit (the output has the same unit).

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        x = np.asarray(chunk, dtype=np.float64)
        if x.size == 0:
            return np.zeros(0, dtype=np.float64)
        y, self.zi = sps.sosfilt(self.sos, x, zi=self.zi)
        return np.asarray(y, dtype=np.float64)


def design_bandpass(low_hz: float, high_hz: float, fs_hz: float, *, order: int = 4) -> FloatArray:
    """Butterworth band-pass, sections, shape (n_sections, 6)."""
    return np.asarray(sps.butter(order, [low_hz, high_hz], btype="bandpass", fs=fs_hz, output="sos"))


def design_highpass(cutoff_hz: float, fs_hz: float, *, order: int = 2) -> FloatArray:
    """Butterworth high-pass, sections, shape (n_sections, 6)."""
    return np.asarray(sps.butter(order, cutoff_hz, btype="highpass", fs=fs_hz, output="sos"))


def design_lowpass(cutoff_hz: float, fs_hz: float, *, order: int = 2) -> FloatArray:
    """Butterworth low-pass, sections, shape (n_sections, 6)."""
    return np.asarray(sps.butter(order, cutoff_hz, btype="lowpass", fs=fs_hz, output="sos"))


def design_notch(freq_hz: float, fs_hz: float, *, quality: float = 30.0) -> FloatArray:
    """IIR notch at ``freq_hz`` (bandwidth ``freq_hz / quality``), sections, shape (1, 6)."""
    b, a = sps.iirnotch(freq_hz, quality, fs=fs_hz)
    return np.asarray(sps.tf2sos(b, a))


def causal_filter(sos: FloatArray, x: FloatArray) -> FloatArray:
    """Filter ``x`` once, causally, starting in the steady state of its first sample."""
    f = SosFilter(sos)
    if x.size:
        f.prime(float(x[0]))
    return f.process(x)


def zero_phase_filter(sos: FloatArray, x: FloatArray, *, pad_n: int | None = None) -> FloatArray:
    """Forward-backward (zero-phase, non-causal) filtering; offline use only.

    ``pad_n`` samples of odd extension at each end (default scipy's), reduced
    for short inputs as far as they require.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x.copy()
    padlen = min(pad_n if pad_n is not None else 3 * (2 * sos.shape[0] + 1), x.size - 1)
    return np.asarray(sps.sosfiltfilt(sos, x, padlen=max(padlen, 0)))


def zero_phase_lowpass(x: FloatArray, cutoff_hz: float, fs_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase Butterworth low-pass (offline only); ``cutoff_hz`` is clipped below Nyquist."""
    cutoff_hz = min(cutoff_hz, 0.45 * fs_hz)
    return zero_phase_filter(design_lowpass(cutoff_hz, fs_hz, order=order), x)
