"""The tries (false starts) before a single-leg stand's sustained squeeze: levels, rises, dips, pops.

The method is described in :mod:`glutesense.analysis.squeeze` (steps 1 and 3); this module finds the
rises between the squeeze cue and the sustained rise, splits them at dips that did not relax, and keeps
those that are tries (not electrode pops, not too short).  ``SqueezeSettings`` holds the settings of the
whole try analysis.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from glutesense.analysis.power import PowerSeries
from glutesense.signal.envelope import median_sd

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SqueezeSettings:
    """Settings of the try analysis (module docstring; physical units in the names)."""

    smooth_ms: float = 50.0
    dip_smooth_ms: float = 80.0
    firm_smooth_ms: float = 100.0
    hold_share: float = 0.6
    on_sd: float = 5.0
    on_share: float = 0.12
    on_ratio: float = 1.6
    off_sd: float = 2.5
    off_share: float = 0.05
    near_sd: float = 2.0
    hold_fill: float = 0.9
    dip_share: float = 0.35
    squeeze_dip_share: float = 0.5
    min_try_ms: float = 40.0
    min_on_ms: float = 0.0
    pop_ms: float = 10.0
    pop_share: float = 0.55
    pop_wide_share: float = 0.8
    pop_over_hold: float = 1.5
    fit_rest_ms: float = 150.0
    fit_prior_ms: float = 200.0
    local_ms: float = 800.0
    relax_share: float = 0.25
    merge_gap_ms: float = 60.0
    foot_lead_ms: float = 150.0
    firm_level: float = 0.9


@dataclass(frozen=True)
class Try:
    """One false start: ``[onset_s, offset_s)``, its peak, and whether it died back to rest."""

    onset_s: float
    offset_s: float
    peak_s: float
    peak_share: float
    relaxed: bool


def amplitude(ps: PowerSeries, smooth_ms: float) -> FloatArray:
    """``sqrt`` of the power's centred moving mean over ``smooth_ms`` (1 at rest)."""
    return np.sqrt(np.maximum(ps.smooth(smooth_ms / 1000.0), 0.0))


@dataclass(frozen=True)
class Levels:
    rest: float
    on: float
    off: float
    hold: float
    near: float

    def share(self, value: float) -> float:
        return (value - self.rest) / max(self.hold - self.rest, 1e-9)


def levels(amp: FloatArray, rest: slice, hold: float, cfg: SqueezeSettings) -> Levels:
    a0, sd = median_sd(amp[rest])
    sd = max(sd, 1e-3)
    span = max(hold - a0, 0.0)
    on = max(a0 + max(cfg.on_sd * sd, cfg.on_share * span), cfg.on_ratio * a0)
    off = a0 + max(cfg.off_sd * sd, cfg.off_share * span)
    return Levels(a0, on, off, hold, a0 + cfg.near_sd * sd)


def walk_back(amp: FloatArray, i: int, floor: int, level: float) -> int:
    """The index after the last one in ``[floor, i)`` where ``amp`` lies at or below ``level`` (``floor``
    if none): where a rise that crosses a higher level at ``i`` left the resting level."""
    seg = np.nan_to_num(amp[floor:i], nan=0.0)
    at = np.flatnonzero(seg <= level)
    return floor + int(at[-1]) + 1 if at.size else floor


def dips(seg: FloatArray, lv: Levels, share: float) -> list[int]:
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


def is_pop(
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
class Segment:
    """A rise above ``on`` in bins ``[start, end)``; ``ended`` if it died back before the scan's end."""

    start: int
    end: int
    peak: int
    ended: bool


def segments(amp: FloatArray, i0: int, i1: int, lv: Levels, relax_share: float, gap_n: int) -> list[Segment]:
    """Rises above ``on`` in bins ``[i0, i1)``, each from where it left the ``near`` level to where it
    died back below ``max(off, rest + relax_share (its peak - rest))`` and did not rise above ``on``
    again within ``gap_n`` bins (:mod:`glutesense.analysis.squeeze`, step 3)."""
    a = np.nan_to_num(amp, nan=0.0)
    out: list[Segment] = []
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
        out.append(Segment(start, k, pk, k < i1))
        i = floor = k
    return out


def find_tries(
    ps: PowerSeries,
    amp: FloatArray,
    dip_amp: FloatArray,
    segs: list[Segment],
    lv: Levels,
    cfg: SqueezeSettings,
) -> list[Try]:
    """Tries from the rises before the sustained one, each split at dips that did not relax
    (:mod:`glutesense.analysis.squeeze`, step 3)."""
    min_n = max(1, round(cfg.min_try_ms / 1000.0 / ps.bin_s))
    on_n = max(1, round(cfg.min_on_ms / 1000.0 / ps.bin_s))
    base = float(lv.rest**2)
    out: list[Try] = []
    for sg in segs:
        cuts = [sg.start + d for d in dips(dip_amp[sg.start : sg.end], lv, cfg.dip_share)]
        edges = [sg.start, *cuts, sg.end]
        for k, (lo, hi) in enumerate(itertools.pairwise(edges)):
            piece = np.nan_to_num(amp[lo:hi], nan=0.0)
            high = int(np.count_nonzero(piece >= lv.on))
            over = float(piece.max()) / max(lv.hold, 1e-9)
            if hi - lo < min_n or high < on_n or is_pop(ps.power, base, (lo, hi), ps.bin_s, over, cfg):
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
