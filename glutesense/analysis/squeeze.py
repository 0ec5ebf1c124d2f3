"""Single-leg stand: the tries before the sustained squeeze, its onset and how fast it firms up.

A *try* (false start) is physiology, not noise: the person squeezes, the glute's EMG clearly rises
above the level it had before the cue, and dies back towards it before the contraction that holds.
Read on the EMG amplitude ``a(t)`` (the square root of the whitened short-bin power,
:mod:`glutesense.analysis.power`, over ``smooth_ms``; 1 at rest) from the squeeze cue to the held
contraction (the burst of the detector's passes that covers most of the time after the cue):

1. **Levels**: ``a0`` and SD are the median and robust SD of the amplitude in the ``local_ms`` before the
   cue when the glute already works there (the stance glute's tone), else at rest; ``H`` is the
   median amplitude over the last ``hold_share`` of the held burst.  A rise *clearly* leaves the
   baseline when it reaches ``on = max(a0 + max(on_sd SD, on_share (H - a0)), on_ratio a0)``; ``off =
   a0 + max(off_sd SD, off_share (H - a0))``; ``near = a0 + near_sd SD``.
2. **The sustained rise** is where the amplitude first reaches half the hold level and then stays
   above ``on`` (``hold_fill`` of the time) for ``sustained_s``.
3. **Rises** between the cue and it: each from where it left ``near`` to where it died back below
   ``max(off, a0 + relax_share (its peak - a0))`` without rising above ``on`` again within
   ``merge_gap_ms``.  Those that died back are tries; the one still rising is the sustained squeeze,
   and its start is the *foot*.  A dip of the more smoothed amplitude (``dip_smooth_ms``) below
   ``dip_share`` of the preceding peak's excess splits a rise into two tries that did not relax; a dip
   below ``squeeze_dip_share`` between the foot and the point where the squeeze reaches 80 % of the hold
   for good is a try that ran into the squeeze.  A rep with such a try is *not separable*: its count and
   onset are less certain, and the rep says so.  A rise shorter than ``min_try_ms``, above ``on`` for
   less than ``min_on_ms``, or with more than ``pop_share`` of its excess power inside ``pop_ms`` (an
   electrode pop), is not a try.
4. **Onset**: the detector's onset when it lies after the last try and at most ``foot_lead_ms`` before
   the foot; otherwise (a try merged into the detector's burst, a try too small to count, or the stance
   tone before it) the maximum-likelihood rise fit
   (:func:`glutesense.detect.risefit.fit_rise`) searched only after the foot, so a try is never taken
   as the onset.  ``foot_lead_ms`` (150 ms) is physiology: where a squeeze leaves its baseline by
   ``near_sd`` SD it has risen for at most some tens of ms even with a slow (300-500 ms) rise, so a
   detector onset much earlier lies on something before the squeeze (at a low SNR the detector's burst
   can start at a small try that never clears ``on``).
5. **Time to firm up**: from the onset to where the amplitude (``firm_smooth_ms``) reaches
   ``firm_level`` of the hold level above rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from glutesense.analysis.power import PowerSeries
from glutesense.analysis.tries import (
    Levels,
    Segment,
    SqueezeSettings,
    Try,
    amplitude,
    dips,
    find_tries,
    levels,
    segments,
    walk_back,
)
from glutesense.detect.default import RISE_LADDER_S
from glutesense.detect.risefit import fit_rise
from glutesense.signal.envelope import median_sd

__all__ = ["Held", "Squeeze", "SqueezeSettings", "Try", "amplitude", "analyze_squeeze"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Squeeze:
    """The try analysis of one rep.

    Attributes
    ----------
    onset_s : float
        Sustained onset.
    onset_sd_ms : float
        Its uncertainty (NaN when kept from the first pass without one).
    relocated : bool
        True when the onset was moved off a merged try (rise fit after the foot).
    tries : tuple of Try
    separable : bool
        False when a try did not die back before the next try or the sustained rise.
    firm_up_ms : float or None
    hold_level : float
        ``H``, amplitude in multiples of the resting amplitude.
    """

    onset_s: float
    onset_sd_ms: float
    relocated: bool
    tries: tuple[Try, ...]
    separable: bool
    firm_up_ms: float | None
    hold_level: float


def _sustained_start(amp: FloatArray, i0: int, i1: int, lv: Levels, n_hold: int, fill: float) -> int | None:
    """First index in ``[i0, i1)`` at half the hold level from which ``amp`` stays above ``on``."""
    half = lv.rest + 0.5 * (lv.hold - lv.rest)
    above = np.nan_to_num(amp, nan=0.0) >= lv.on
    csum = np.concatenate(([0], np.cumsum(above)))
    for i in (np.flatnonzero(np.nan_to_num(amp[i0:i1], nan=0.0) >= half) + i0).tolist():
        j = min(i + n_hold, amp.size)
        if j - i >= max(1, n_hold // 2) and (csum[j] - csum[i]) >= fill * (j - i):
            return int(i)
    return None


def _hold_start(amp: FloatArray, i0: int, i1: int, lv: Levels, n_hold: int) -> int:
    """First index in ``[i0, i1)`` at 80 % of the hold level from which ``amp`` stays above half of it
    for ``n_hold`` bins: where the held squeeze has risen (a try that reached half the hold level, dipped
    and rose into the squeeze lies before it)."""
    a = np.nan_to_num(amp, nan=0.0)
    high, half = lv.rest + 0.8 * (lv.hold - lv.rest), lv.rest + 0.5 * (lv.hold - lv.rest)
    low = np.concatenate(([0], np.cumsum(a < half)))
    for i in (np.flatnonzero(a[i0:i1] >= high) + i0).tolist():
        j = min(i + n_hold, a.size)
        if low[j] - low[i] == 0:
            return int(i)
    return i1


def _refit(
    ps: PowerSeries, span: tuple[int, int, int], amp: FloatArray, lv: Levels, prior_ms: float
) -> tuple[float, float]:
    """Rise fit of the sustained onset within bins ``[first, last]`` of ``span = (lo, first, last)``."""
    i_lo, i_first, i_last = span
    reach = np.flatnonzero(np.nan_to_num(amp[i_last:], nan=0.0) >= lv.rest + 0.8 * (lv.hold - lv.rest))
    i_hi = min(i_last + (int(reach[0]) if reach.size else 20) + 1, ps.power.size)
    t = ps.t_s
    seg = ps.power[i_lo:i_first] if i_first > i_lo else ps.power[i_lo : i_lo + 4]
    base = float(np.nanmedian(seg)) if np.isfinite(seg).any() else 1.0
    fit = fit_rise(
        t[i_lo:i_hi],
        ps.power[i_lo:i_hi],
        nu=ps.nu,
        base_power=max(base, 1e-3),
        prior_nu=prior_ms / 1000.0 * ps.nu / ps.bin_s,
        onset_range_s=(float(t[i_first]) - 0.5 * ps.bin_s, float(t[i_last]) + 0.5 * ps.bin_s),
        onset_step_s=min(0.002, ps.bin_s),
        rise_grid_s=RISE_LADDER_S,
        bin_s=ps.bin_s,
        outlier_z=float(special.ndtri(1.0 - 1e-3)),
    )
    if fit is None:
        return float(t[i_first]) - 0.5 * ps.bin_s, float("nan")
    return fit.onset_s, 1000.0 * fit.onset_sd_s


@dataclass(frozen=True)
class Held:
    """The contraction that holds, as the detector's passes saw it.

    Attributes
    ----------
    start_s, stop_s : float
        Its span ``[start_s, stop_s)`` (a burst that began before the cue, e.g. the stance glute's
        tone, starts at the cue here).
    onset_s : float or None
        The detector's onset, when the burst began in the rep's window (None for a burst already
        active: its onset is the stance, not the squeeze).
    onset_sd_ms : float
    """

    start_s: float
    stop_s: float
    onset_s: float | None
    onset_sd_ms: float = float("nan")


def _baseline(
    amp: FloatArray, ps: PowerSeries, rest_bins: slice, cue_s: float, cfg: SqueezeSettings
) -> slice:
    """Bins of the level the squeeze starts from: the ``local_ms`` before the cue when the glute is
    already working there (stance), else the resting window."""
    local = slice(ps.index(cue_s - cfg.local_ms / 1000.0), ps.index(cue_s))
    a_rest, sd_rest = median_sd(amp[rest_bins])
    a_local = float(np.nanmedian(amp[local])) if local.stop > local.start else a_rest
    return local if a_local > a_rest + cfg.off_sd * max(sd_rest, 1e-3) else rest_bins


def _onset(
    ps: PowerSeries,
    amp: FloatArray,
    span: tuple[int, int, int],
    lv: Levels,
    held: Held,
    cfg: SqueezeSettings,
) -> tuple[float, float, bool]:
    """(onset_s, sd_ms, relocated): the detector's onset unless a try or the stance precedes it in its
    burst; then the rise fit from the foot (``span = (floor, base, i_sus)`` bins)."""
    floor, base, i_sus = span
    lead_s = cfg.foot_lead_ms / 1000.0
    if held.onset_s is not None and max(floor * ps.bin_s, base * ps.bin_s - lead_s) <= held.onset_s - ps.t0_s:
        return held.onset_s, held.onset_sd_ms, False
    i_lo = max(base - round(cfg.fit_rest_ms / 1000.0 / ps.bin_s), floor)
    first = max(base - round(0.5 * cfg.smooth_ms / 1000.0 / ps.bin_s), i_lo)
    onset_s, sd_ms = _refit(ps, (i_lo, first, max(i_sus, first)), amp, lv, cfg.fit_prior_ms)
    return onset_s, sd_ms, True


def _firm_up_ms(
    ps: PowerSeries, onset_s: float, i_end: int, rest_bins: slice, cfg: SqueezeSettings
) -> float | None:
    """Onset to the amplitude's ``firm_level`` of its hold level above rest, ms."""
    firm = amplitude(ps, cfg.firm_smooth_ms)
    a0 = float(np.nanmedian(firm[rest_bins]))
    i0 = ps.index(onset_s)
    hold = float(np.nanmedian(firm[i_end - max(2, round(cfg.hold_share * (i_end - i0))) : i_end]))
    reach = np.flatnonzero(np.nan_to_num(firm[i0:i_end], nan=0.0) >= a0 + cfg.firm_level * (hold - a0))
    if not reach.size:
        return None
    return max(1000.0 * (ps.t0_s + (i0 + int(reach[0]) + 0.5) * ps.bin_s - onset_s), 0.0)


def analyze_squeeze(
    ps: PowerSeries,
    rest_bins: slice,
    cue_s: float,
    held: Held,
    *,
    sustained_s: float,
    cfg: SqueezeSettings,
) -> Squeeze | None:
    """The try analysis of one rep (module docstring); None when no sustained rise can be placed."""
    amp = amplitude(ps, cfg.smooth_ms)
    i_on, i_end = ps.index(held.start_s), ps.index(held.stop_s)
    if i_end - i_on < 4:
        return None
    hold = float(np.nanmedian(amp[i_end - max(2, round(cfg.hold_share * (i_end - i_on))) : i_end]))
    lv = levels(amp, _baseline(amp, ps, rest_bins, cue_s, cfg), hold, cfg)
    if not hold > lv.on:
        return None
    i_cue = ps.index(cue_s)
    n_hold = max(1, round(sustained_s / ps.bin_s))
    i_sus = _sustained_start(amp, min(i_cue, i_on), i_end, lv, n_hold, cfg.hold_fill)
    if i_sus is None:
        return None
    gap_n = max(1, round(cfg.merge_gap_ms / 1000.0 / ps.bin_s))
    segs = segments(amp, i_cue, i_sus + 1, lv, cfg.relax_share, gap_n)
    rising = segs.pop() if segs and not segs[-1].ended else None
    foot = (
        rising.start
        if rising is not None
        else walk_back(amp, i_sus, segs[-1].end if segs else i_cue, lv.near)
    )
    dip_amp = amplitude(ps, cfg.dip_smooth_ms)
    into = dips(dip_amp[foot : _hold_start(dip_amp, i_sus, i_end, lv, n_hold)], lv, cfg.squeeze_dip_share)
    if into:  # a try ran into the squeeze: it is the part before the last dip
        segs.append(Segment(foot, foot + into[-1], foot, False))
        foot += into[-1]
    segs = [sg for sg in segs if sg.start >= i_cue]
    tries = find_tries(ps, amp, dip_amp, segs, lv, cfg)
    floor = segs[-1].end if segs else (min(i_cue, i_on) if held.onset_s is None else 0)
    onset_s, sd_ms, moved = _onset(ps, amp, (floor, foot, i_sus), lv, held, cfg)
    return Squeeze(
        onset_s=onset_s,
        onset_sd_ms=sd_ms,
        relocated=moved,
        tries=tuple(tries),
        separable=all(t.relaxed for t in tries),
        firm_up_ms=_firm_up_ms(ps, onset_s, i_end, rest_bins, cfg),
        hold_level=hold,
    )
