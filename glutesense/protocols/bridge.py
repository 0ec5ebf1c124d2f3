"""Glute bridge: reps from ``cue`` events, else from thigh lifts (accelerometer), else from the EMG.

With cues, rep ``k`` spans from ``pre_cue_s`` before its cue to the following
``lower`` (or the next cue, or the end); its movement onset comes from the thigh
gyroscope when there is one, else from the tilt (``movement_onset_imu``).
Without cues, each sustained thigh tilt change is a rep, its window opening 1 s
before the movement onset.
Without an accelerometer, each sustained burst (>= 1 s) seen on any channel
opens a rep.  A bridge loads both legs, so every rep gives a row per side.
"""

from __future__ import annotations

from collections.abc import Sequence

from glutesense.detect.base import Burst
from glutesense.protocols.base import RepWindow, Segmentation, SegmentInput
from glutesense.protocols.cues import cues, next_after
from glutesense.signal.movement import find_lifts, movement_onset_imu

_STOP_LABELS = frozenset({"lower", "cue"})
PRE_MOVEMENT_S = 1.0
MIN_EMG_REP_S = 1.0


def _rows(
    windows: Sequence[tuple[float, float, float | None, float | None]], data: SegmentInput, source: str
) -> tuple[RepWindow, ...]:
    return tuple(
        RepWindow(side, k, start, stop, cue, move, source)
        for k, (start, stop, cue, move) in enumerate(windows, start=1)
        for side in data.sides
    )


def _from_cues(data: SegmentInput, pre_cue_s: float) -> list[tuple[float, float, float | None, float | None]]:
    out: list[tuple[float, float, float | None, float | None]] = []
    for c in cues(data.events, "cue", data.meta):
        stop = next_after(data.events, c.onset_s, _STOP_LABELS) or data.duration_s
        move = movement_onset_imu(data.tilt, data.rate, after_s=c.onset_s, before_s=stop)
        out.append((c.onset_s - pre_cue_s, stop, c.onset_s, move))
    return out


def _emg_reps(data: SegmentInput) -> list[tuple[float, float]]:
    long: list[Burst] = sorted(
        (b for bursts in data.bursts.values() for b in bursts if b.duration_s >= MIN_EMG_REP_S),
        key=lambda b: b.onset_s,
    )
    spans: list[tuple[float, float]] = []
    for b in long:
        if spans and b.onset_s < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b.offset_s))
        else:
            spans.append((b.onset_s, b.offset_s))
    return spans


def segment_bridge(data: SegmentInput, *, pre_cue_s: float) -> Segmentation:
    """Rep windows of a bridge recording (see the module docstring)."""
    windows = _from_cues(data, pre_cue_s)
    if windows:
        return Segmentation(_rows(windows, data, "cue events"))
    notes = ["no 'cue' events: reps found from the "]
    if data.tilt is not None:
        lifts = find_lifts(data.tilt, rate=data.rate)
        found = [(max(a - PRE_MOVEMENT_S, 0.0), b, None, a) for a, b in lifts]
        notes[0] += "accelerometer (sustained thigh tilt changes)"
        return Segmentation(_rows(found, data, "accelerometer"), tuple(notes))
    spans = _emg_reps(data)
    found_emg = [(max(a - PRE_MOVEMENT_S, 0.0), b, None, None) for a, b in spans]
    notes[0] += f"EMG (sustained bursts of at least {MIN_EMG_REP_S:g} s; no accelerometer)"
    return Segmentation(_rows(found_emg, data, "emg"), tuple(notes))
