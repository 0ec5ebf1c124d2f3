"""Walking and running: one rep window per stride and side, from touchdowns.

A stride of one leg runs from its touchdown (initial contact) to the same foot's next touchdown.
Touchdowns come from ``touchdown`` events (side from the event, see
:mod:`glutesense.protocols.cues`) or, without them, from a shank or thigh gyroscope
(:mod:`glutesense.protocols.gait_events`).  Stride ``k`` of a side gets the window
``[td_k - LEAD_FRACTION * T_prev, td_k + (1 - LEAD_FRACTION) * T_k)``, where ``T_k`` is its duration and
``T_prev`` the previous stride's: hamstrings switch on in terminal swing (the last 10-20 % of the
previous cycle) and glute max shortly before touchdown, so the onsets that belong to stride ``k``
lie just before its touchdown, and consecutive windows tile the walk.  ``cue_s`` is the touchdown.

A stride far longer or shorter than the walk's typical one (a pause, a turn, a missed touchdown) is
left out, with a note: ``MAX_STRIDE_RATIO`` times the median either way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glutesense.model.roles import Side
from glutesense.protocols.base import RepWindow, Segmentation, SegmentInput
from glutesense.protocols.cues import cues
from glutesense.protocols.gait_events import touchdowns_from_imu

LEAD_FRACTION = 0.4
"""Share of the previous stride before a touchdown that belongs to the new stride's window."""

MAX_STRIDE_RATIO = 1.5
"""Strides longer than this times the median, or shorter than the median over it, are left out."""

MIN_STRIDE_S, MAX_STRIDE_S = 0.4, 2.5
"""Plausible stride durations (cadence 24-150 strides per minute)."""


def _event_touchdowns(data: SegmentInput, notes: list[str]) -> dict[Side, list[float]]:
    found = cues(data.events, "touchdown", data.meta)
    out: dict[Side, list[float]] = {s: [] for s in data.sides}
    unknown = [c.onset_s for c in found if c.side is None]
    for c in found:
        if c.side is not None and c.side in out:
            out[c.side].append(c.onset_s)
    if unknown:
        if len(data.sides) == 1:
            out[data.sides[0]] += unknown
        else:
            # feet alternate: give every other unlabelled touchdown to each side
            for i, t in enumerate(sorted(unknown)):
                out[(Side.LEFT, Side.RIGHT)[i % 2]].append(t)
            notes.append(
                f"{len(unknown)} touchdown event(s) without a side: taken as alternating left, right, ... "
                "(label them touchdown_left / touchdown_right, or give a side column)"
            )
    return {s: sorted(v) for s, v in out.items()}


def stride_windows(side: Side, touchdowns: Sequence[float], source: str, notes: list[str]) -> list[RepWindow]:
    """The stride windows of one side (module docstring); strides numbered from 1 in time order."""
    td = np.asarray(sorted(touchdowns), dtype=np.float64)
    if td.size < 2:
        return []
    durations = np.diff(td)
    plausible = durations[(durations >= MIN_STRIDE_S) & (durations <= MAX_STRIDE_S)]
    if plausible.size == 0:
        notes.append(f"{side.value}: no stride of plausible duration ({MIN_STRIDE_S:g}-{MAX_STRIDE_S:g} s)")
        return []
    typical = float(np.median(plausible))
    lo, hi = max(typical / MAX_STRIDE_RATIO, MIN_STRIDE_S), min(typical * MAX_STRIDE_RATIO, MAX_STRIDE_S)
    out: list[RepWindow] = []
    skipped = 0
    for k, (t, dur) in enumerate(zip(td[:-1], durations, strict=True)):
        if not lo <= dur <= hi:
            skipped += 1
            continue
        prev = float(durations[k - 1]) if k > 0 and lo <= durations[k - 1] <= hi else float(dur)
        start = float(t) - LEAD_FRACTION * prev
        stop = float(t) + (1.0 - LEAD_FRACTION) * float(dur)
        out.append(RepWindow(side, len(out) + 1, start, stop, float(t), None, source, cycle_s=float(dur)))
    if skipped:
        notes.append(
            f"{side.value}: {skipped} stride(s) left out for their duration (outside {lo:.2f}-{hi:.2f} s, "
            f"typical {typical:.2f} s: a pause, a turn or a missed touchdown)"
        )
    return out


def segment_walk(data: SegmentInput, *, pre_cue_s: float) -> Segmentation:
    """Stride windows of a walk or run (see the module docstring); ``pre_cue_s`` is not used."""
    del pre_cue_s
    notes: list[str] = []
    by_side = _event_touchdowns(data, notes)
    source = "touchdown events"
    if not any(by_side.values()):
        imu = touchdowns_from_imu(data.rate, data.meta, data.sides)
        notes.extend(imu.notes)
        by_side = {s: list(v) for s, v in imu.touchdowns.items() if s in data.sides}
        source = imu.source
        if not any(by_side.values()):
            notes.insert(0, "no 'touchdown' events and no usable leg gyroscope: no strides can be placed")
    reps: list[RepWindow] = []
    for side in data.sides:
        reps += stride_windows(side, by_side.get(side, []), source, notes)
    return Segmentation(tuple(sorted(reps, key=lambda r: (r.side.value, r.rep))), tuple(notes))
