"""Small helpers shared by the classic detectors (runs, validation, burst records).

Kept apart from any one detector so that each detector module holds only its
method.  Intervals are half-open ``[start, stop)`` sample indices.
"""

from __future__ import annotations

import numpy as np

from glutesense.detect.base import Burst, DetectionInput
from glutesense.model.arrays import FloatArray
from glutesense.signal.envelope import rms_envelope
from glutesense.signal.runs import runs_of
from glutesense.signal.units import index_at, n_samples, time_at

PEAK_ENVELOPE_S = 0.05
"""RMS window of the envelope a burst's ``peak_uv`` is read from (all detectors alike), seconds."""


def merge_runs(runs: list[tuple[int, int]], gap_n: int) -> list[tuple[int, int]]:
    """Merge runs separated by fewer than ``gap_n`` samples."""
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < gap_n:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def require_duration(
    detector: str, label: str, value_ms: float, fs_hz: float, *, min_samples: int = 1
) -> int:
    """Samples spanned by ``value_ms`` at ``fs_hz``; ValueError if fewer than ``min_samples``.

    Raises
    ------
    ValueError
        Naming the detector, the setting, its value and the sample rate.
    """
    n = round(value_ms * fs_hz / 1000.0) if np.isfinite(value_ms) else 0
    if not np.isfinite(value_ms) or n < min_samples:
        raise ValueError(
            f"detector {detector!r}: {label}={value_ms:g} ms spans {n} sample(s) at {fs_hz:g} Hz "
            f"(needs at least {min_samples}; sample period {1000.0 / fs_hz:g} ms)"
        )
    return n


def require_below_nyquist(detector: str, label: str, value_hz: float, fs_hz: float) -> None:
    """ValueError unless ``0 < value_hz < fs_hz / 2``."""
    if not 0.0 < value_hz < 0.5 * fs_hz:
        raise ValueError(
            f"detector {detector!r}: {label}={value_hz:g} Hz must lie between 0 and the Nyquist "
            f"frequency {0.5 * fs_hz:g} Hz of a {fs_hz:g} Hz channel"
        )


def rest_slice(detector: str, data: DetectionInput, *, min_samples: int = 20) -> slice:
    """Index slice of the resting window within ``data.signal_uv`` (finite samples checked).

    Raises
    ------
    ValueError
        When the window holds fewer than ``min_samples`` finite samples.
    """
    a = max(index_at(data.rest_s[0], data.fs_hz, data.t0_s), 0)
    b = min(index_at(data.rest_s[1], data.fs_hz, data.t0_s), data.signal_uv.size)
    if b - a < min_samples or np.isfinite(data.signal_uv[a:b]).sum() < min_samples:
        raise ValueError(
            f"detector {detector!r}: resting window [{data.rest_s[0]:g}, {data.rest_s[1]:g}) s holds fewer "
            f"than {min_samples} finite samples"
        )
    return slice(a, b)


def make_bursts(
    data: DetectionInput,
    spans: list[tuple[int, int, int]],
    *,
    detector: str,
    rest: slice,
) -> tuple[Burst, ...]:
    """Burst records for ``(onset, alarm, stop)`` index triples, peak and confidence read alike for all.

    ``peak_uv`` is the maximum of a 50 ms moving-RMS envelope within ``[onset, stop)``; confidence is a
    logistic function of 20 log10(peak / resting envelope median), 0.5 at 6 dB.
    """
    fs = data.fs_hz
    env = rms_envelope(data.signal_uv, fs, window_s=max(PEAK_ENVELOPE_S, 3.0 / fs))
    rest_env = env[rest]
    rest_level = float(np.nanmedian(rest_env)) if np.isfinite(rest_env).any() else 0.0
    out: list[Burst] = []
    for onset_i, alarm_i, stop_i in spans:
        seg = env[onset_i : max(stop_i, onset_i + 1)]
        if np.isfinite(seg).any():
            peak_i = onset_i + int(np.nanargmax(seg))
            peak_uv = float(env[peak_i])
        else:
            peak_i, peak_uv = onset_i, float("nan")
        ratio = max(peak_uv, 1e-12) / max(rest_level, 1e-12) if np.isfinite(peak_uv) else 1.0
        snr_db = 20.0 * np.log10(ratio)
        out.append(
            Burst(
                onset_s=time_at(onset_i, fs, data.t0_s),
                offset_s=time_at(stop_i, fs, data.t0_s),
                peak_s=time_at(peak_i, fs, data.t0_s),
                peak_uv=peak_uv,
                confidence=float(1.0 / (1.0 + np.exp(-(snr_db - 6.0) / 2.0))),
                detector=detector,
                alarm_s=time_at(alarm_i, fs, data.t0_s),
            )
        )
    return tuple(out)


def threshold_bursts(
    test: FloatArray,
    level: float,
    *,
    fs_hz: float,
    min_on_ms: float,
    merge_gap_ms: float,
    lead_n: int = 0,
) -> list[tuple[int, int, int]]:
    """``(onset, alarm, stop)`` triples where ``test`` stays above ``level`` for at least ``min_on_ms``.

    Runs shorter than ``min_on_ms`` are dropped, then runs closer than ``merge_gap_ms`` merged; the
    onset is the alarm moved back by
    ``lead_n`` samples (for example half a centred window), never before the previous burst's stop.
    NaN never counts as above.
    """
    above = np.nan_to_num(test, nan=-np.inf) > level
    min_on = n_samples(min_on_ms / 1000.0, fs_hz)
    long_runs = [(a, b) for a, b in runs_of(above) if b - a >= min_on]
    runs = merge_runs(long_runs, n_samples(merge_gap_ms / 1000.0, fs_hz))
    out: list[tuple[int, int, int]] = []
    prev_stop = 0
    for a, b in runs:
        out.append((max(a - lead_n, prev_stop, 0), a, b))
        prev_stop = b
    return out
