"""Single-leg stand: the tries before the sustained squeeze, its onset and how fast it firms up.

A *try* (false start) is physiology, not noise: the person squeezes, the glute's EMG clearly rises
above the level it had before the cue, and dies back towards it before the contraction that holds.
Read on the EMG amplitude ``a(t)`` (the square root of the whitened short-bin power,
:mod:`glutesense.analysis.power`, over ``smooth_ms``; 1 at rest) from the squeeze cue to the held
contraction (the burst of the detector's passes that covers most of the time after the cue):

1. **Levels**: ``a0`` and SD are the median and robust SD of the amplitude in the ``local_ms`` before the
   cue when the glute already works there (the stance glute's tone: its median ``tone_sd`` resting SDs
   above rest; the SD then the larger of the tone's and the rest's), else at rest; ``n`` is the resting
   amplitude (the noise floor); ``H`` is the median amplitude over the last ``hold_share`` of the held
   burst.  A rise *clearly* leaves the baseline when it reaches ``on = max(a0 + max(on_sd SD, on_share
   (H - a0)), on_ratio n, sqrt(n^2 + on_ratio^2 (a0^2 - n^2)))``: by a margin over the baseline's own
   fluctuation and over the hold, and with the *muscle's* amplitude (noise removed in power) grown
   ``on_ratio`` times over its tone; ``off = a0 + max(off_sd SD, off_share (H - a0))``; ``near = a0 +
   near_sd SD``.
2. **The sustained rise** is where the amplitude first reaches half the hold level and then stays
   above ``on`` (``hold_fill`` of the time) for ``sustained_s``.
3. **Rises** between the cue and it: each from where it left ``near`` to where it died back below
   ``max(off, a0 + relax_share (its peak - a0))`` without rising above ``on`` again within
   ``merge_gap_ms`` (80 ms: longer than half a cycle of physiological tremor at 8-12 Hz, 40-60 ms, so
   an attempt's own tremor and motor-unit wobble do not split it; a person who stops and tries again
   relaxes for longer).  Those that died back are tries; the one still rising is the sustained squeeze,
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

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import special

from glutesense.analysis.power import PowerSeries
from glutesense.analysis.squeeze_types import Held, Squeeze, SqueezeSettings, Try
from glutesense.detect.default_settings import RISE_LADDER_S
from glutesense.detect.risefit import fit_rise
from glutesense.model.arrays import FloatArray
from glutesense.model.robust import median_sd


def amplitude(ps: PowerSeries, smooth_ms: float) -> FloatArray:
    """``sqrt`` of the power's centred moving mean over ``smooth_ms`` (1 at rest)."""
    return np.sqrt(np.maximum(ps.smooth(smooth_ms / 1000.0), 0.0))


@dataclass(frozen=True)
class _Levels:
    rest: float
    on: float
    off: float
    hold: float
    near: float

    def share(self, value: float) -> float:
        return (value - self.rest) / max(self.hold - self.rest, 1e-9)


def _levels(base: tuple[float, float, float], hold: float, cfg: SqueezeSettings) -> _Levels:
    """Levels of step 1; ``base = (a0, SD, n)`` with ``n`` the amplitude at rest (the noise floor)."""
    a0, sd, n = base
    span = max(hold - a0, 0.0)
    grown = np.sqrt(n**2 + cfg.on_ratio**2 * max(a0**2 - n**2, 0.0))
    on = max(a0 + max(cfg.on_sd * sd, cfg.on_share * span), cfg.on_ratio * n, float(grown))
    off = a0 + max(cfg.off_sd * sd, cfg.off_share * span)
    return _Levels(a0, on, off, hold, a0 + cfg.near_sd * sd)


def walk_back(amp: FloatArray, i: int, floor: int, level: float) -> int:
    """The index after the last one in ``[floor, i)`` where ``amp`` lies at or below ``level`` (``floor``
    if none): where a rise that crosses a higher level at ``i`` left the resting level."""
    seg = np.nan_to_num(amp[floor:i], nan=0.0)
    at = np.flatnonzero(seg <= level)
    return floor + int(at[-1]) + 1 if at.size else floor


def _sustained_start(amp: FloatArray, i0: int, i1: int, lv: _Levels, n_hold: int, fill: float) -> int | None:
    """First index in ``[i0, i1)`` at half the hold level from which ``amp`` stays above ``on``."""
    half = lv.rest + 0.5 * (lv.hold - lv.rest)
    above = np.nan_to_num(amp, nan=0.0) >= lv.on
    csum = np.concatenate(([0], np.cumsum(above)))
    for i in (np.flatnonzero(np.nan_to_num(amp[i0:i1], nan=0.0) >= half) + i0).tolist():
        j = min(i + n_hold, amp.size)
        if j - i >= max(1, n_hold // 2) and (csum[j] - csum[i]) >= fill * (j - i):
            return int(i)
    return None


def _hold_start(amp: FloatArray, i0: int, i1: int, lv: _Levels, n_hold: int) -> int:
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


def _dips(seg: FloatArray, lv: _Levels, share: float) -> list[int]:
    """Indices of dips in ``seg`` back below ``share`` of the preceding peak's excess (peak >= ``on``)."""
    out: list[int] = []
    peak, peak_i, low_i = -np.inf, -1, -1
    for i, v in enumerate(np.nan_to_num(seg, nan=lv.rest)):
        if v > peak:
            peak, peak_i, low_i = v, i, -1
        if peak >= lv.on and v - lv.rest <= share * (peak - lv.rest) and i > peak_i:
            if low_i < 0 or v < seg[low_i]:
                low_i = i
        elif low_i >= 0 and v - lv.rest > share * (peak - lv.rest):
            out.append(low_i)
            peak, peak_i, low_i = v, i, -1
    return out


def _is_pop(
    power: FloatArray,
    base: float,
    span: tuple[int, int],
    bin_s: float,
    over_hold: float,
    cfg: SqueezeSettings,
) -> bool:
    """True for an electrode pop in bins ``span = [a, b)``: more than ``pop_share`` of the excess power
    within ``pop_ms`` and more than ``pop_wide_share`` within twice that (a 70 ms try with even ramps
    holds about 37 % and 64 % there), or a peak ``over_hold`` times beyond the hold level (``pop_over_hold``;
    tries are not stronger than the squeeze that holds) with more than half of its power within
    twice ``pop_ms``."""
    a, b = span
    seg = np.clip(np.nan_to_num(power[a:b]) - base, 0.0, None)
    total = float(seg.sum())
    if total <= 0:
        return True

    def best(ms: float) -> float:
        w = max(1, round(ms / 1000.0 / bin_s))
        return 1.0 if w >= seg.size else float(np.max(np.convolve(seg, np.ones(w), mode="valid"))) / total

    wide = best(2.0 * cfg.pop_ms)
    return (best(cfg.pop_ms) > cfg.pop_share and wide > cfg.pop_wide_share) or (
        over_hold > cfg.pop_over_hold and wide > 0.5
    )


@dataclass(frozen=True)
class _Segment:
    """A rise above ``on`` in bins ``[start, end)``; ``ended`` if it died back before the scan's end."""

    start: int
    end: int
    peak: int
    ended: bool


def _segments(
    amp: FloatArray, i0: int, i1: int, lv: _Levels, relax_share: float, gap_n: int
) -> list[_Segment]:
    """Rises above ``on`` in bins ``[i0, i1)``, each from where it left the ``near`` level to where it
    died back below ``max(off, rest + relax_share (its peak - rest))`` and did not rise above ``on``
    again within ``gap_n`` bins (module docstring, step 4)."""
    a = np.nan_to_num(amp, nan=0.0)
    out: list[_Segment] = []
    i, floor = i0, i0
    while i < i1:
        up = np.flatnonzero(a[i:i1] >= lv.on)
        if not up.size:
            break
        j = i + int(up[0])
        start = walk_back(amp, j, floor, lv.near)
        k, pk = j, j
        while k < i1:
            if a[k] > a[pk]:
                pk = k
            if a[k] <= max(lv.off, lv.rest + relax_share * (a[pk] - lv.rest)):
                again = np.flatnonzero(a[k : min(k + gap_n, i1)] >= lv.on)
                if not again.size:
                    break
                k += int(again[0])
            k += 1
        out.append(_Segment(start, k, pk, k < i1))
        i = floor = k
    return out


def _tries(
    ps: PowerSeries,
    amp: FloatArray,
    dip_amp: FloatArray,
    segs: list[_Segment],
    lv: _Levels,
    cfg: SqueezeSettings,
) -> list[Try]:
    """Tries from the rises before the sustained one, each split at dips that did not relax (step 4)."""
    min_n = max(1, round(cfg.min_try_ms / 1000.0 / ps.bin_s))
    on_n = max(1, round(cfg.min_on_ms / 1000.0 / ps.bin_s))
    base = float(lv.rest**2)
    out: list[Try] = []
    for sg in segs:
        cuts = [sg.start + d for d in _dips(dip_amp[sg.start : sg.end], lv, cfg.dip_share)]
        edges = [sg.start, *cuts, sg.end]
        for k, (lo, hi) in enumerate(itertools.pairwise(edges)):
            piece = np.nan_to_num(amp[lo:hi], nan=0.0)
            high = int(np.count_nonzero(piece >= lv.on))
            over = float(piece.max()) / max(lv.hold, 1e-9)
            if hi - lo < min_n or high < on_n or _is_pop(ps.power, base, (lo, hi), ps.bin_s, over, cfg):
                continue
            pk = lo + int(np.argmax(piece))
            out.append(
                Try(
                    onset_s=ps.t0_s + lo * ps.bin_s,
                    offset_s=ps.t0_s + hi * ps.bin_s,
                    peak_s=ps.t0_s + (pk + 0.5) * ps.bin_s,
                    peak_share=lv.share(float(piece.max())),
                    relaxed=sg.ended and k == len(edges) - 2,
                )
            )
    return out


def _refit(
    ps: PowerSeries, span: tuple[int, int, int], amp: FloatArray, lv: _Levels, prior_ms: float
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


def _baseline(
    amp: FloatArray, ps: PowerSeries, rest_bins: slice, cue_s: float, cfg: SqueezeSettings
) -> tuple[float, float, float]:
    """``(a0, SD, rest)`` of the level the squeeze starts from: the ``local_ms`` before the cue when the glute
    is already working there (the stance tone lies ``tone_sd`` rest SDs above rest: over 800 ms of
    50 ms windows the median's own error is about a quarter SD, so one SD is a real tone), else the
    resting window.  The SD is the larger of the two: a weak tone (few motor units) fluctuates more
    than rest, and a rise must clear that fluctuation, never less than the resting noise."""
    local = slice(ps.index(cue_s - cfg.local_ms / 1000.0), ps.index(cue_s))
    a_rest, sd_rest = median_sd(amp[rest_bins])
    sd_rest = max(sd_rest, 1e-3)
    if local.stop - local.start < 4:
        return a_rest, sd_rest, a_rest
    a_local, sd_local = median_sd(amp[local])
    if a_local > a_rest + cfg.tone_sd * sd_rest:
        return a_local, max(sd_local, sd_rest), a_rest
    return a_rest, sd_rest, a_rest


def _onset(
    ps: PowerSeries,
    amp: FloatArray,
    span: tuple[int, int, int],
    lv: _Levels,
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
    lv = _levels(_baseline(amp, ps, rest_bins, cue_s, cfg), hold, cfg)
    if not hold > lv.on:
        return None
    i_cue = ps.index(cue_s)
    n_hold = max(1, round(sustained_s / ps.bin_s))
    i_sus = _sustained_start(amp, min(i_cue, i_on), i_end, lv, n_hold, cfg.hold_fill)
    if i_sus is None:
        return None
    gap_n = max(1, round(cfg.merge_gap_ms / 1000.0 / ps.bin_s))
    segs = _segments(amp, i_cue, i_sus + 1, lv, cfg.relax_share, gap_n)
    rising = segs.pop() if segs and not segs[-1].ended else None
    foot = (
        rising.start
        if rising is not None
        else walk_back(amp, i_sus, segs[-1].end if segs else i_cue, lv.near)
    )
    dip_amp = amplitude(ps, cfg.dip_smooth_ms)
    dips = _dips(dip_amp[foot : _hold_start(dip_amp, i_sus, i_end, lv, n_hold)], lv, cfg.squeeze_dip_share)
    if dips:  # a try ran into the squeeze: it is the part before the last dip
        segs.append(_Segment(foot, foot + dips[-1], foot, False))
        foot += dips[-1]
    segs = [sg for sg in segs if sg.start >= i_cue]
    tries = _tries(ps, amp, dip_amp, segs, lv, cfg)
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
