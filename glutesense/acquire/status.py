"""What the recorder reports: a status for the live view while it runs, a result when it ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glutesense.model.records import RawPacket


@dataclass(frozen=True)
class RecorderStatus:
    """What the live view shows, sent to ``on_status`` a few times per session second.

    Attributes
    ----------
    t_s, duration_s : float
        Session time now and at the schedule's end, s.
    text : str
        The current instruction.
    label : str or None
        The current cue's label.
    next_text : str or None
        The next instruction.
    countdown_s : float or None
        Seconds until the next cue while its countdown runs, else None.
    connected : bool
    n_packets, lost_packets : int
        Packets received, and packets lost according to the sequence counters.
    new_packets : tuple of RawPacket
        Packets received since the previous status.
    notices : tuple of str
        Link notices since the previous status (``disconnect``, ``reconnect``, ...).
    n_cues : int
        Cues given so far (a plain log prints each new one once).
    rep : int or None
        The current cue's rep (1-based), None outside reps.
    side : str or None
        The current cue's side (single-leg stand), else None.
    n_gaps : int
        Gaps in the sequence counters so far.
    """

    t_s: float
    duration_s: float
    text: str
    label: str | None
    next_text: str | None
    countdown_s: float | None
    connected: bool
    n_packets: int
    lost_packets: int
    new_packets: tuple[RawPacket, ...] = ()
    notices: tuple[str, ...] = ()
    n_cues: int = 0
    rep: int | None = None
    side: str | None = None
    n_gaps: int = 0


@dataclass(frozen=True)
class RecordResult:
    """Summary of a recording.

    Attributes
    ----------
    start_ns : int
        Clock reading at session time 0.
    duration_s : float
        Session time when recording stopped, s.
    completed : bool
        Whether the whole schedule ran (False when the link was lost or cancelled).
    n_packets, n_malformed : int
    lost_packets, n_gaps : int
        Packets missing according to the sequence counters, and the gaps they form.
    n_cues, n_markers_sent : int
    n_disconnects, n_reconnects : int
    n_interrupted : int
        Reps interrupted by a dropped link (each was repeated).
    ground_truth : bool
        Whether the device published annotations (simulated ground truth), now in the metadata.
    message : str
    gate : str
        The signal-quality gate's outcome (``pass``, ``warn``, ``fail``; empty when none ran).  On
        ``fail`` the test was not run and ``message`` lists the fixes.
    """

    start_ns: int
    duration_s: float
    completed: bool
    n_packets: int
    n_malformed: int
    lost_packets: int
    n_gaps: int
    n_cues: int
    n_markers_sent: int
    n_disconnects: int
    n_reconnects: int
    ground_truth: bool
    message: str = ""
    n_interrupted: int = 0
    gate: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)
