"""A live recording from a :class:`~glutesense.cli.cmd_record.RecordRequest`, in named steps.

:class:`LiveRecording` gathers what ``record`` wires together around
:func:`glutesense.acquire.recorder.record`:

* :meth:`~LiveRecording.make_clock` and the virtual-sensor backends;
* :meth:`~LiveRecording.channels`: the ``--map`` of device 0 and each device's setup warning;
* :meth:`~LiveRecording.open_writer`: the session metadata, the writer (or LSL publisher) and
  the live decoder + envelopes;
* :meth:`~LiveRecording.on_status`: packets into the live envelopes, the status to the display,
  and each rep's verdict (:class:`~glutesense.acquire.rep_verdicts.RepVerdicts`) once it is over;
* the signal-quality gate before the test (:class:`~glutesense.acquire.gate.GateStep`, unless
  ``--skip-gate``), shown by :meth:`~LiveRecording.show_gate`;
* :meth:`~LiveRecording.links`: one :class:`~glutesense.transport.ble.SensorLink` per device.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from glutesense.acquire.gate import GateStep, gate_schedule, with_gate
from glutesense.acquire.live import LiveEnvelopes
from glutesense.acquire.ports import Link, Writer
from glutesense.acquire.rep_verdicts import RepVerdicts
from glutesense.acquire.status import RecorderStatus, RecordResult
from glutesense.cli.display import Display
from glutesense.cli.errors import UsageError
from glutesense.cli.record_request import RecordRequest, mapped_channels, setup_warning
from glutesense.cli.terminal import say
from glutesense.decode.decoder import SessionDecoder
from glutesense.model.gate import GateReport, Level
from glutesense.session import SessionWriter
from glutesense.version import __version__


def session_meta(req: RecordRequest) -> dict[str, Any]:
    """The metadata ``record`` (and ``train``) adds to the recorder's own; the session writer adds
    ``format_version``."""
    return {
        "format": "glutesense-session",
        "software_version": __version__,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "subject": req.subject,
        "protocol": req.protocol.value,
        "side": "both" if len(req.sides) == 2 else req.sides[0].value,
        "reps": req.reps,
    }


def make_clock(speed: float) -> Any:
    """Real time, scaled time, or virtual time (``inf``: sleeps take no real time)."""
    from glutesense.transport.clock import LoopClock, MonotonicClock, ScaledClock

    if math.isinf(speed):
        return LoopClock()  # with run_in_virtual_time
    return ScaledClock(speed) if speed != 1 else MonotonicClock()


def sim_options(sim: Mapping[str, Any], index: int) -> dict[str, Any]:
    """Virtual sensor options of device ``index``: the same person, a distinct address."""
    if index == 0:
        return dict(sim)
    return {**sim, "address": f"5A:1E:00:00:{index + 1:02X}:{index:02X}"}


class LiveRecording:
    """One ``record`` run: the request, its clock and backends, the display, the live state."""

    def __init__(self, req: RecordRequest, view: Display) -> None:
        from glutesense.virtual.devices import resolve_backend

        self.req = req
        self.view = view
        self.clock = make_clock(req.speed)
        self.targets = req.all_devices
        self.backends = [
            resolve_backend(t, clock=self.clock, protocol=req.protocol, sim=sim_options(req.sim, i))
            for i, t in enumerate(self.targets)
        ]
        self.setups: list[str | None] = []  # per device, in index order: why it cannot carry a pair
        self.warnings: list[str] = []
        self.decoder: SessionDecoder | None = None
        self.live: LiveEnvelopes | None = None
        self.meta_extra = session_meta(req)
        self.gate: GateStep | None = None
        if req.gate:
            self.gate = GateStep(lambda: self.decoder, on_report=self.show_gate)
        background = not math.isinf(req.speed)  # in virtual time, the analysis costs no session time
        self.verdicts = RepVerdicts(req.protocol, background=background) if req.verdicts else None

    def schedule(self) -> Any:
        from glutesense.acquire.recorder import build_schedule

        r = self.req
        try:
            schedule = build_schedule(r.protocol, r.reps, r.sides, r.rest_s, r.rep_period_s, r.hold_s)
        except ValueError as e:
            raise UsageError(str(e)) from None
        return with_gate(gate_schedule(r.sides), schedule) if self.gate is not None else schedule

    def show_gate(self, report: GateReport, t_s: float) -> None:
        """The gate's outcome on the display: a summary line, then each check that did not pass."""
        n_channels = len({c.channel for c in report.checks if c.channel})
        note = f" ({report.note})" if report.note else ""
        self.view.line(t_s, f"signal check: {report.level.value} ({n_channels} channels){note}")
        for c in report.checks:
            if c.level is not Level.PASS:
                self.view.line(t_s, f"signal check: {c.line()}")

    def channels(self, profile: Any) -> dict[str, list[dict[str, Any]]] | None:
        """Device channels with ``--map`` applied to device 0; notes why a device cannot carry a pair."""
        first = not self.setups
        mapped = (
            mapped_channels(profile.name, self.req.channel_map) if self.req.channel_map and first else None
        )
        self.setups.append(setup_warning(profile.name, mapped))
        return mapped

    def open_writer(self, meta: Mapping[str, Any]) -> Writer:
        full = {**self.meta_extra, **meta}
        # a pair of glute max + hamstring channels on any one device is enough
        pair_warnings = [] if None in self.setups else [w for w in self.setups if w]
        warnings = [*pair_warnings, *meta.get("setup_warnings", ())]
        if warnings:
            full["setup_warnings"] = warnings
            self.warnings = warnings
        self.decoder = SessionDecoder(full)
        self.live = LiveEnvelopes(self.decoder.devices)
        writer: Writer = SessionWriter(self.req.out, full)
        if self.req.lsl:
            from glutesense.lsl.outlet import LslPublisher

            writer = LslPublisher(writer, full, self.clock.now_ns())
        if self.verdicts is not None:
            writer = self.verdicts.wrap(writer)
        return self.gate.wrap(writer) if self.gate is not None else writer

    def on_status(self, s: RecorderStatus) -> None:
        dec, live = self.decoder, self.live
        if dec is not None and live is not None:
            for pkt in s.new_packets:
                for block in dec.push(pkt):
                    live.feed(block)
        self.view.on_status(s, live)
        if self.verdicts is not None:
            for line in self.verdicts.tick(s.t_s, dec):
                self.view.line(s.t_s, line)

    def links(self) -> list[Link]:
        from glutesense.profiles import get_profile
        from glutesense.transport.ble import SensorLink
        from glutesense.virtual.devices import is_sim, link_target, sim_profile

        return [
            SensorLink(
                link_target(target, b),
                clock=self.clock,
                backend=b,
                profile=get_profile(sim_profile(target)) if is_sim(target) else None,
                device_index=i,
                scan_timeout_s=self.req.scan_timeout_s,
            )
            for i, (target, b) in enumerate(zip(self.targets, self.backends, strict=True))
        ]

    async def run(self) -> RecordResult:
        from glutesense.acquire.recorder import record

        schedule = self.schedule()
        with self.view:
            try:
                result = await record(
                    self.links,
                    self.open_writer,
                    schedule,
                    self.clock,
                    on_status=self.on_status,
                    channels=self.channels,
                    before_block=None if self.gate is None else self.gate.before_block,
                )
            finally:
                tail = self.verdicts.finish() if self.verdicts is not None else []
            for line in tail:  # reps read in the background after the last status
                self.view.line(result.duration_s, line)
        for warning in self.warnings:
            say(f"note: {warning}", file=sys.stderr)
        report = None if self.gate is None else self.gate.report
        if report is not None:
            fixes = "\n".join(report.fixes) if report.level is Level.FAIL else result.message
            result = replace(result, gate=report.level.value, message=fixes)
        return result


async def record_session(req: RecordRequest, view: Display) -> RecordResult:
    """Connect, guide and record into ``req.out``, showing it on ``view``; the recorder's result."""
    return await LiveRecording(req, view).run()
