"""Onset detection on a plain array: ``glutesense.detect.onsets(emg_uv, fs_hz=..., rest=...)``.

The same conditioning and detectors as :func:`glutesense.analysis.pipeline.analyze`, for one
channel held as a NumPy array (NeuroKit2's ``emg_activation`` use, with physical units).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from glutesense.detect.base import Burst, DetectionInput
from glutesense.detect.registry import make_detector
from glutesense.signal.condition import ConditionSettings, condition_emg
from glutesense.signal.envelope import quietest_window, rms_envelope

QUIET_WINDOW_S = 2.0  # as AnalysisSettings.quiet_window_s
TRACE_WINDOW_S = 0.1


def onsets(
    emg_uv: npt.ArrayLike,
    *,
    fs_hz: float,
    rest: tuple[float, float] | None = None,
    detector: str = "default",
    t0_s: float = 0.0,
    conditioned: bool = False,
) -> tuple[Burst, ...]:
    """Activation bursts (onset, offset, peak, confidence) in one raw EMG channel.

    Parameters
    ----------
    emg_uv : array_like, shape (n_samples,)
        Raw surface EMG, µV (NaN where samples were lost).
    fs_hz : float
        Sample rate (at least 50 Hz).
    rest : (start_s, stop_s), optional
        A span where the muscle rests, for the baseline; default the quietest 2 s.
    detector : str
        A name in :data:`glutesense.detect.DETECTORS`.
    t0_s : float
        Time of the first sample; onsets are given on the same clock.
    conditioned : bool
        The signal is already band-passed (skip glutesense's 20-450 Hz band-pass and mains notch).

    Returns
    -------
    tuple of Burst
        In time order; ``onset_s`` is where the activation leaves its resting level.

    Raises
    ------
    ValueError
        A sample rate too low for EMG, a 2-D array, or a rest span with too few samples.

    Examples
    --------
    >>> import numpy as np
    >>> from glutesense import detect
    >>> rng = np.random.default_rng(0)
    >>> fs = 1000.0
    >>> t = np.arange(int(6 * fs)) / fs
    >>> emg = rng.normal(0, 5, t.size) + np.where(t >= 3.0, 60.0, 0.0) * rng.normal(0, 1, t.size)
    >>> bursts = detect.onsets(emg, fs_hz=fs, rest=(0.0, 2.5))
    >>> len(bursts), abs(bursts[0].onset_s - 3.0) < 0.03
    (1, True)
    """
    x = np.asarray(emg_uv, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"emg_uv must be one channel, shape (n_samples,); got shape {x.shape}")
    signal = x if conditioned else condition_emg(x, fs_hz, settings=ConditionSettings()).signal_uv
    if rest is None:
        env = rms_envelope(signal, fs_hz, window_s=TRACE_WINDOW_S)
        rest = quietest_window(env, fs_hz, window_s=QUIET_WINDOW_S, t0_s=t0_s)
    start_s, stop_s = float(rest[0]), float(rest[1])
    if (stop_s - start_s) * fs_hz < 10:
        raise ValueError(f"rest span {start_s:g}-{stop_s:g} s holds too few samples at {fs_hz:g} Hz")
    return make_detector(detector).detect(
        DetectionInput(signal, float(fs_hz), float(t0_s), (start_s, stop_s))
    )
