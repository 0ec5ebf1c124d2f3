"""Movement from a thigh (or pelvis) accelerometer: tilt change, lifts and movement onset.

The tilt of the segment is the angle between the low-passed gravity vector and
its resting direction (slow drift is handled by measuring each departure from a
local level just before it).  A gyroscope, when present, is not needed for
tilt; it may refine onsets later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from glutesense.signal.envelope import MAD_TO_SD
from glutesense.signal.filters import zero_phase_lowpass
from glutesense.signal.units import index_at, n_samples, time_at

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Tilt:
    """Tilt of the sensor's segment relative to rest.

    Attributes
    ----------
    angle_deg : ndarray, shape (n_samples,)
        Angle between gravity now and gravity at rest, degrees (NaN in gaps).
    fs_hz, t0_s : float
    """

    angle_deg: FloatArray
    fs_hz: float
    t0_s: float

    @property
    def t_s(self) -> FloatArray:
        return self.t0_s + np.arange(self.angle_deg.size) / self.fs_hz


def _fill_nan(x: FloatArray) -> FloatArray:
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return x.copy()
    i = np.arange(x.size)
    return np.interp(i, i[ok], x[ok])


def tilt_from_acc(
    acc_g: FloatArray,
    fs_hz: float,
    *,
    t0_s: float = 0.0,
    rest_s: tuple[float, float] | None = None,
    lowpass_hz: float = 3.0,
) -> Tilt:
    """Tilt angle from a 3-axis accelerometer.

    Parameters
    ----------
    acc_g : ndarray, shape (3, n_samples)
        Acceleration, g (NaN where lost).
    fs_hz : float
    t0_s : float
        Time of the first sample.
    rest_s : (float, float), optional
        Resting window for the reference direction (default: the first second).
    lowpass_hz : float
        Zero-phase low-pass applied to each axis first.
    """
    lost = ~np.all(np.isfinite(acc_g), axis=0)
    smooth = np.vstack([zero_phase_lowpass(_fill_nan(a), lowpass_hz, fs_hz) for a in acc_g])
    start_s, stop_s = rest_s if rest_s is not None else (t0_s, t0_s + 1.0)
    a = max(index_at(start_s, fs_hz, t0_s), 0)
    b = min(max(index_at(stop_s, fs_hz, t0_s), a + 1), smooth.shape[1])
    ref = np.median(smooth[:, a:b], axis=1)
    unit = smooth / np.maximum(np.linalg.norm(smooth, axis=0), 1e-9)
    ref = ref / max(float(np.linalg.norm(ref)), 1e-9)
    angle = np.degrees(np.arccos(np.clip(ref @ unit, -1.0, 1.0)))
    angle[lost] = np.nan
    return Tilt(angle, fs_hz, t0_s)


def find_lifts(
    tilt: Tilt, *, min_change_deg: float = 10.0, min_hold_s: float = 0.5
) -> tuple[tuple[float, float], ...]:
    """Sustained tilt changes (lifts), as ``(start_s, stop_s)`` with start at the movement onset.

    A lift is a run where the tilt exceeds half of ``min_change_deg`` that
    reaches ``min_change_deg`` and lasts at least ``min_hold_s``; its start is
    then moved back to the movement onset (:func:`movement_onset`).
    """
    x = np.nan_to_num(tilt.angle_deg, nan=0.0)
    high = x > min_change_deg
    edges = np.diff(np.concatenate(([0], (x > 0.5 * min_change_deg).astype(np.int8), [0])))
    runs = zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True)
    hold = n_samples(min_hold_s, tilt.fs_hz)
    lifts = []
    for a, b in runs:
        if b - a < hold or not high[a:b].any():
            continue
        pre_s = time_at(max(a - n_samples(1.0, tilt.fs_hz), 0), tilt.fs_hz, tilt.t0_s)
        onset = movement_onset(tilt, after_s=pre_s, before_s=time_at(b, tilt.fs_hz, tilt.t0_s))
        lifts.append(
            (
                onset if onset is not None else time_at(a, tilt.fs_hz, tilt.t0_s),
                time_at(b, tilt.fs_hz, tilt.t0_s),
            )
        )
    return tuple(lifts)


def movement_onset(
    tilt: Tilt,
    *,
    after_s: float,
    before_s: float,
    min_change_deg: float = 5.0,
    sustain_s: float = 0.2,
    local_s: float = 0.5,
) -> float | None:
    """First sustained departure of the tilt from its level just before ``after_s``.

    The local level and noise are the median and MAD-SD of the tilt over the
    ``local_s`` before ``after_s`` (robust to slow drift).  The departure must
    exceed ``max(min_change_deg, 20 % of the window's peak change)`` for
    ``sustain_s``.  A movement from rest starts with zero velocity, so its
    departure grows quadratically at first: with ``t1`` and ``t2`` the times
    the departure first reaches 10 % and 40 % of its peak, ``sqrt(departure)``
    is about linear in time and extrapolates to zero at ``t1 - (t2 - t1)``.
    That is the onset, not earlier than where the tilt was last within
    ``max(1 deg, 3 SD)`` of the local level minus ``t2 - t1``, nor before
    ``after_s``.  (Walking back to a fixed level alone reports the onset late,
    by the time the tilt needs to reach that level: 100-200 ms for a bridge.)

    Returns
    -------
    float or None
        Movement onset, seconds; None if there is no such departure in ``[after_s, before_s)``.
    """
    fs = tilt.fs_hz
    x = tilt.angle_deg
    a = max(index_at(after_s, fs, tilt.t0_s), 0)
    b = min(index_at(before_s, fs, tilt.t0_s), x.size)
    if b - a < 2:
        return None
    pre = x[max(a - n_samples(local_s, fs), 0) : a + 1]
    pre = pre[np.isfinite(pre)]
    level = float(np.median(pre)) if pre.size else float(np.nanmedian(x[a:b]))
    noise = MAD_TO_SD * float(np.median(np.abs(pre - level))) if pre.size > 2 else 0.0
    dev = np.abs(np.nan_to_num(x[a:b], nan=level) - level)
    thr = max(min_change_deg, 0.2 * float(dev.max()))
    sustain = n_samples(sustain_s, fs)
    above = (dev > thr).astype(np.int32)
    run = np.convolve(above, np.ones(sustain, dtype=np.int32), mode="valid")
    hits = np.flatnonzero(run == sustain)
    if hits.size == 0:
        return None
    i = int(hits[0])
    quiet = np.flatnonzero(dev[: i + 1] <= max(1.0, 3.0 * noise))
    j = int(quiet[-1]) if quiet.size else 0
    seg = dev[j:]
    peak = float(seg[: i - j + sustain + n_samples(1.0, fs)].max()) if seg.size else 0.0
    up10 = np.flatnonzero(seg >= 0.1 * peak)
    up40 = np.flatnonzero(seg >= 0.4 * peak)
    if not up10.size or not up40.size or up40[0] <= up10[0]:
        return time_at(a + j, fs, tilt.t0_s)
    span = float(up40[0] - up10[0])
    onset = j + up10[0] - span
    return time_at(a + max(onset, j - span, -float(a)), fs, tilt.t0_s)
