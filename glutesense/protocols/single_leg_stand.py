"""Single-leg stand: per stance side, the squeeze cue and the sustained glute contraction.

Each ``squeeze`` cue (side from the event, see :mod:`glutesense.protocols.cues`)
opens a rep for its stance side, from ``pre_cue_s`` before it to the next
``release``, ``squeeze`` or ``lift`` (or the end).  A squeeze whose side is
unknown gives a row for every side with channels, and a note.  Without squeeze
events, each ``lift`` event opens a rep instead, and latency stays empty.
"""

from __future__ import annotations

from glutesense.model.roles import Side
from glutesense.protocols.base import RepWindow, Segmentation, SegmentInput
from glutesense.protocols.cues import cues, next_after

_STOP_LABELS = frozenset({"release", "squeeze", "lift"})


def segment_single_leg_stand(data: SegmentInput, *, pre_cue_s: float) -> Segmentation:
    """Rep windows of a single-leg stand (see the module docstring)."""
    notes: list[str] = []
    squeezes = cues(data.events, "squeeze", data.meta)
    label, source = "squeeze", "cue events"
    if not squeezes:
        squeezes = cues(data.events, "lift", data.meta)
        label = "lift"
        notes.append(
            "no 'squeeze' events: squeeze latency left empty; reps from 'lift' events"
            if squeezes
            else "no 'squeeze' or 'lift' events: no reps can be placed"
        )
    counter: dict[Side, int] = {}
    reps: list[RepWindow] = []
    unknown = 0
    for c in squeezes:
        stop = next_after(data.events, c.onset_s, _STOP_LABELS) or data.duration_s
        sides = (c.side,) if c.side is not None else data.sides
        unknown += c.side is None
        for side in sides:
            if side not in data.sides:
                continue
            counter[side] = counter.get(side, 0) + 1
            reps.append(
                RepWindow(
                    side,
                    counter[side],
                    c.onset_s - pre_cue_s,
                    stop,
                    c.onset_s if label == "squeeze" else None,
                    None,
                    source,
                    "" if label == "squeeze" else "no squeeze cue",
                )
            )
    if unknown:
        notes.append(f"{unknown} {label} event(s) without a side: reported for every side with channels")
    return Segmentation(tuple(sorted(reps, key=lambda r: (r.side.value, r.rep))), tuple(notes))
