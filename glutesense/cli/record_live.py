"""A live recording from a :class:`~glutesense.cli.cmd_record.RecordRequest`, in named steps.

:class:`LiveRecording` gathers what ``record`` wires together around
:func:`glutesense.acquire.recorder.record`:

* :meth:`~LiveRecording.make_clock` and the virtual-sensor backends;
* :meth:`~LiveRecording.channels`: the ``--map`` of device 0 and each device's setup warning;
* :meth:`~LiveRecording.open_writer`: the session metadata, the writer (or LSL publisher) and
  the live decoder + envelopes;
* :meth:`~LiveRecording.on_status`: packets into the live envelopes, the status to the display;
* :meth:`~LiveRecording.links`: one :class:`~glutesense.transport.ble.SensorLink` per device.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Mapping
from typing import Any

from glutesense.acquire.live import LiveEnvelopes
from glutesense.acquire.ports import Link
from glutesense.acquire.status import RecorderStatus, RecordResult
from glutesense.cli.display import Display
from glutesense.cli.errors import UsageError
from glutesense.cli.record_request import RecordRequest, mapped_channels, setup_warning
from glutesense.cli.terminal import say
from glutesense.decode.decoder import SessionDecoder
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

    def schedule(self) -> Any:
        from glutesense.acquire.recorder import build_schedule

        r = self.req
        try:
            return build_schedule(r.protocol, r.reps, r.sides, r.rest_s, r.rep_period_s, r.hold_s)
        except ValueError as e:
            raise UsageError(str(e)) from None

    def channels(self, profile: Any) -> dict[str, list[dict[str, Any]]] | None:
        """Device channels with ``--map`` applied to device 0; notes why a device cannot carry a pair."""
        first = not self.setups
        mapped = (
            mapped_channels(profile.name, self.req.channel_map) if self.req.channel_map and first else None
        )
        self.setups.append(setup_warning(profile.name, mapped))
        return mapped

    def open_writer(self, meta: Mapping[str, Any]) -> SessionWriter:
        full = {**self.meta_extra, **meta}
        # a pair of glute max + hamstring channels on any one device is enough
        pair_warnings = [] if None in self.setups else [w for w in self.setups if w]
        warnings = [*pair_warnings, *meta.get("setup_warnings", ())]
        if warnings:
            full["setup_warnings"] = warnings
            self.warnings = warnings
        self.decoder = SessionDecoder(full)
        self.live = LiveEnvelopes(self.decoder.devices)
        writer = SessionWriter(self.req.out, full)
        if self.req.lsl:
            from glutesense.lsl.outlet import LslPublisher

            return LslPublisher(writer, full, self.clock.now_ns())  # type: ignore[return-value]
        return writer

    def on_status(self, s: RecorderStatus) -> None:
        dec, live = self.decoder, self.live
        if dec is not None and live is not None:
            for pkt in s.new_packets:
                for block in dec.push(pkt):
                    live.feed(block)
        self.view.on_status(s, live)

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
            result = await record(
                self.links,
                self.open_writer,
                schedule,
                self.clock,
                on_status=self.on_status,
                channels=self.channels,
            )
        for warning in self.warnings:
            say(f"note: {warning}", file=sys.stderr)
        return result


async def record_session(req: RecordRequest, view: Display) -> RecordResult:
    """Connect, guide and record into ``req.out``, showing it on ``view``; the recorder's result."""
    return await LiveRecording(req, view).run()
