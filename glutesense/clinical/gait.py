"""Walk: per side, each muscle's timing over the gait cycle, its stride-to-stride spread and a verdict.

A stride's onsets are given in % of its cycle from its touchdown (negative: in the swing before it);
per side and muscle this takes the median over strides and the stride-to-stride spread (robust SD,
1.4826 MAD, in % and in ms), and compares the median with the typical onset of healthy walking or
running (:data:`glutesense.clinical.norms.GAIT_NORMS`, cited).  Running is read from the cadence
(above :data:`~glutesense.clinical.norms.RUN_CADENCE_SPM` strides per minute).

The verdict is about gluteus maximus: switching on shortly before touchdown to carry the loading
response is the healthy pattern; switching on after touchdown (later than the typical range) is
"later than typical", and well past it "late".  Hamstrings before glute max is the usual order in
gait and is said so.  Too few strides, an onset that varies too much from stride to stride, or poor
signals give "cannot tell".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from glutesense.analysis.metrics import Order, RepResult
from glutesense.clinical import norms, stats
from glutesense.clinical.quality import ChannelQuality
from glutesense.clinical.verdict import Verdict, VerdictKind, cannot_tell, quality_reasons
from glutesense.model.roles import Muscle, Role, Side

GAIT_MUSCLES = (Muscle.GLUTE_MAX, Muscle.GLUTE_MED, Muscle.HAMSTRING)
_NAMES = {Muscle.GLUTE_MAX: "glute max", Muscle.GLUTE_MED: "glute med", Muscle.HAMSTRING: "hamstrings"}


def _onset_s(r: RepResult, muscle: Muscle) -> float | None:
    if muscle is Muscle.GLUTE_MAX:
        return r.glute_onset_s
    if muscle is Muscle.HAMSTRING:
        return r.hamstring_onset_s
    return r.glute_med_onset_s


@dataclass(frozen=True)
class MuscleTiming:
    """One muscle of one side over the strides.

    Attributes
    ----------
    muscle : Muscle
    n_strides, n_found : int
        Strides, and strides with an onset.
    onset_pct_median, onset_pct_spread : float or None
        Median onset and its stride-to-stride robust SD, % of the cycle from touchdown.
    onset_ms_median, onset_ms_spread : float or None
        The same in ms from touchdown.
    norm : GaitNorm or None
    """

    muscle: Muscle
    n_strides: int
    n_found: int
    onset_pct_median: float | None
    onset_pct_spread: float | None
    onset_ms_median: float | None
    onset_ms_spread: float | None
    norm: norms.GaitNorm | None


@dataclass(frozen=True)
class GaitSide:
    """One side of a walk: cadence, per-muscle timing, glute-minus-hamstring lag and order, verdict."""

    side: Side
    gait: str
    n_strides: int
    cadence_spm: float | None
    stride_s_median: float | None
    timings: tuple[MuscleTiming, ...]
    lag_median_ms: float | None
    lag_spread_ms: float | None
    order_counts: Mapping[str, int]
    verdict: Verdict

    def timing(self, muscle: Muscle) -> MuscleTiming | None:
        return next((m for m in self.timings if m.muscle is muscle), None)


def _timing(muscle: Muscle, reps: Sequence[RepResult], gait: str) -> MuscleTiming:
    pct = [r.cycle_pct(_onset_s(r, muscle)) for r in reps]
    ms = [
        1000.0 * (o - r.touchdown_s)
        for r in reps
        if (o := _onset_s(r, muscle)) is not None and r.touchdown_s is not None
    ]
    p = stats.finite(pct)
    return MuscleTiming(
        muscle,
        len(reps),
        int(p.size),
        stats.median(p),
        stats.robust_sd(p),
        stats.median(ms),
        stats.robust_sd(stats.finite(ms)),
        norms.gait_norm(muscle.value, gait),
    )


def _words(t: MuscleTiming) -> str:
    assert t.onset_pct_median is not None
    spread = f", ±{t.onset_pct_spread:.0f} % stride to stride" if t.onset_pct_spread is not None else ""
    ms = f" ({t.onset_ms_median:+.0f} ms)" if t.onset_ms_median is not None else ""
    when = "before" if t.onset_pct_median < 0 else "after"
    pct = abs(t.onset_pct_median)
    return f"{_NAMES[t.muscle]} switches on {pct:.0f} % of the cycle {when} touchdown{ms}{spread}"


def _glute_level(t: MuscleTiming, th: norms.Thresholds) -> tuple[VerdictKind, str]:
    assert t.onset_pct_median is not None and t.norm is not None
    lo, hi = t.norm.onset_pct
    typical = f"healthy {t.norm.gait}ing: {t.norm.describe()}"
    if t.onset_pct_median > hi + th.gait_late_pct:
        return VerdictKind.DELAYED, f"That is late: well after the typical onset ({typical})."
    if t.onset_pct_median > hi:
        return VerdictKind.LATER_THAN_TYPICAL, f"That is later than typical ({typical})."
    if t.onset_pct_median < lo:
        return VerdictKind.WITHIN_NORMAL, f"That is earlier than typical ({typical})."
    return VerdictKind.WITHIN_NORMAL, f"That is the healthy pattern ({typical})."


def walk_verdict(side: GaitSide, quality: Mapping[Role, ChannelQuality], th: norms.Thresholds) -> Verdict:
    """The side's verdict (module docstring)."""
    name = side.side.value.capitalize()
    q = quality_reasons(side.side, quality, th)
    if q:
        return cannot_tell(side.side, q)
    g = side.timing(Muscle.GLUTE_MAX)
    if g is None or g.n_found < th.min_strides or g.onset_pct_median is None:
        found = 0 if g is None else g.n_found
        return cannot_tell(
            side.side,
            [f"only {found} of {side.n_strides} strides show a glute max onset (at least {th.min_strides})"],
        )
    if g.onset_pct_spread is not None and g.onset_pct_spread > th.max_stride_spread_pct:
        return cannot_tell(
            side.side,
            [
                f"the glute max onset varies by ±{g.onset_pct_spread:.0f} % of the cycle from stride to "
                "stride "
                f"(> {th.max_stride_spread_pct:g} %, judgement)"
            ],
            "inconsistent strides",
        )
    kind, tail = _glute_level(g, th) if g.norm is not None else (VerdictKind.DESCRIPTIVE, "")
    headline = f"{name}: {_words(g)} ({g.n_found} strides, {side.gait}ing). {tail}".strip()
    details = [
        f"{name} {_words(t)}; typical: {t.norm.describe()}."
        for t in side.timings
        if t.onset_pct_median is not None and t.norm is not None and t.muscle is not Muscle.GLUTE_MAX
    ]
    n_ham_first = side.order_counts.get(Order.HAMSTRING_FIRST.value, 0)
    n_timed = sum(
        side.order_counts.get(o.value, 0)
        for o in (Order.HAMSTRING_FIRST, Order.GLUTE_FIRST, Order.SIMULTANEOUS)
    )
    if n_timed:
        details.append(
            f"Hamstrings before glute max in {n_ham_first} of {n_timed} strides. {norms.GAIT_ORDER_NOTE}"
        )
    sources = tuple(dict.fromkeys(s for t in side.timings if t.norm is not None for s in t.norm.sources))
    return Verdict(kind, headline, tuple(details), (), sources)


def gait_side(
    side: Side, reps: Sequence[RepResult], quality: Mapping[Role, ChannelQuality], th: norms.Thresholds
) -> GaitSide:
    """Timing, spread and verdict of one side of a walk (module docstring)."""
    mine = [r for r in reps if r.side is side]
    strides = stats.finite([r.stride_s for r in mine])
    stride = stats.median(strides)
    cadence = 60.0 / stride if stride else None
    gait = "run" if cadence is not None and cadence > norms.RUN_CADENCE_SPM else "walk"
    lags = stats.finite([r.glute_lag_ms for r in mine])
    counts = {o.value: sum(r.order is o for r in mine) for o in Order}
    draft = GaitSide(
        side,
        gait,
        len(mine),
        cadence,
        stride,
        tuple(_timing(m, mine, gait) for m in GAIT_MUSCLES),
        stats.median(lags),
        stats.robust_sd(lags),
        counts,
        Verdict(VerdictKind.DESCRIPTIVE, "", (), (), ()),
    )
    return replace(draft, verdict=walk_verdict(draft, quality, th))
