"""Single-leg stand: "the hanging side is soft" -- stance glute versus hanging glute, and the rise at lift.

The classic check by hand: stand on one leg and squeeze; the stance-side glute should firm up, the
glute of the leg that hangs stays soft.  Per squeeze this compares, over the same seconds (the
squeeze's hold), the stance glute max with the hanging side's glute max, each as % of its own
reference (a reference contraction where one was recorded, else the session peak:
:mod:`glutesense.clinical.reps`).  It also reads the stance glute's rise when the other leg comes off
the ground: the mean level in the ``BEFORE_S`` before the lift against the level from ``SETTLE_S``
after it to the squeeze cue.  The lift is the ``lift`` event, else it is found from the pelvis
accelerometer (:func:`find_lift`: the last sideways tilt change before the squeeze).

Pure functions; the sentences are plain strings (escaped when rendered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from glutesense.analysis.pipeline import AnalysisResult, ChannelResult
from glutesense.clinical import stats
from glutesense.clinical.reps import ClinicalRep, Reference, weight_shift
from glutesense.model.records import Recording
from glutesense.model.robust import median_sd
from glutesense.model.roles import Muscle, Role, Side
from glutesense.protocols.cues import cues
from glutesense.signal.movement import Tilt

BEFORE_S = 1.0
"""Stance glute level before the lift: the mean over this long before it."""
SETTLE_S = 0.5
"""... and after it: from this long after the lift to the squeeze cue."""
LIFT_SEARCH_S = 4.0
"""Without ``lift`` events the lift is searched this long before each squeeze cue."""
PREVIOUS_END_S = 1.2
"""... from this long after the previous rep's ``release`` (the pelvis back level)."""
MIN_LIFT_DEG = 1.5
"""A tilt change smaller than this is sway, not a lift."""
SOFT_RATIO = 0.5
"""The hanging glute counts as soft while below this share of the stance glute (judgement)."""

RISE_PCT = 2.0
"""A change at the lift smaller than this (percentage points of the reference) is "stayed"."""

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


@dataclass(frozen=True)
class StanceRep:
    """One squeeze: stance versus hanging glute, and the stance glute's rise at the lift.

    Attributes
    ----------
    side : Side
        The stance leg.
    rep : int
    stance_hold_pct, hanging_hold_pct : float or None
        Mean glute max envelope over the squeeze's hold, % of each glute's reference.
    lift_s : float or None
        When the other leg came off the ground; ``lift_source`` says how it was found.
    lift_source : str
    before_lift_pct, after_lift_pct : float or None
        Stance glute max before and after the lift, % of its reference.
    """

    side: Side
    rep: int
    stance_hold_pct: float | None
    hanging_hold_pct: float | None
    lift_s: float | None
    lift_source: str
    before_lift_pct: float | None
    after_lift_pct: float | None


def find_lift(
    tilt: Tilt | None, squeeze_s: float, *, after_s: float | None = None, search_s: float = LIFT_SEARCH_S
) -> float | None:
    """The tilt change (the pelvis shifting onto the stance leg) before a squeeze.

    Searched from ``after_s`` (the previous rep's end, when known) or ``search_s`` before the squeeze,
    whichever is later.  The tilt's largest departure from its level at the window's start must reach
    ``MIN_LIFT_DEG``; its start is placed by :func:`glutesense.clinical.reps.weight_shift`.
    """
    if tilt is None:
        return None
    t = tilt.t_s
    lo = max(squeeze_s - search_s, after_s if after_s is not None else -np.inf)
    win = (t >= lo) & (t < squeeze_s)
    seg = tilt.angle_deg[win]
    if seg.size < 10 or not np.isfinite(seg).any():
        return None
    level, _ = median_sd(seg[: max(3, seg.size // 8)])
    if not np.nanmax(np.abs(seg - level)) >= MIN_LIFT_DEG:
        return None
    shift_s, source = weight_shift(tilt, lo, search_s=search_s, pre_s=0.5)
    return shift_s if source.startswith("pelvis") else None


def _mean_pct(ch: ChannelResult | None, ref: Reference | None, start_s: float, stop_s: float) -> float | None:
    if ch is None or ref is None or ref.level_uv is None or ref.level_uv <= 0 or stop_s <= start_s:
        return None
    v = ch.mean_uv(start_s, stop_s)
    return None if v is None else 100.0 * v / ref.level_uv


def stance_rep(
    rep: ClinicalRep, result: AnalysisResult, recording: Recording, refs: Mapping[Role, Reference]
) -> StanceRep:
    """The stance-versus-hanging reading of one squeeze (module docstring)."""
    side = rep.side
    stance = result.channel(Role.emg(Muscle.GLUTE_MAX, side))
    hanging = result.channel(Role.emg(Muscle.GLUTE_MAX, side.other))
    cue = rep.result.cue_s
    hold = (rep.hold_start_s, rep.hold_stop_s)
    st_ref = refs.get(Role.emg(Muscle.GLUTE_MAX, side))
    hg_ref = refs.get(Role.emg(Muscle.GLUTE_MAX, side.other))
    stance_pct = hanging_pct = None
    if hold[0] is not None and hold[1] is not None:
        stance_pct = _mean_pct(stance, st_ref, hold[0], hold[1])
        hanging_pct = _mean_pct(hanging, hg_ref, hold[0], hold[1])
    lift_s, source = None, ""
    if cue is not None:
        lifts = [c.onset_s for c in cues(recording.events, "lift", recording.meta) if c.side in (side, None)]
        before = [t for t in lifts if cue - 2 * LIFT_SEARCH_S < t < cue]
        if before:
            lift_s, source = before[-1], "lift event"
        else:
            ends = [
                e.onset_s for e in recording.events if "release" in e.trial_type and e.onset_s < cue - 0.5
            ]
            lift_s = find_lift(result.tilt, cue, after_s=max(ends) + PREVIOUS_END_S if ends else None)
            source = "pelvis tilt (IMU)" if lift_s is not None else ""
    pre = post = None
    if lift_s is not None and cue is not None:
        pre = _mean_pct(stance, st_ref, lift_s - BEFORE_S, lift_s)
        post = _mean_pct(stance, st_ref, lift_s + SETTLE_S, cue)
    return StanceRep(side, rep.rep, stance_pct, hanging_pct, lift_s, source, pre, post)


@dataclass(frozen=True)
class StanceSide:
    """One stance side over its squeezes, and the report's sentences about it."""

    side: Side
    reps: tuple[StanceRep, ...]
    latency_median_ms: float | None
    tries_median: float | None
    stance_hold_median_pct: float | None
    hanging_hold_median_pct: float | None
    before_lift_median_pct: float | None
    after_lift_median_pct: float | None
    sentences: tuple[str, ...]


def _try_words(false_starts: Sequence[int]) -> str:
    if not false_starts:
        return ""
    counts = {k: sum(1 for f in false_starts if f == k) for k in sorted(set(false_starts))}
    typical = max(counts, key=lambda k: (counts[k], -k))
    ordinal = ORDINALS[typical] if typical < len(ORDINALS) else f"{typical + 1}th"
    n = len(false_starts)
    where = "" if counts[typical] == n else f" in {counts[typical]} of {n} squeezes"
    return f", at the {ordinal} try{where}"


def _sentences(s: StanceSide, reps: Sequence[ClinicalRep], separable: bool) -> tuple[str, ...]:
    side, other = s.side.value, s.side.other.value
    out = []
    if s.latency_median_ms is not None:
        fs = [r.result.false_starts for r in reps if r.result.false_starts is not None]
        n = len([r for r in reps if r.result.squeeze_latency_ms is not None])
        out.append(
            f"Standing on your {side} leg, your {side} glute firmed up "
            f"{s.latency_median_ms / 1000.0:.1f} s after the cue{_try_words(fs)} "
            f"(median of {n} squeeze{'s' if n != 1 else ''})."
            + ("" if separable else " Some tries ran into the squeeze, so the count is less certain.")
        )
    if s.stance_hold_median_pct is not None and s.hanging_hold_median_pct is not None:
        st, hg = s.stance_hold_median_pct, s.hanging_hold_median_pct
        soft = hg < SOFT_RATIO * st
        out.append(
            f"During the squeeze your {side} (stance) glute worked at {st:.0f} % and the hanging {other} "
            f"glute at {hg:.0f} % of their references: "
            + (
                "the stance side firms up, the hanging side stays soft."
                if soft
                else "the hanging side is not soft: it works nearly as hard as the stance side."
            )
        )
    pre, post = s.before_lift_median_pct, s.after_lift_median_pct
    if pre is not None and post is not None:
        change = (
            f"stayed at {post:.0f} %"
            if abs(post - pre) < RISE_PCT
            else f"went from {pre:.0f} % to {post:.0f} %"
        )
        out.append(
            f"When the {other} leg came off the ground, your {side} glute {change} of its reference before "
            "the squeeze."
        )
    return tuple(out)


def stance_sides(
    reps: Sequence[ClinicalRep], result: AnalysisResult, recording: Recording, refs: Mapping[Role, Reference]
) -> tuple[StanceSide, ...]:
    """Per stance side: the squeezes' readings and the sentences (module docstring)."""
    out = []
    for side in Side:
        mine = [r for r in reps if r.side is side]
        if not mine:
            continue
        readings = tuple(stance_rep(r, result, recording, refs) for r in mine)
        fs = [r.result.false_starts for r in mine if r.result.false_starts is not None]
        s = StanceSide(
            side=side,
            reps=readings,
            latency_median_ms=stats.median(r.result.squeeze_latency_ms for r in mine),
            tries_median=float(np.median(fs)) if fs else None,
            stance_hold_median_pct=stats.median(x.stance_hold_pct for x in readings),
            hanging_hold_median_pct=stats.median(x.hanging_hold_pct for x in readings),
            before_lift_median_pct=stats.median(x.before_lift_pct for x in readings),
            after_lift_median_pct=stats.median(x.after_lift_pct for x in readings),
            sentences=(),
        )
        separable = all(r.result.tries_separable is not False for r in mine)
        out.append(replace(s, sentences=_sentences(s, mine, separable)))
    return tuple(out)
