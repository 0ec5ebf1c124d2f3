"""Single-leg stand: the tries before the sustained squeeze, its onset and how fast it firms up.

A *try* (false start) is physiology, not noise: the person squeezes, the glute's EMG clearly rises
above rest, and dies back towards rest before the contraction that holds.  Read on the EMG
amplitude ``a(t)`` (the square root of the whitened short-bin power, :mod:`glutesense.analysis.power`,
over ``smooth_ms``; 1 at rest) between the squeeze cue and the held contraction:

1. **Hold level** ``H``: median amplitude over the last ``hold_share`` of the first-pass sustained
   burst (its start may hold merged tries).
2. **Levels**: a try clearly rises above rest when it reaches ``on = a0 + max(on_sd SD, on_share (H -
   a0))`` and has died back when it falls below ``off = a0 + max(off_sd SD, off_share (H - a0))``
   (``a0``, SD: median and robust SD of the amplitude at rest).
3. **The sustained rise** is where the amplitude first reaches half the hold level and then stays
   above ``on`` (``hold_fill`` of the time) for ``sustained_s``; its *foot* is where it last lay below
   ``off``.
4. **Tries** are the runs above ``off`` that reach ``on``, after the cue and before the foot.  Within
   a run (and between the last try and the sustained rise), a dip of the more smoothed amplitude
   (``dip_smooth_ms``) back below ``dip_share`` of the preceding peak's excess over rest splits it:
   two tries, or a try and the sustained rise, that did not fully relax.  Such a rep is *not
   separable*: its count and onset are less certain, and the rep says so.  A run shorter than
   ``min_try_ms``, or with more than ``pop_share`` of its excess energy inside ``pop_ms`` (an
   electrode pop), is not a try.
5. **Onset**: the first-pass onset when it lies after the foot; otherwise (a try merged into the
   burst) the maximum-likelihood rise fit (:func:`glutesense.detect.risefit.fit_rise`) constrained to
   start after the foot, so a try is never taken as the onset.
6. **Time to firm up**: from the onset to where the amplitude (``firm_smooth_ms``) reaches ``a0 +
   0.9 (H - a0)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from glutesense.analysis.power import PowerSeries
from glutesense.detect.base import Burst
from glutesense.detect.default import RISE_LADDER_S
from glutesense.detect.risefit import fit_rise
from glutesense.signal.envelope import median_sd
from glutesense.signal.runs import runs_of

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SqueezeSettings:
    """Settings of the try analysis (module docstring; physical units in the names)."""

    smooth_ms: float = 30.0
    dip_smooth_ms: float = 60.0
    firm_smooth_ms: float = 100.0
    hold_share: float = 0.6
    on_sd: float = 6.0
    on_share: float = 0.12
    off_sd: float = 2.5
    off_share: float = 0.05
    near_sd: float = 2.0
    hold_fill: float = 0.9
    dip_share: float = 0.5
    min_try_ms: float = 40.0
    merge_gap_ms: float = 30.0
    pop_ms: float = 10.0
    pop_share: float = 0.75
    fit_rest_ms: float = 150.0
    fit_prior_ms: float = 200.0
    firm_level: float = 0.9


@dataclass(frozen=True)
class Try:
    """One false start: ``[onset_s, offset_s)``, its peak, and whether it died back to rest."""

    onset_s: float
    offset_s: float
    peak_s: float
    peak_share: float
    relaxed: bool


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


def _levels(amp: FloatArray, rest: slice, hold: float, cfg: SqueezeSettings) -> _Levels:
    a0, sd = median_sd(amp[rest])
    sd = max(sd, 1e-3)
    span = max(hold - a0, 0.0)
    on = a0 + max(cfg.on_sd * sd, cfg.on_share * span)
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


def _is_pop(x: FloatArray, ps: PowerSeries, a: int, b: int, cfg: SqueezeSettings) -> bool:
    seg = np.clip(np.nan_to_num(x[a:b]) - 1.0, 0.0, None)
    total = float(seg.sum())
    w = max(1, round(cfg.pop_ms / 1000.0 / ps.bin_s))
    if total <= 0:
        return True
    if w >= seg.size:
        return False
    return float(np.max(np.convolve(seg, np.ones(w), mode="valid"))) > cfg.pop_share * total


def _tries(
    ps: PowerSeries,
    amp: FloatArray,
    dip_amp: FloatArray,
    span: tuple[int, int],
    lv: _Levels,
    cfg: SqueezeSettings,
) -> list[Try]:
    """Tries in bins ``[i_cue, i_foot)`` (module docstring, step 4)."""
    i_cue, i_foot = span
    seg = np.nan_to_num(amp[i_cue:i_foot], nan=0.0)
    gap = max(1, round(cfg.merge_gap_ms / 1000.0 / ps.bin_s))
    runs: list[tuple[int, int]] = []
    for a, b in runs_of(seg > lv.off):
        if runs and a - runs[-1][1] < gap:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
    min_n = max(1, round(cfg.min_try_ms / 1000.0 / ps.bin_s))
    out: list[Try] = []
    out_end = 0
    for a, b in runs:
        if a == 0 and i_cue > 0 and amp[i_cue - 1] > lv.off:
            continue  # started before the cue
        cuts = [a + d for d in _dips(dip_amp[i_cue + a : i_cue + b], lv, cfg.dip_share)]
        edges = [a, *cuts, b]
        for k, (lo, hi) in enumerate(itertools.pairwise(edges)):
            piece = seg[lo:hi]
            if hi - lo < min_n or piece.max() < lv.on or _is_pop(ps.power, ps, i_cue + lo, i_cue + hi, cfg):
                continue
            relaxed = k == len(edges) - 2 and not (
                hi == seg.size and i_foot < amp.size and amp[i_foot] > lv.off
            )
            pk = lo + int(np.argmax(piece))
            start = i_cue + lo if k > 0 else walk_back(amp, i_cue + lo, i_cue + (out_end if out else 0), lv.near)
            out.append(
                Try(
                    onset_s=ps.t0_s + start * ps.bin_s,
                    offset_s=ps.t0_s + (i_cue + hi) * ps.bin_s,
                    peak_s=ps.t0_s + (i_cue + pk + 0.5) * ps.bin_s,
                    peak_share=lv.share(float(piece.max())),
                    relaxed=relaxed,
                )
            )
            out_end = hi
    return out


def _refit(
    ps: PowerSeries, span: tuple[int, int, int], amp: FloatArray, lv: _Levels, prior_ms: float
) -> tuple[float, float]:
    """Rise fit of the sustained onset within bins ``[first, last]`` of ``span = (lo, first, last)``."""
    i_lo, i_first, i_last = span
    reach = np.flatnonzero(np.nan_to_num(amp[i_last:], nan=0.0) >= lv.rest + 0.8 * (lv.hold - lv.rest))
    i_hi = min(i_last + (int(reach[0]) if reach.size else 20) + 1, ps.power.size)
    t = ps.t_s
    base = float(np.nanmedian(ps.power[i_lo:i_first])) if i_first > i_lo else 1.0
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


def analyze_squeeze(
    ps: PowerSeries,
    rest_bins: slice,
    cue_s: float,
    stop_s: float,
    sustained: Burst,
    *,
    sustained_s: float,
    cfg: SqueezeSettings,
) -> Squeeze | None:
    """The try analysis of one rep (module docstring); None when no sustained rise can be placed."""
    amp = amplitude(ps, cfg.smooth_ms)
    end = min(sustained.offset_s, stop_s)
    i_on, i_end = ps.index(sustained.onset_s), ps.index(end)
    if i_end - i_on < 4:
        return None
    hold_from = i_end - max(2, round(cfg.hold_share * (i_end - i_on)))
    hold = float(np.nanmedian(amp[hold_from:i_end]))
    lv = _levels(amp, rest_bins, hold, cfg)
    if not hold > lv.on:
        return None
    i_cue = ps.index(cue_s)
    n_hold = max(1, round(sustained_s / ps.bin_s))
    i_sus = _sustained_start(amp, min(i_cue, i_on), i_end, lv, n_hold, cfg.hold_fill)
    if i_sus is None:
        return None
    below = np.flatnonzero(np.nan_to_num(amp[:i_sus], nan=0.0) <= lv.off)
    i_rest = int(below[-1]) + 1 if below.size else 0
    dip_amp = amplitude(ps, cfg.dip_smooth_ms)
    dips = _dips(dip_amp[i_rest:i_sus], lv, cfg.dip_share)
    i_foot = i_rest + dips[-1] if dips else i_rest
    tries = _tries(ps, amp, dip_amp, (i_cue, i_foot), lv, cfg) if i_foot > i_cue else []
    floor = ps.index(tries[-1].offset_s) if tries else 0
    i_base = i_foot if dips else walk_back(amp, i_foot, floor, lv.near)
    if not dips and all(t.offset_s <= sustained.onset_s for t in tries):
        onset_s, sd_ms, moved = sustained.onset_s, sustained.onset_sd_ms, False
    else:
        i_lo = max(i_base - round(cfg.fit_rest_ms / 1000.0 / ps.bin_s), floor)
        first = max(i_base - round(0.5 * cfg.smooth_ms / 1000.0 / ps.bin_s), i_lo)
        onset_s, sd_ms = _refit(ps, (i_lo, first, max(i_sus, first)), amp, lv, cfg.fit_prior_ms)
        moved = True
    firm = amplitude(ps, cfg.firm_smooth_ms)
    i0 = ps.index(onset_s)
    reach = np.flatnonzero(
        np.nan_to_num(firm[i0:i_end], nan=0.0) >= lv.rest + cfg.firm_level * (hold - lv.rest)
    )
    firm_ms = 1000.0 * (ps.t0_s + (i0 + int(reach[0]) + 0.5) * ps.bin_s - onset_s) if reach.size else None
    return Squeeze(
        onset_s=onset_s,
        onset_sd_ms=sd_ms,
        relocated=moved,
        tries=tuple(tries),
        separable=all(t.relaxed for t in tries),
        firm_up_ms=max(firm_ms, 0.0) if firm_ms is not None else None,
        hold_level=hold,
    )
