"""The signal-quality gate in a guided recording: its cues before the test, and its verdict.

:func:`gate_schedule` says what is said when (about 20 s: a rest, then per side "Squeeze your left
glute" and "Press your left heel into the floor", each followed by "Relax"); :func:`with_gate`
puts it before a test's schedule.  :class:`GateStep` keeps the events the recorder writes
(:meth:`GateStep.wrap`) and, asked before each block (``before_block``), grades the channels once
the gate's cues are over (:func:`glutesense.analysis.gate.check_gate` on the session decoded so
far), writes the report (``meta["gate"]`` and a ``gate`` event) and says whether to stop there.
Never prints: ``on_report`` receives the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from glutesense.acquire.ports import EventTee, Writer
from glutesense.acquire.schedule import ScheduledCue
from glutesense.analysis.gate import (
    GATE_GLUTE,
    GATE_HAMSTRING,
    GATE_LABELS,
    GATE_RELAX,
    GATE_REST,
    check_gate,
)
from glutesense.decode.decoder import SessionDecoder
from glutesense.model.gate import GateReport, Level
from glutesense.model.records import Event
from glutesense.model.roles import Side

GATE_CHECK = "gate_check"
"""The schedule entry (not an event) at which the gate's checks are read."""


@dataclass(frozen=True)
class GateTiming:
    """How long each part of the gate takes, session s."""

    lead_s: float = 0.5
    rest_s: float = 6.0
    contract_s: float = 2.0
    relax_s: float = 1.5
    read_s: float = 1.0
    """From the last "Relax" to reading the checks (the last samples arrive)."""


def gate_schedule(sides: Sequence[Side], timing: GateTiming | None = None) -> tuple[ScheduledCue, ...]:
    """The gate's cues for ``sides``, from session time 0; the last entry is ``gate_check``."""
    tm = timing or GateTiming()
    out = [
        ScheduledCue(tm.lead_s, GATE_REST, text="Signal check: relax and keep still", duration_s=tm.rest_s)
    ]
    t = tm.lead_s + tm.rest_s
    for side in sides:
        for label, text in (
            (GATE_GLUTE, f"Squeeze your {side.value} glute"),
            (GATE_HAMSTRING, f"Press your {side.value} heel into the floor"),
        ):
            out.append(ScheduledCue(t, label, side, None, text, duration_s=tm.contract_s))
            out.append(ScheduledCue(t + tm.contract_s, GATE_RELAX, side, None, "Relax"))
            t += tm.contract_s + tm.relax_s
    out.append(
        ScheduledCue(t - tm.relax_s + tm.read_s, GATE_CHECK, text="Checking the signal", is_event=False)
    )
    return tuple(out)


def with_gate(gate: Sequence[ScheduledCue], schedule: Sequence[ScheduledCue]) -> tuple[ScheduledCue, ...]:
    """``schedule`` moved to start after ``gate`` ends."""
    shift_s = max(c.t_s + c.duration_s for c in gate)
    return (*gate, *(replace(c, t_s=c.t_s + shift_s) for c in schedule))


@dataclass
class GateStep:
    """Reads the gate once its cues are over (module docstring).

    Parameters
    ----------
    decoder : callable
        Returns the live decoder (None before the writer opened).
    on_report : callable, optional
        Receives the report and the session time when the checks were read.
    stop_on_fail : bool
        Stop the recording when a check failed (else go on to the test).
    """

    decoder: Callable[[], SessionDecoder | None]
    on_report: Callable[[GateReport, float], None] | None = None
    stop_on_fail: bool = True
    events: list[Event] = field(default_factory=list)
    report: GateReport | None = None
    writer: Writer | None = None

    def wrap(self, writer: Writer) -> Writer:
        self.writer = EventTee(writer, self.events.append)
        return self.writer

    @property
    def failed(self) -> bool:
        return self.report is not None and self.report.level is Level.FAIL

    def before_block(self, head: ScheduledCue, now_s: float) -> bool:
        """True to stop the schedule here: the first block after the gate, when a check failed."""
        if self.report is not None or head.label in (*GATE_LABELS, GATE_CHECK):
            return False
        dec = self.decoder()
        report = check_gate(dec.recording(self.events)) if dec is not None else GateReport((), note="no data")
        self.report = report
        if self.writer is not None:
            self.writer.update_meta({"gate": report.to_json()})
            failed = [c.channel or "sensor" for c in report.checks if c.level is Level.FAIL]
            self.writer.add_event(
                Event(round(now_s, 6), 0.0, "gate"), level=report.level.value, failed=failed
            )
        if self.on_report is not None:
            self.on_report(report, now_s)
        return self.failed and self.stop_on_fail
