"""Touchdowns (initial contact) and toe-offs from a shank or thigh gyroscope (pure functions).

The method follows Aminian et al. (2002) and Salarian et al. (2004): the sagittal angular velocity
of the shank peaks in mid-swing (the leg swinging forward); the heel strikes at the sharp negative
minimum that follows each mid-swing peak, and the toe leaves the ground at the minimum that
precedes it.  Aminian et al. found heel strikes from the shank gyroscope about 10 ms later than
from foot switches and toe-offs without a significant error.  The thigh shows the same swing peak
with a smoother minimum after it, so touchdowns from a thigh gyroscope are less precise (said in a
note).

Steps: the gyroscope's bias (median) is removed; the sagittal axis is the first principal direction
of the low-passed (``SWING_LP_HZ``) angular velocity, signed so that the swing peaks are positive
(they are the largest excursions of the signal); mid-swing peaks are maxima of the low-passed
signal above ``PEAK_FRACTION`` of its high percentile, at least ``MIN_STRIDE_S`` apart; heel strike
and toe-off are the minima of the lightly filtered signal (``EVENT_LP_HZ``) within
``SEARCH_FRACTION`` of the median stride after and before each peak.

A single IMU sits on one leg (``meta["imu_site"]``, e.g. ``"shank_r"``, ``"right shank"``); the
other leg's touchdowns are taken halfway between this leg's (the feet alternate; gait asymmetry
moves them by a few % of the cycle), and a note says so.

References
----------
Aminian, K., Najafi, B., Büla, C., Leyvraz, P.-F. & Robert, Ph. (2002). Spatio-temporal parameters of
gait measured by an ambulatory system using miniature gyroscopes. *J. Biomech.* 35(5), 689-699.
Salarian, A., Russmann, H., Vingerhoets, F. J. G., et al. (2004). Gait assessment in Parkinson's
disease: toward an ambulatory system for long-term monitoring. *IEEE Trans. Biomed. Eng.* 51(8),
1434-1443.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import signal as sps

from glutesense.model.arrays import FloatArray
from glutesense.model.roles import Side
from glutesense.signal.filters import zero_phase_lowpass
from glutesense.signal.movement import AngularRate

SWING_LP_HZ = 4.0
"""Low-pass of the signal the mid-swing peaks are found in (walking and running: 0.7-1.6 Hz strides)."""
EVENT_LP_HZ = 15.0
"""Low-pass of the signal the heel-strike and toe-off minima are found in (keeps the sharp minimum)."""
PEAK_FRACTION = 0.35
"""A mid-swing peak reaches this fraction of the 98th percentile of the low-passed signal."""
MIN_PEAK_DPS = 50.0
"""... and at least this angular velocity."""
MIN_STRIDE_S = 0.45
"""Mid-swing peaks closer than this are one swing."""
SEARCH_FRACTION = 0.35
"""Heel strike: the minimum within this share of the median stride after a mid-swing peak (toe-off:
before it)."""

_SITE_WORDS = {"shank": "shank", "tibia": "shank", "calf": "shank", "thigh": "thigh", "femur": "thigh"}
_SIDE_WORDS = {"l": Side.LEFT, "left": Side.LEFT, "r": Side.RIGHT, "right": Side.RIGHT}


@dataclass(frozen=True)
class GaitEvents:
    """Gait events of the instrumented leg, seconds.

    Attributes
    ----------
    touchdowns_s, toe_offs_s : ndarray
        Heel strikes and toe-offs, in time order.
    peaks_s : ndarray
        Mid-swing peaks.
    """

    touchdowns_s: FloatArray
    toe_offs_s: FloatArray
    peaks_s: FloatArray


@dataclass(frozen=True)
class ImuTouchdowns:
    """Touchdowns per side found from the IMU, how, and notes for the report."""

    touchdowns: Mapping[Side, tuple[float, ...]]
    source: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def imu_site(meta: Mapping[str, object]) -> tuple[str | None, Side | None]:
    """Segment (``"shank"``/``"thigh"``/other) and side of the IMU from ``meta["imu_site"]``."""
    value = meta.get("imu_site")
    if not isinstance(value, str):
        return None, None
    words = [w for w in value.lower().replace("-", " ").replace("_", " ").split() if w]
    segment = next((_SITE_WORDS[w] for w in words if w in _SITE_WORDS), words[0] if words else None)
    side = next((_SIDE_WORDS[w] for w in words if w in _SIDE_WORDS), None)
    return segment, side


def sagittal_rate(rate: AngularRate) -> FloatArray:
    """Angular velocity about the leg's main (sagittal) axis, deg/s, swing peaks positive."""
    x = np.asarray(rate.rate_dps, dtype=np.float64)
    filled = np.vstack([_fill(a) for a in x])
    filled -= np.median(filled, axis=1, keepdims=True)
    smooth = np.vstack(
        [zero_phase_lowpass(a, min(SWING_LP_HZ, 0.4 * rate.fs_hz), rate.fs_hz) for a in filled]
    )
    _, _, vt = np.linalg.svd(smooth @ smooth.T)
    w = vt[0]
    proj = w @ filled
    lp = w @ smooth
    hi, lo = np.percentile(lp, 99.5), np.percentile(lp, 0.5)
    return np.asarray(proj if hi >= -lo else -proj, dtype=np.float64)


def _fill(x: FloatArray) -> FloatArray:
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return np.nan_to_num(x)
    i = np.arange(x.size)
    return np.interp(i, i[ok], x[ok])


def gait_events(omega_dps: FloatArray, fs_hz: float, *, t0_s: float = 0.0) -> GaitEvents:
    """Heel strikes, toe-offs and mid-swing peaks from the sagittal angular velocity (module docstring).

    Parameters
    ----------
    omega_dps : ndarray, shape (n_samples,)
        Sagittal angular velocity of the shank (or thigh), deg/s, swing peaks positive.
    fs_hz : float
    t0_s : float
        Time of the first sample.
    """
    empty = np.zeros(0)
    if omega_dps.size < fs_hz * 2 * MIN_STRIDE_S:
        return GaitEvents(empty, empty, empty)
    swing = zero_phase_lowpass(omega_dps, min(SWING_LP_HZ, 0.4 * fs_hz), fs_hz)
    sharp = zero_phase_lowpass(omega_dps, min(EVENT_LP_HZ, 0.4 * fs_hz), fs_hz)
    height = max(PEAK_FRACTION * float(np.percentile(swing, 98)), MIN_PEAK_DPS)
    peaks, _ = sps.find_peaks(swing, height=height, distance=max(1, round(MIN_STRIDE_S * fs_hz)))
    if peaks.size < 2:
        return GaitEvents(empty, empty, t0_s + peaks / fs_hz)
    stride_n = float(np.median(np.diff(peaks)))
    reach = max(2, round(SEARCH_FRACTION * stride_n))
    hs, to = [], []
    for k, p in enumerate(peaks):
        nxt = peaks[k + 1] if k + 1 < peaks.size else omega_dps.size
        prv = peaks[k - 1] if k > 0 else -1
        a, b = p, min(p + reach, nxt, omega_dps.size)
        if b - a > 2 and p + reach <= omega_dps.size:
            hs.append(a + int(np.argmin(sharp[a:b])))
        a2, b2 = max(p - reach, prv + 1, 0), p
        if b2 - a2 > 2 and p - reach >= 0:
            to.append(a2 + int(np.argmin(sharp[a2:b2])))
    return GaitEvents(
        t0_s + np.asarray(hs, dtype=np.float64) / fs_hz,
        t0_s + np.asarray(to, dtype=np.float64) / fs_hz,
        t0_s + peaks / fs_hz,
    )


def _midpoints(td: FloatArray) -> tuple[float, ...]:
    return tuple(float(x) for x in 0.5 * (td[:-1] + td[1:]))


def touchdowns_from_imu(
    rate: AngularRate | None, meta: Mapping[str, object], sides: Sequence[Side]
) -> ImuTouchdowns:
    """Touchdowns per side from the gyroscope (module docstring); empty without one."""
    if rate is None:
        return ImuTouchdowns({}, "")
    segment, side = imu_site(meta)
    notes = []
    if side is None:
        side = sides[0] if len(sides) == 1 else Side.RIGHT
        notes.append(
            f"IMU leg not given (imu_site): taken as the {side.value} leg"
            + ("" if len(sides) == 1 else "; give imu_site (e.g. 'shank_l') if it was the other")
        )
    if segment == "thigh":
        notes.append("IMU on the thigh: touchdowns from the thigh's angular velocity are less precise")
    elif segment != "shank":
        notes.append(f"IMU site {segment or 'not given'}: read as a shank (the method assumes a leg segment)")
    events = gait_events(sagittal_rate(rate), rate.fs_hz, t0_s=rate.t0_s)
    td = events.touchdowns_s
    if td.size < 2:
        notes.append("no walking pattern in the gyroscope (fewer than two mid-swing peaks)")
        return ImuTouchdowns({}, "gyroscope", tuple(notes))
    out: dict[Side, tuple[float, ...]] = {side: tuple(float(x) for x in td)}
    if side.other in sides:
        out[side.other] = _midpoints(td)
        notes.append(
            f"{side.other.value} touchdowns placed halfway between the {side.value} leg's (one IMU): "
            "an uneven gait moves them by a few % of the cycle"
        )
    method = "Aminian et al. 2002; Salarian et al. 2004"
    return ImuTouchdowns(
        out, f"gyroscope ({segment or 'leg'}, heel strike after mid-swing; {method})", tuple(notes)
    )
