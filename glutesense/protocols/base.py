"""What a protocol's segmentation produces: rep windows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from glutesense.detect.base import Burst
from glutesense.model.records import Event
from glutesense.model.roles import Role, Side
from glutesense.signal.movement import AngularRate, Tilt


@dataclass(frozen=True)
class RepWindow:
    """One repetition on one side.

    Attributes
    ----------
    side : Side
        The side the row reports (for a single-leg stand: the stance leg).
    rep : int
        1-based, per side.
    start_s, stop_s : float
        Window ``[start_s, stop_s)`` in which this rep's onsets are looked for.
    cue_s : float or None
        The cue (bridge: ``cue``; single-leg stand: ``squeeze``), None without cues.
    movement_onset_s : float or None
        From the gyroscope when there is one, else the accelerometer; None without either.
    source : str
        How the rep was found: ``"cue events"``, ``"accelerometer"``, ``"emg"``, ``"touchdown events"``,
        ``"gyroscope"``.
    note : str
        Why something is missing (empty when nothing is).
    cycle_s : float or None
        Walk: the stride's duration (its touchdown to the same foot's next one), s; None otherwise.
    """

    side: Side
    rep: int
    start_s: float
    stop_s: float
    cue_s: float | None
    movement_onset_s: float | None
    source: str
    note: str = ""
    cycle_s: float | None = None


@dataclass(frozen=True)
class SegmentInput:
    """Everything a protocol may segment from.

    Attributes
    ----------
    events : tuple of Event
    sides : tuple of Side
        Sides with both a glute max and a hamstring channel.
    tilt : Tilt or None
        Segment tilt from the accelerometer.
    bursts : mapping Role -> tuple of Burst
        Detected EMG bursts per channel (for EMG-only segmentation).
    duration_s : float
    meta : mapping
        Recording metadata (``side`` may name the tested side).
    rate : AngularRate or None
        Angular rate from the gyroscope (movement onsets come from it when present).
    """

    events: tuple[Event, ...]
    sides: tuple[Side, ...]
    tilt: Tilt | None
    bursts: Mapping[Role, tuple[Burst, ...]]
    duration_s: float
    meta: Mapping[str, object]
    rate: AngularRate | None = None


@dataclass(frozen=True)
class Segmentation:
    """Rep windows of a recording and notes on how they were found."""

    reps: tuple[RepWindow, ...]
    notes: tuple[str, ...] = ()


class Segmenter(Protocol):
    """A protocol's segmentation: the one function each protocol module provides."""

    def __call__(self, data: SegmentInput, *, pre_cue_s: float) -> Segmentation: ...
