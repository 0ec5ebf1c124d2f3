"""Synthetic EMG with known onsets, shared by the detector tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

FloatArray = npt.NDArray[np.float64]

REST_S = (0.2, 3.0)
"""Resting window of :func:`burst_signal` recordings, seconds."""
ONSET_S = 4.0
"""Default activation onset of :func:`burst_signal`, seconds."""


def emg_like(rng: np.random.Generator, n: int, fs_hz: float) -> FloatArray:
    """Unit-RMS Gaussian noise band-limited to 20 Hz .. min(450, 0.45 fs) Hz."""
    sos = sps.butter(4, [20.0, min(450.0, 0.45 * fs_hz)], btype="bandpass", fs=fs_hz, output="sos")
    x = sps.sosfilt(sos, rng.standard_normal(n + 2000))[2000:]
    return np.asarray(x / x.std())


def burst_signal(
    fs_hz: float,
    *,
    snr_db: float,
    rise_ms: float,
    seed: int,
    duration_s: float = 7.0,
    onset_s: float = ONSET_S,
) -> FloatArray:
    """Rest noise (1 µV RMS) plus an activation rising from ``onset_s`` (raised cosine) to a plateau."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs_hz)
    t = np.arange(n) / fs_hz
    u = np.clip((t - onset_s) / max(rise_ms / 1000.0, 1e-9), 0.0, 1.0)
    amp = 10 ** (snr_db / 20.0) * (0.5 - 0.5 * np.cos(np.pi * u))
    return amp * emg_like(rng, n, fs_hz) + emg_like(rng, n, fs_hz)
