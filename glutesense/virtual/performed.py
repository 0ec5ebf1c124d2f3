"""What a virtual person did, as it happened: each repetition (:class:`PerformedRep`) and the
single-leg stance in progress (:class:`Stance`), kept live by
:class:`~glutesense.virtual.person.VirtualPerson` and written into the ground truth
(:meth:`PerformedRep.to_json`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from glutesense.model.roles import Muscle, Role, Side
from glutesense.virtual.shapes import Burst


def r6(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 6)


@dataclass
class PerformedRep:
    """One repetition on one side, as the person performed it (live-updated while it lasts)."""

    rep: int
    side: Side
    cue_label: str
    cue_s: float
    reaction_s: float
    movement_onset_s: float
    muscles: dict[Role, Burst]
    false_starts: list[Burst] = field(default_factory=list)
    lift_cue_s: float | None = None
    lift_muscles: dict[Role, Burst] = field(default_factory=dict)
    release_cue_s: float | None = None
    offset_s: float | None = None
    movement_offset_s: float | None = None

    def _onset(self, muscle: Muscle) -> Burst | None:
        return self.muscles.get(Role.emg(muscle, self.side))

    def to_json(self) -> dict[str, Any]:
        glute, ham = self._onset(Muscle.GLUTE_MAX), self._onset(Muscle.HAMSTRING)
        lag_ms = lag10_ms = None
        if glute is None:
            order = "glute_absent"
        elif ham is None:
            order = "undetected"
        else:
            lag_ms = round(1000.0 * (glute.t_on_s - ham.t_on_s), 3)
            lag10_ms = round(1000.0 * (glute.t10_s - ham.t10_s), 3)
            order = "glute_first" if lag_ms < 0 else "hamstring_first" if lag_ms > 0 else "simultaneous"

        def muscles(ms: dict[Role, Burst]) -> dict[str, Any]:
            return {
                r.value: {
                    "onset_s": r6(b.t_on_s),
                    "t10_s": r6(b.t10_s),
                    "rise_ms": round(1000.0 * b.rise_s, 3),
                    "plateau_uv": round(b.level_uv, 3),
                    "offset_s": r6(b.t_off_s),
                }
                for r, b in ms.items()
            }

        return {
            "rep": self.rep,
            "side": self.side.value,
            "cue_label": self.cue_label,
            "cue_s": r6(self.cue_s),
            "reaction_ms": round(1000.0 * self.reaction_s, 3),
            "movement_onset_s": r6(self.movement_onset_s),
            "glute_onset_s": None if glute is None else r6(glute.t_on_s),
            "glute_t10_s": None if glute is None else r6(glute.t10_s),
            "hamstring_onset_s": None if ham is None else r6(ham.t_on_s),
            "hamstring_t10_s": None if ham is None else r6(ham.t10_s),
            "glute_lag_ms": lag_ms,
            "glute_lag_t10_ms": lag10_ms,
            "order": order,
            "false_starts": len(self.false_starts),
            "false_starts_s": [r6(b.t_on_s) for b in self.false_starts],
            "false_start_durations_ms": [round(1000.0 * (b.end_s - b.t_on_s), 3) for b in self.false_starts],
            "lift_cue_s": r6(self.lift_cue_s),
            "lift_muscles": muscles(self.lift_muscles),
            "release_cue_s": r6(self.release_cue_s),
            "offset_s": r6(self.offset_s),
            "movement_offset_s": r6(self.movement_offset_s),
            "muscles": muscles(self.muscles),
        }


@dataclass
class Stance:
    """A single-leg stance in progress (from ``lift`` to ``release``)."""

    side: Side
    lift_cue_s: float | None
    bursts: dict[Role, Burst]
    roll_delta_deg: float
    reps: list[PerformedRep] = field(default_factory=list)
    pitch_delta_deg: float = 0.0
