"""Guided training sets: the exercises, their cues and tempo, as a recorder schedule (pure).

A set is ``rest`` (the resting baseline), a ``reference`` contraction (both glutes as hard as you
can, ``reference_s``, then ``relax``), and ``reps`` reps at a slow, controlled tempo:

* the squeeze (seated or standing): ``contract`` (hold above the target line), ``relax``;
* hip thrust, single-leg bridge, clamshell, side plank, squat: ``cue`` (lift), ``hold`` (squeeze
  at the top), ``lower``, then a rest.

The labels are DESIGN.md's events, so a set is a session like any other: ``glutesense analyze
--protocol bridge`` reads the ``cue`` reps of a thrust, and the training report reads them all
(:mod:`glutesense.analysis.training`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from glutesense.acquire.ports import Link, WriterFactory
from glutesense.acquire.schedule import ScheduledCue
from glutesense.acquire.session import GuidedSession, Pacing
from glutesense.acquire.status import RecorderStatus, RecordResult
from glutesense.transport.clock import Clock


class Exercise(StrEnum):
    """The exercises ``glutesense train`` guides."""

    SQUEEZE = "squeeze"
    HIP_THRUST = "hip-thrust"
    SINGLE_LEG_BRIDGE = "single-leg-bridge"
    CLAMSHELL = "clamshell"
    SIDE_PLANK = "side-plank"
    SQUAT = "squat"


@dataclass(frozen=True)
class ExerciseSpec:
    """Cue texts and default tempo of one exercise (s); ``glute_first`` says whether the order matters."""

    lift_text: str
    hold_text: str
    lower_text: str
    lift_s: float
    hold_s: float
    rest_s: float
    glute_first: bool


EXERCISES: dict[Exercise, ExerciseSpec] = {
    Exercise.SQUEEZE: ExerciseSpec(
        "Squeeze both glutes: keep the bar above the line", "", "Relax", 0.0, 5.0, 5.0, False
    ),
    Exercise.HIP_THRUST: ExerciseSpec(
        "Drive your hips up, glutes first", "Squeeze at the top", "Lower slowly", 2.0, 5.0, 3.0, True
    ),
    Exercise.SINGLE_LEG_BRIDGE: ExerciseSpec(
        "Lift your hips on one leg", "Squeeze and keep the pelvis level", "Lower slowly", 2.0, 4.0, 3.0, True
    ),
    Exercise.CLAMSHELL: ExerciseSpec(
        "Open the top knee", "Hold it open", "Close slowly", 2.0, 3.0, 2.0, False
    ),
    Exercise.SIDE_PLANK: ExerciseSpec(
        "Lift your hips into the side plank", "Hold, glutes tight", "Lower", 2.0, 20.0, 10.0, False
    ),
    Exercise.SQUAT: ExerciseSpec(
        "Squat down slowly",
        "Drive up through your heels, squeeze at the top",
        "Stand tall and relax",
        3.0,
        2.0,
        3.0,
        False,
    ),
}


@dataclass(frozen=True)
class SetPlan:
    """One set: which exercise, how many reps, and its timing (s)."""

    exercise: Exercise
    reps: int = 12
    lift_s: float | None = None
    hold_s: float | None = None
    rest_s: float | None = None
    baseline_s: float = 4.0
    reference_s: float = 3.0
    countdown_s: float = 3.0

    def timing(self) -> tuple[float, float, float]:
        """(lift, hold, rest) in s, the exercise's defaults where not given."""
        spec = EXERCISES[self.exercise]
        lift = spec.lift_s if self.lift_s is None else self.lift_s
        hold = spec.hold_s if self.hold_s is None else self.hold_s
        rest = spec.rest_s if self.rest_s is None else self.rest_s
        return lift, hold, rest

    def active_span_s(self) -> float:
        """Seconds of lift and hold from the first rep to the last (``(reps - 1) × (lift + hold)``, at
        least one rep's): over this span a set's fatigue is read, so a virtual person whose median
        frequency falls by a share ``d`` over the set tires at ``d / active_span_s()`` per active second."""
        lift, hold, _ = self.timing()
        return max(1, self.reps - 1) * (lift + hold)


def build_set_schedule(
    plan: SetPlan, *, lead_s: float = 0.5, tail_s: float = 2.0
) -> tuple[ScheduledCue, ...]:
    """The recorder schedule of ``plan`` (module docstring); the last entry is ``end``.

    Raises
    ------
    ValueError
        For fewer than one rep, a hold under 1 s, or a rest under 1.5 s.
    """
    lift, hold, rest = plan.timing()
    if plan.reps < 1:
        raise ValueError(f"reps must be >= 1, got {plan.reps}")
    if hold < 1.0 or rest < 1.5 or lift < 0 or plan.baseline_s < 1.0:
        raise ValueError("hold must be >= 1 s, rest >= 1.5 s, lift >= 0 s and the baseline >= 1 s")
    spec = EXERCISES[plan.exercise]
    out = [ScheduledCue(lead_s, "rest", text="Relax and keep still", duration_s=plan.baseline_s)]
    t = lead_s + plan.baseline_s + plan.countdown_s
    out.append(
        ScheduledCue(
            t,
            "reference",
            text="Reference: squeeze both glutes as hard as you can",
            countdown_s=plan.countdown_s,
        )
    )
    out.append(ScheduledCue(t + plan.reference_s, "relax", text="Relax"))
    t += plan.reference_s + max(rest, 3.0) + plan.countdown_s
    squeeze = plan.exercise is Exercise.SQUEEZE
    for k in range(1, plan.reps + 1):
        cd = plan.countdown_s if k == 1 else min(plan.countdown_s, rest - 1.0)
        if squeeze:
            out.append(ScheduledCue(t, "contract", None, k, spec.lift_text, countdown_s=cd))
            out.append(ScheduledCue(t + hold, "relax", None, k, spec.lower_text))
        else:
            out.append(ScheduledCue(t, "cue", None, k, spec.lift_text, countdown_s=cd))
            out.append(ScheduledCue(t + lift, "hold", None, k, spec.hold_text))
            out.append(ScheduledCue(t + lift + hold, "lower", None, k, spec.lower_text))
        t += lift + hold + rest
    out.append(ScheduledCue(t - rest + tail_s, "end", text="Done", is_event=False))
    return tuple(out)


async def record_set(
    link: Link,
    open_writer: WriterFactory,
    schedule: Sequence[ScheduledCue],
    clock: Clock,
    *,
    on_status: Callable[[RecorderStatus], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> RecordResult:
    """Record one set like :func:`glutesense.acquire.recorder.record` (one link), asking ``stop``
    before each rep: True ends the set there, complete (the glute tired)."""
    from glutesense.acquire.recorder import _open

    await link.connect()
    try:
        writer, start_ns = await _open([link], open_writer, clock, None)
        ordered = sorted(schedule, key=lambda c: c.t_s)
        session = GuidedSession(
            [link], writer, ordered, clock, start_ns, Pacing(), on_status=on_status, stop=stop
        )
        return await session.run()
    finally:
        await link.close()
