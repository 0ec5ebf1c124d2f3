"""Guided recording: cue schedule, countdowns, packets and events into a session writer.

The recorder never prints: it reports through ``on_status`` and returns a
:class:`~glutesense.acquire.status.RecordResult`.  It knows nothing of where packets come
from (a real sensor or the virtual one) beyond the :class:`~glutesense.acquire.ports.Link`
interface that :class:`glutesense.transport.ble.SensorLink` fulfils, and nothing of the file
format beyond the :class:`~glutesense.acquire.ports.Writer`'s four methods.

The parts, each in its own module:

* :mod:`~glutesense.acquire.schedule`: what is said when (pure);
* :mod:`~glutesense.acquire.ports`: the link and writer interfaces;
* :mod:`~glutesense.acquire.sink`: link queues into the writer, with a tally;
* :mod:`~glutesense.acquire.session`: :class:`~glutesense.acquire.session.GuidedSession`,
  the schedule run rep by rep, pausing and repeating reps when a link drops;
* here: :func:`record`, which connects the links, writes the device metadata, opens the
  writer and runs the session.

When the device profile supports markers, each cue is also sent to the device as a marker
labelled ``label`` or ``label:side`` (for example ``squeeze:left``), so the device echoes it
on its own clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from glutesense.acquire.ports import Link, Writer, WriterFactory
from glutesense.acquire.schedule import ScheduledCue, build_schedule, schedule_duration_s
from glutesense.acquire.session import GuidedSession, Pacing
from glutesense.acquire.status import RecorderStatus, RecordResult
from glutesense.profiles import DeviceProfile
from glutesense.transport.clock import Clock

__all__ = [
    "ChannelsArg",
    "Link",
    "RecordResult",
    "RecorderStatus",
    "ScheduledCue",
    "Writer",
    "WriterFactory",
    "build_schedule",
    "record",
    "schedule_duration_s",
]


async def record(
    link_factory: Callable[[], Link | Sequence[Link]],
    open_writer: WriterFactory,
    schedule: Sequence[ScheduledCue],
    clock: Clock,
    *,
    on_status: Callable[[RecorderStatus], None] | None = None,
    marks: asyncio.Queue[str] | None = None,
    channels: ChannelsArg = None,
    status_interval_s: float = 0.2,
    drain_s: float = 0.3,
    log_gaps: bool = True,
    settle_s: float = 1.0,
    resume_s: float = 3.0,
    before_block: Callable[[ScheduledCue, float], bool] | None = None,
) -> RecordResult:
    """Connect, stream, run the guided ``schedule``, and write the session.

    A dropped link pauses the test: the link reconnects on its own (see
    :class:`~glutesense.transport.ble.SensorLink`), and a rep whose cues were under way
    (from its first cue until ``settle_s`` after its last) when the link dropped is marked
    with an ``interrupted`` event and repeated, under the same rep number, after a fresh
    countdown of at least ``resume_s``; the rest of the schedule moves later by the pause.

    Several links (one per device) record into one session: their queues are merged, every
    cue goes to every device (as a marker where the device supports markers), the test
    pauses while any link is down and stops when any is lost for good.  A role that an
    earlier device already carries is left unmapped on a later one (one channel per role),
    and said so in ``setup_warnings``.

    Parameters
    ----------
    link_factory : callable
        Makes the (unconnected) link, or a sequence of them (``device_index`` 0, 1, ... in
        order); connection errors propagate before any file is opened.
    open_writer : callable
        ``open_writer(meta) -> writer``, called with ``start_ns`` (the clock just before the
        start command), ``devices``, ``time_scale`` and, when there are any,
        ``setup_warnings``; the caller merges its own metadata.
    schedule : sequence of ScheduledCue
    clock : Clock
        The clock the link stamps packets with.
    on_status : callable, optional
        Receives a :class:`RecorderStatus` every ``status_interval_s`` session seconds and at
        every cue.
    marks : asyncio.Queue of str, optional
        User marks (keypresses); each becomes a ``mark`` event with the text as ``text``.
    channels : mapping or callable, optional
        ``{"emg": [ChannelSpec json], "imu": [...]}`` for the device (roles mapped by the
        caller), or a function of the connected device's profile returning that (or None);
        default the profile's channels and default roles.
    status_interval_s, drain_s : float
        Status period, and how long to collect in-flight packets after stopping (session s).
    log_gaps : bool
        Write a ``gap`` event when the sequence counter skips.
    settle_s, resume_s : float
        How long after a rep's last cue a dropped link still interrupts it, and the least
        pause (countdown) before a repeated rep, session s.
    before_block : callable, optional
        ``before_block(first_cue, now_s)``: True ends the schedule there (:mod:`glutesense.acquire.gate`).
    """
    links = await connect_all(link_factory)
    try:
        writer, start_ns = await _open(links, open_writer, clock, channels)
        pacing = Pacing(status_interval_s, drain_s, log_gaps, settle_s, resume_s)
        ordered = sorted(schedule, key=lambda c: c.t_s)
        session = GuidedSession(
            links, writer, ordered, clock, start_ns, pacing, on_status=on_status, marks=marks
        )
        session.before_block = before_block
        return await session.run()
    finally:
        for link in links:
            await link.close()


async def connect_all(link_factory: Callable[[], Link | Sequence[Link]]) -> list[Link]:
    """Make and connect the links, in order; on a failure close those connected, then re-raise."""
    made = link_factory()
    links: list[Link] = list(made) if isinstance(made, Sequence) else [made]
    if not links:
        raise ValueError("record needs at least one link")
    connected: list[Link] = []
    try:
        for link in links:
            await link.connect()
            connected.append(link)
    except BaseException:
        for link in connected:
            with contextlib.suppress(Exception):
                await link.close()
        raise
    return links


ChannelsArg = Mapping[str, Any] | Callable[[DeviceProfile], Mapping[str, Any] | None] | None
"""Channel specs as JSON, or a function of the connected device's profile returning them."""


def _device_meta(link: Link, firmware: str | None, channels: ChannelsArg) -> dict[str, Any]:
    profile = link.profile
    if callable(channels):
        channels = channels(profile)
    chans = (
        dict(channels)
        if channels is not None
        else {k.name.lower(): [c.to_json() for c in v] for k, v in profile.channels.items()}
    )
    return {**link.describe(), "profile": profile.name, "label": "", "firmware": firmware, "channels": chans}


def _unique_roles(devices: Sequence[dict[str, Any]]) -> list[str]:
    """Unmap (in place) roles that an earlier device already carries; one warning per device."""
    taken: set[str] = set()
    warnings = []
    for i, dev in enumerate(devices):
        dup: list[str] = []
        for specs in dev["channels"].values():
            for c in specs:
                role = c.get("role")
                if not role:
                    continue
                if role in taken:
                    dup.append(role)
                    c["role"] = None
                else:
                    taken.add(role)
        if dup:
            warnings.append(
                f"device {i} ({dev['profile']}): {', '.join(dup)} already recorded by an earlier device; "
                "left unmapped on this one"
            )
    return warnings


async def _open(
    links: Sequence[Link], open_writer: WriterFactory, clock: Clock, channels: ChannelsArg
) -> tuple[Writer, int]:
    """Describe the connected devices, take ``start_ns`` and open the writer with the metadata."""
    devices = []
    for i, link in enumerate(links):
        firmware = await link.read_firmware()
        device = _device_meta(link, firmware, channels)
        if len(links) > 1 and device.get("index", i) != i:
            raise ValueError(f"link {i} has device index {device.get('index')}; expected {i}")
        devices.append(device)
    warnings = _unique_roles(devices) if len(devices) > 1 else []
    start_ns = clock.now_ns()
    time_scale = float(getattr(clock, "speed", 1.0))
    meta: dict[str, Any] = {"start_ns": start_ns, "devices": devices, "time_scale": time_scale}
    if warnings:
        meta["setup_warnings"] = warnings
    return open_writer(meta), start_ns
