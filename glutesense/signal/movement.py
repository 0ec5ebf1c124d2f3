"""Movement from a thigh (or pelvis) IMU: tilt change, lifts and movement onset.

The tilt of the segment is the angle between the low-passed gravity vector and
its resting direction (slow drift is handled by measuring each departure from a
local level just before it); it finds the lifts.  Movement onsets come from the
gyroscope when there is one (:func:`movement_onset_gyro`: the angular rate leaves
its resting noise the moment the segment starts to turn, while the tilt needs time
to grow and is low-passed), else from the tilt (:func:`movement_onset`);
:func:`movement_onset_imu` picks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.model.robust import median_sd, robust_sd
from glutesense.signal.filters import zero_phase_lowpass
from glutesense.signal.runs import runs_of
from glutesense.signal.units import index_at, n_samples, time_at


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


@dataclass(frozen=True)
class AngularRate:
    """Angular rate of the sensor's segment from a 3-axis gyroscope.

    Attributes
    ----------
    rate_dps : ndarray, shape (3, n_samples)
        Angular rate, deg/s, as measured (bias and drift included; NaN where lost).
    fs_hz, t0_s : float
    """

    rate_dps: FloatArray
    fs_hz: float
    t0_s: float


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
    tilt: Tilt,
    *,
    rate: AngularRate | None = None,
    min_change_deg: float = 10.0,
    min_hold_s: float = 0.5,
) -> tuple[tuple[float, float], ...]:
    """Sustained tilt changes (lifts), as ``(start_s, stop_s)`` with start at the movement onset.

    A lift is a run where the tilt exceeds half of ``min_change_deg`` that
    reaches ``min_change_deg`` and lasts at least ``min_hold_s``; its start is
    then moved back to the movement onset (:func:`movement_onset_imu`: from
    ``rate`` when given, else from the tilt).
    """
    x = np.nan_to_num(tilt.angle_deg, nan=0.0)
    high = x > min_change_deg
    runs = runs_of(x > 0.5 * min_change_deg)
    hold = n_samples(min_hold_s, tilt.fs_hz)
    lifts = []
    for a, b in runs:
        if b - a < hold or not high[a:b].any():
            continue
        pre_s = time_at(max(a - n_samples(1.0, tilt.fs_hz), 0), tilt.fs_hz, tilt.t0_s)
        onset = movement_onset_imu(tilt, rate, after_s=pre_s, before_s=time_at(b, tilt.fs_hz, tilt.t0_s))
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
    noise = robust_sd(pre, center=level) if pre.size > 2 else 0.0
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


def _crossing(x: FloatArray, level: float, start: int) -> float | None:
    """First fractional index ``>= start`` where ``x`` reaches ``level`` (linear between samples)."""
    k = np.flatnonzero(x[start:] >= level)
    if not k.size:
        return None
    i = start + int(k[0])
    if i == 0 or not np.isfinite(x[i - 1]) or x[i - 1] >= level:
        return float(i)
    return i - 1 + (level - x[i - 1]) / (x[i] - x[i - 1])


RISE_LEVEL_FRACTION = 0.03
RISE_LEVEL_STEP = 3.0


def _rise_start(p: FloatArray, j: int, peak: float, rest: float) -> float | None:
    """Where a rise from rest starts, by extrapolating its first part back to zero (fractional index).

    Near its start a movement's rate grows as a power of the time since the start, ``c (t - t0)^n``
    (``n = 1`` when it starts with a finite angular acceleration, ``n = 2`` for a minimum-jerk start).
    The times ``t1, t2, t3`` where the rate reaches ``L, rL, r^2 L`` give ``r^(1/n) = (t3 - t2) / (t2 - t1)``
    and ``t0 = t1 - (t2 - t1) / (r^(1/n) - 1)``; ``n`` is kept within 1..3.  ``L`` is 3 % of the peak,
    at least twice the resting level, and ``r`` is 3.
    """
    r = RISE_LEVEL_STEP
    level = max(RISE_LEVEL_FRACTION * peak, 2.0 * rest)
    if r * r * level > 0.95 * peak:
        return None
    t1, t2, t3 = (_crossing(p, f * level, j) for f in (1.0, r, r * r))
    if t1 is None or t2 is None or t3 is None or not t1 < t2 < t3:
        return None
    ratio = min(max((t3 - t2) / (t2 - t1), r ** (1.0 / 3.0)), r)
    return t1 - (t2 - t1) / (ratio - 1.0)


def movement_onset_gyro(
    rate: AngularRate,
    *,
    after_s: float,
    before_s: float,
    min_rate_dps: float = 5.0,
    peak_fraction: float = 0.2,
    sustain_s: float = 0.1,
    local_s: float = 0.5,
    k_sd: float = 4.0,
    smooth_s: float = 0.03,
) -> float | None:
    """Movement onset from the angular rate: where it leaves its resting noise for a sustained movement.

    1. **Bias and drift.** The gyroscope's bias (and any slow drift of it) is the per-axis median of
       the rate over the ``local_s`` before ``after_s`` (the segment is still then), subtracted from
       every axis; a bias that drifts slowly changes little within one window, so neither matters.
    2. **Sustained movement** (:func:`_sustained_start`): the first run in ``[after_s, before_s)``
       where the magnitude of the bias-removed rate stays above ``max(min_rate_dps, peak_fraction x the
       window's peak, resting level)`` for ``sustain_s``.
    3. **Backtracking to rest** (:func:`_back_to_rest`): on the movement's rotation axis, from the
       sustained run back to the last sample within ``k_sd`` robust SDs of rest (baseline plus k SD,
       as in Hodges & Bui 1996, applied to angular rate).
    4. **The start of the rise** (:func:`_rise_start`): the rise from there extrapolated back to zero
       rate, not later than the sample after the last resting one nor earlier than ``after_s``.  A
       threshold crossing late on the rise is avoided this way; on the virtual person's bridge lifts
       the onset is within a few ms of the truth.

    Parameters
    ----------
    rate : AngularRate
    after_s, before_s : float
        Search window, s (for a cued rep: the cue and the next ``lower``).
    min_rate_dps : float
        A movement turns the segment at least this fast, deg/s.
    peak_fraction : float
        ... and at least this share of the window's peak rate.
    sustain_s : float
        ... for at least this long, s.
    local_s : float
        Pre-window for bias and resting noise, s.
    k_sd : float
        Resting level = median + ``k_sd`` robust SDs of the resting rate.
    smooth_s : float
        Centred moving average applied to the projected rate before backtracking, s.

    Returns
    -------
    float or None
        Movement onset, s, not before ``after_s``; None without a sustained movement in the window
        (or without finite gyroscope samples).
    """
    fs = rate.fs_hz
    x = rate.rate_dps
    a = max(index_at(after_s, fs, rate.t0_s), 0)
    b = min(index_at(before_s, fs, rate.t0_s), x.shape[1])
    if b - a < 3:
        return None
    lo = max(a - n_samples(local_s, fs), 0)
    pre = _still_samples(x, lo, a, b)
    if pre is None:
        return None
    bias = np.median(pre, axis=1, keepdims=True)
    centred, rest = x[:, lo:b] - bias, pre - bias  # NaN where lost
    off = a - lo
    sustain = n_samples(sustain_s, fs)
    i = _sustained_start(centred, rest, off, sustain, min_rate_dps, peak_fraction, k_sd)
    if i is None:
        return None
    onset = _back_to_rest(centred, rest, i, sustain, n_samples(smooth_s, fs), n_samples(1.0, fs), k_sd)
    if onset is None:
        return time_at(a, fs, rate.t0_s)
    return time_at(a, fs, rate.t0_s) + max(onset - off, 0.0) / fs


def _still_samples(x: FloatArray, lo: int, a: int, b: int) -> FloatArray | None:
    """The rate while the segment is still: the finite samples of ``[lo, a]``, or without a still
    period before the window, the quietest tenth of the window; None without finite samples."""
    pre = x[:, lo : a + 1]
    pre = pre[:, np.all(np.isfinite(pre), axis=0)]
    if pre.shape[1] >= 3:
        return pre
    win = x[:, a:b]
    win = win[:, np.all(np.isfinite(win), axis=0)]
    if win.shape[1] < 3:
        return None
    mag = np.linalg.norm(win - np.median(win, axis=1, keepdims=True), axis=0)
    return win[:, mag <= np.percentile(mag, 10)]


def _sustained_start(
    centred: FloatArray,
    rest: FloatArray,
    off: int,
    sustain: int,
    min_rate_dps: float,
    peak_fraction: float,
    k_sd: float,
) -> int | None:
    """Index (in ``centred``) of the first run from ``off`` where the rate's magnitude stays above
    ``max(min_rate_dps, peak_fraction x peak, resting level)`` for ``sustain`` samples (resting level:
    median + ``k_sd`` MAD-SDs of the still magnitude, at least 0.5 deg/s); None without one."""
    w = np.linalg.norm(centred, axis=0)
    w_level, w_sd = median_sd(np.linalg.norm(rest, axis=0))
    inside = w[off:]
    if not np.isfinite(inside).any():
        return None
    thr = max(min_rate_dps, peak_fraction * float(np.nanmax(inside)), w_level + k_sd * w_sd, 0.5)
    above = np.nan_to_num(inside, nan=0.0) > thr
    run = np.convolve(above.astype(np.int32), np.ones(sustain, dtype=np.int32), mode="valid")
    hits = np.flatnonzero(run == sustain)
    return None if hits.size == 0 else off + int(hits[0])


def _back_to_rest(
    centred: FloatArray, rest: FloatArray, i: int, sustain: int, smooth: int, peak_n: int, k_sd: float
) -> float | None:
    """Where the movement found at ``i`` started (fractional index in ``centred``); None when the rate
    never was at rest before it.

    The rate is projected on the movement's rotation axis (a signed rate whose resting noise has zero
    mean, unlike a magnitude) and smoothed over ``smooth`` samples (centred; the rise fit uses the
    unsmoothed rate, which a centred average would smear ahead of the start).  The last sample within
    ``k_sd`` robust SDs of its resting level is found walking back from ``i``; the rise from there is
    extrapolated to zero rate (:func:`_rise_start`), not later than the next sample.
    """
    axis = np.nanmean(centred[:, i : i + sustain], axis=1)
    axis = axis / max(float(np.linalg.norm(axis)), 1e-12)
    width = max(2 * (smooth // 2) + 1, 1)
    raw = axis @ centred
    p = np.convolve(raw, np.ones(width) / width, mode="same")  # NaN spreads: not rest
    p_pre = np.convolve(axis @ rest, np.ones(width) / width, mode="valid")
    if p_pre.size < 3:
        p_pre = axis @ rest
    p_level, p_sd = median_sd(p_pre)
    p_rest = p_level + max(k_sd * p_sd, 0.2)
    quiet = np.flatnonzero(p[: i + 1] <= p_rest)  # NaN is not rest
    if not quiet.size:
        return None
    j = int(quiet[-1])
    peak = float(np.nanmax(p[j : i + sustain + peak_n])) - p_level
    start = _rise_start(raw - p_level, j, peak, p_rest - p_level)  # unsmoothed: no smear at the kink
    return float(j) if start is None else min(start, float(j + 1))


def movement_onset_imu(
    tilt: Tilt | None, rate: AngularRate | None, *, after_s: float, before_s: float
) -> float | None:
    """Movement onset from the gyroscope when there is one (:func:`movement_onset_gyro`), else from the
    tilt (:func:`movement_onset`); None without either, or without a movement in the window."""
    if rate is not None:
        onset = movement_onset_gyro(rate, after_s=after_s, before_s=before_s)
        if onset is not None or tilt is None:
            return onset
    if tilt is None:
        return None
    return movement_onset(tilt, after_s=after_s, before_s=before_s)
