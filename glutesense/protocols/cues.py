"""Reading side-labelled cue events.

A cue's side is taken, in order, from the event's ``side`` field, from a
suffix of its ``trial_type`` (``squeeze_left``, ``squeeze_r``, ``squeeze:left``,
``squeeze-left``, ``squeeze left``; case-insensitive), or from the recording's
``meta["side"]``; otherwise it is unknown (None).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from glutesense.model.records import Event
from glutesense.model.roles import Side

_SIDE_WORDS = {"left": Side.LEFT, "l": Side.LEFT, "right": Side.RIGHT, "r": Side.RIGHT}
_LABEL = re.compile(r"^\s*([a-z]+)(?:[\s_:\-]+([a-z]+))?\s*$")


@dataclass(frozen=True)
class Cue:
    """A cue event with its label split from its side."""

    onset_s: float
    label: str
    side: Side | None


def parse_label(trial_type: str) -> tuple[str, Side | None]:
    """``"squeeze_left"`` -> ``("squeeze", Side.LEFT)``; ``"cue"`` -> ``("cue", None)``."""
    m = _LABEL.match(trial_type.lower())
    if m is None:
        return trial_type.strip().lower(), None
    head, tail = m.group(1), m.group(2)
    if tail is None:
        return head, None
    if tail in _SIDE_WORDS:
        return head, _SIDE_WORDS[tail]
    return trial_type.strip().lower(), None


def meta_side(meta: Mapping[str, object]) -> Side | None:
    """The tested side named in the metadata, if any."""
    value = meta.get("side")
    if isinstance(value, str) and value.lower() in _SIDE_WORDS:
        return _SIDE_WORDS[value.lower()]
    return None


def cues(events: tuple[Event, ...], label: str, meta: Mapping[str, object]) -> tuple[Cue, ...]:
    """All events whose label (without side suffix) is ``label``, in time order, with their side."""
    fallback = meta_side(meta)
    out = []
    for e in events:
        head, side = parse_label(e.trial_type)
        if head == label:
            out.append(Cue(e.onset_s, head, e.side or side or fallback))
    return tuple(sorted(out, key=lambda c: c.onset_s))


def next_after(events: tuple[Event, ...], t_s: float, labels: frozenset[str]) -> float | None:
    """Onset of the first event after ``t_s`` whose label is in ``labels``."""
    times = [e.onset_s for e in events if e.onset_s > t_s and parse_label(e.trial_type)[0] in labels]
    return min(times) if times else None
