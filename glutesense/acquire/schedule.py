"""The guided test's cue schedule: what is said when, grouped into reps (pure).

Cue labels are DESIGN.md's event labels.  A schedule is a time-ordered tuple of
:class:`ScheduledCue`; the recorder runs it rep by rep (:func:`rep_blocks`), moving the rest
later when a dropped link pauses the test.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from glutesense.model.roles import Protocol, Side


@dataclass(frozen=True)
class ScheduledCue:
    """One entry of a guided test's schedule.

    Attributes
    ----------
    t_s : float
        Session time the cue is given, s.
    label : str
        Event label (``rest``, ``cue``, ``lower``, ``lift``, ``squeeze``, ``release``), or
        ``end`` for the schedule's end (not an event).
    side : Side or None
        Stance side for the single-leg stand; None for the (bilateral) bridge.
    rep : int or None
        1-based repetition (per side for the single-leg stand).
    text : str
        What to show the person.
    duration_s : float
        Event duration, s (the ``rest`` baseline); 0 for an instant.
    countdown_s : float
        Show a countdown this long before ``t_s``, s.
    is_event : bool
        Whether the cue is written to the event log (and sent as a marker).
    """

    t_s: float
    label: str
    side: Side | None = None
    rep: int | None = None
    text: str = ""
    duration_s: float = 0.0
    countdown_s: float = 0.0
    is_event: bool = True

    @property
    def marker_label(self) -> str:
        """Label sent in the device marker: ``label`` or ``label:side``."""
        return self.label if self.side is None else f"{self.label}:{self.side.value}"


def build_schedule(
    protocol: Protocol,
    reps: int = 5,
    sides: Sequence[Side] = (Side.LEFT, Side.RIGHT),
    rest_s: float = 5.0,
    rep_period_s: float = 6.0,
    hold_s: float = 2.5,
    *,
    lead_s: float = 0.5,
    countdown_s: float = 3.0,
    lift_to_squeeze_s: float = 1.5,
    tail_s: float = 2.0,
) -> tuple[ScheduledCue, ...]:
    """The cue schedule of a guided test.

    Bridge: ``rest`` (baseline, ``rest_s`` long) from ``lead_s``; then ``reps`` times a
    countdown, ``cue`` (lift the hips), ``lower`` ``hold_s`` later; reps ``rep_period_s``
    apart.  Single-leg stand, per side in ``sides`` and ``reps`` times: ``lift`` (stand on
    that leg), ``squeeze`` ``lift_to_squeeze_s`` later, ``release`` ``hold_s`` after the
    squeeze.  The last entry is ``end`` (``is_event=False``), ``tail_s`` after the last cue.

    Raises
    ------
    ValueError
        When the timing leaves no room to rest between reps.
    """
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    if rest_s < 0 or hold_s <= 0 or countdown_s < 0:
        raise ValueError("rest_s and countdown_s must be >= 0 and hold_s > 0")
    out = [ScheduledCue(lead_s, "rest", text="Relax and keep still", duration_s=rest_s)]
    t = lead_s + rest_s + countdown_s
    if protocol is Protocol.BRIDGE:
        gap_s = rep_period_s - hold_s
        if gap_s < 2.0:
            raise ValueError(f"rep_period_s ({rep_period_s} s) must exceed hold_s ({hold_s} s) by >= 2 s")
        for k in range(1, reps + 1):
            cd = countdown_s if k == 1 else min(countdown_s, gap_s - 1.0)
            out.append(ScheduledCue(t, "cue", None, k, "Lift your hips", countdown_s=cd))
            out.append(ScheduledCue(t + hold_s, "lower", None, k, "Lower slowly"))
            t += rep_period_s
        last = t - rep_period_s + hold_s
    elif protocol is Protocol.SINGLE_LEG_STAND:
        if not sides:
            raise ValueError("single-leg stand needs at least one side")
        gap_s = rep_period_s - lift_to_squeeze_s - hold_s
        if gap_s < 2.0:
            raise ValueError(
                f"rep_period_s ({rep_period_s} s) must exceed lift_to_squeeze_s + hold_s "
                f"({lift_to_squeeze_s + hold_s} s) by >= 2 s"
            )
        first = True
        for side in sides:
            for k in range(1, reps + 1):
                cd = countdown_s if first else min(countdown_s, gap_s - 1.0)
                first = False
                text = f"Stand on your {side.value} leg"
                out.append(ScheduledCue(t, "lift", side, k, text, countdown_s=cd))
                t_sq = t + lift_to_squeeze_s
                out.append(ScheduledCue(t_sq, "squeeze", side, k, f"Squeeze your {side.value} glute"))
                out.append(ScheduledCue(t_sq + hold_s, "release", side, k, "Release, both feet down"))
                t += rep_period_s
        last = t - rep_period_s + lift_to_squeeze_s + hold_s
    else:  # pragma: no cover - exhaustive over Protocol
        raise ValueError(f"no schedule for protocol {protocol}")
    out.append(ScheduledCue(last + tail_s, "end", text="Done", is_event=False))
    return tuple(out)


def schedule_duration_s(schedule: Iterable[ScheduledCue]) -> float:
    """Session time at which the schedule is over, s."""
    return max((c.t_s + c.duration_s for c in schedule), default=0.0)


def rep_blocks(schedule: Sequence[ScheduledCue]) -> list[tuple[ScheduledCue, ...]]:
    """Consecutive cues of one rep (same ``rep`` and ``side``) form a block; others stand alone."""
    out: list[list[ScheduledCue]] = []
    for c in schedule:
        if out and c.rep is not None and (out[-1][0].rep, out[-1][0].side) == (c.rep, c.side):
            out[-1].append(c)
        else:
            out.append([c])
    return [tuple(b) for b in out]
