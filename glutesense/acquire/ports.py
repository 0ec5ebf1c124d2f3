"""What the recorder needs of the outside world: a sensor link and a session writer.

The recorder knows nothing of where packets come from (a real sensor or the virtual one)
beyond :class:`Link`, which :class:`glutesense.transport.ble.SensorLink` fulfils, and nothing
of the file format beyond :class:`Writer`'s four methods (``SessionWriter`` fulfils it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from typing import Protocol as TypingProtocol

from glutesense.model.records import Event, RawPacket
from glutesense.profiles import DeviceProfile
from glutesense.transport.base import LinkNotice


class Link(TypingProtocol):
    """What the recorder needs of a sensor link (``SensorLink`` fulfils it)."""

    queue: asyncio.Queue[RawPacket | LinkNotice]

    @property
    def profile(self) -> DeviceProfile: ...
    @property
    def connected(self) -> bool: ...
    def describe(self) -> dict[str, Any]: ...
    async def connect(self) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def close(self) -> None: ...
    async def send_marker(self, marker_id: int, label: str = "") -> bool: ...
    async def read_annotations(self) -> dict[str, Any] | None: ...
    async def read_firmware(self) -> str | None: ...


class Writer(TypingProtocol):
    """What the recorder needs of a session writer (``SessionWriter`` fulfils it)."""

    def add_packet(self, pkt: RawPacket) -> None: ...
    def add_event(self, event: Event, **extra: Any) -> None: ...
    def update_meta(self, patch: Mapping[str, Any]) -> None: ...
    def close(self) -> None: ...


WriterFactory = Callable[[dict[str, Any]], Writer]
"""Called once, just after ``start_ns`` is taken, with the recorder's metadata
(``start_ns``, ``devices``, ``time_scale``); returns the open writer."""


@dataclass
class EventTee:
    """A writer that also hands every event to ``on_event`` (with ``side`` and ``rep`` from the extras)."""

    inner: Writer
    on_event: Callable[[Event], None]

    def add_packet(self, pkt: RawPacket) -> None:
        self.inner.add_packet(pkt)

    def add_event(self, event: Event, **extra: Any) -> None:
        self.inner.add_event(event, **extra)
        rep = extra.get("rep", event.rep)
        side = event.side
        if side is None and isinstance(extra.get("side"), str):
            from glutesense.model.roles import Side

            side = Side(extra["side"])
        self.on_event(Event(event.onset_s, event.duration_s, event.trial_type, side, rep))

    def update_meta(self, patch: Mapping[str, Any]) -> None:
        self.inner.update_meta(patch)

    def close(self) -> None:
        self.inner.close()
