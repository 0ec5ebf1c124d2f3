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

try:  # the C loop ``scipy.signal.sosfilt`` runs after checking its arguments (private, hence the guard)
    from scipy.signal._sosfilt import _sosfilt as _sosfilt_kernel
except ImportError:  # pragma: no cover - another SciPy layout: the public function, same numbers
    _sosfilt_kernel = None


def _kernel_agrees() -> bool:
    """Whether the C loop, called as :func:`_filter_rows` calls it, gives ``sosfilt``'s numbers."""
    sos = np.array([[0.2, 0.4, 0.2, 1.0, -0.3, 0.1], [1.0, -2.0, 1.0, 1.0, -1.5, 0.6]])
    x = np.linspace(-1.0, 1.0, 14).reshape(2, 7) ** 3
    zi = np.full((2, 2, 2), 0.25)
    try:
        y, zo = _filter_rows(sos, x, zi)
    except Exception:  # any change in the private function's contract
        return False
    y_ref, zo_ref = sps.sosfilt(sos, x, axis=-1, zi=zi)
    return bool(np.allclose(y, y_ref, rtol=0, atol=1e-12) and np.allclose(zo, zo_ref, rtol=0, atol=1e-12))


@dataclass
class SosFilter:
    """A causal IIR filter in second-order sections with explicit state.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        Second-order sections as returned by ``scipy.signal`` with ``output="sos"``.
    n_channels : int, optional
        Filter this many channels at once (rows of a ``(n_channels, n_samples)`` chunk, one
        ``sosfilt`` call for all); the state is then ``(n_sections, n_channels, 2)``.  Default:
        one channel, chunks ``(n_samples,)``, state ``(n_sections, 2)``.

    Notes
    -----
    The state starts at rest (zeros).  Use :meth:`prime` to start in the steady
    state for a constant input (avoids a start-up transient on a DC offset).
    Each channel of a stacked filter gives what a one-channel filter of its own gives.
    """

    sos: FloatArray
    n_channels: int | None = None
    zi: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.sos = np.ascontiguousarray(self.sos, dtype=np.float64)
        if self.sos.ndim != 2 or self.sos.shape[1] != 6:
            raise ValueError(f"sos must have shape (n_sections, 6), got {self.sos.shape}")
        self.reset()

    def reset(self) -> None:
        """Return the state to rest (zeros)."""
        n = self.sos.shape[0]
        self.zi = np.zeros((n, 2) if self.n_channels is None else (n, self.n_channels, 2))

    def prime(self, x0: float) -> None:
        """Set the state to the steady state for a constant input ``x0`` (on every channel)."""
        zi = sps.sosfilt_zi(self.sos) * float(x0)
        self.zi = zi if self.n_channels is None else np.repeat(zi[:, None, :], self.n_channels, axis=1)

    def process(self, chunk: npt.ArrayLike, *, rows: npt.NDArray[np.intp] | None = None) -> FloatArray:
        """Filter one chunk and carry the state to the next.

        Parameters
        ----------
        chunk : array_like, shape (n_samples,), or (n_channels, n_samples) when stacked
            Next samples, any unit (the output has the same unit).
        rows : ndarray of int, optional
            Stacked filters only: the chunk holds these channels (in this order), and
            only their state moves on.  Default all channels.

        Returns
        -------
        ndarray, the shape of ``chunk``

        Notes
        -----
        The numbers are ``scipy.signal.sosfilt(sos, chunk, axis=-1, zi=zi)``'s.  Where SciPy has
        its C loop where 1.x keeps it, that loop is called directly: ``sosfilt``'s argument
        checks cost ten times the filtering of a 25-sample packet (``tests/signal``
        checks both ways give the same numbers).
        """
        x = np.asarray(chunk, dtype=np.float64)
        if x.shape[-1] == 0:
            return np.zeros(x.shape, dtype=np.float64)
        zi = self.zi if rows is None else self.zi[:, rows]
        if _sosfilt_kernel is None:
            y, zi = sps.sosfilt(self.sos, x, axis=-1, zi=zi)
        else:
            y, zi = _filter_rows(self.sos, x, zi)
        if rows is None:
            self.zi = zi
        else:
            self.zi[:, rows] = zi
        return np.asarray(y, dtype=np.float64)


def _filter_rows(sos: FloatArray, x: FloatArray, zi: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``sosfilt(sos, x, axis=-1, zi=zi)`` through SciPy's C loop: x ``(n,)`` or ``(n_rows, n)``."""
    assert _sosfilt_kernel is not None
    y = np.array(x.reshape(-1, x.shape[-1]), dtype=np.float64, order="C")  # the loop works in place
    # the loop's state layout is (n_rows, n_sections, 2), updated in place: a copy, as sosfilt takes
    state = np.array((zi[:, None] if x.ndim == 1 else zi).transpose(1, 0, 2), dtype=np.float64, order="C")
    if state.shape[0] != y.shape[0]:
        raise ValueError(f"filter state for {state.shape[0]} channels, chunk has {y.shape[0]}")
    _sosfilt_kernel(sos, y, state)
    out_zi = state.transpose(1, 0, 2)
    return y.reshape(x.shape), (out_zi[:, 0] if x.ndim == 1 else out_zi)


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


if _sosfilt_kernel is not None and not _kernel_agrees():  # pragma: no cover - a SciPy that changed it
    _sosfilt_kernel = None
