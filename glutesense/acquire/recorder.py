"""Guided recording: cue schedule, countdowns, packets and events into a session writer.

The recorder never prints: it reports through ``on_status`` and returns a
:class:`RecordResult`.  It knows nothing of where packets come from (a real sensor or
the virtual one) beyond the :class:`Link` interface that
:class:`glutesense.transport.ble.SensorLink` fulfils, and nothing of the file format
beyond the writer's four methods.

Cue labels are DESIGN.md's event labels.  When the device profile supports markers, each
cue is also sent to the device as a marker labelled ``label`` or ``label:side`` (for
example ``squeeze:left``), so the device echoes it on its own clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from typing import Protocol as TypingProtocol

from glutesense.model.records import Event, RawPacket, StreamKind
from glutesense.model.roles import Protocol, Side
from glutesense.profiles import DeviceProfile
from glutesense.profiles.base import MalformedPacket
from glutesense.transport.ble import LinkNotice, NoticeKind
from glutesense.transport.clock import Clock
from glutesense.transport.tasks import cancel_and_wait

SEQ_MODULUS = 1 << 16


# ---------------------------------------------------------------- schedule
@dataclass(frozen=True)
class ScheduledCue:
    """One entry of a guided test's schedule.

    Attributes
    ----------
    t_s : float
        Session time the cue is given, s.
    label : str
        Event label (``rest``, ``cue``, ``lower``, ``lift``, ``squeeze``, ``release``), or
        ``end`` for the schedule's end (not an event).
    side : Side or None
        Stance side for the single-leg stand; None for the (bilateral) bridge.
    rep : int or None
        1-based repetition (per side for the single-leg stand).
    text : str
        What to show the person.
    duration_s : float
        Event duration, s (the ``rest`` baseline); 0 for an instant.
    countdown_s : float
        Show a countdown this long before ``t_s``, s.
    is_event : bool
        Whether the cue is written to the event log (and sent as a marker).
    """

    t_s: float
    label: str
    side: Side | None = None
    rep: int | None = None
    text: str = ""
    duration_s: float = 0.0
    countdown_s: float = 0.0
    is_event: bool = True

    @property
    def marker_label(self) -> str:
        """Label sent in the device marker: ``label`` or ``label:side``."""
        return self.label if self.side is None else f"{self.label}:{self.side.value}"


def build_schedule(
    protocol: Protocol,
    reps: int = 5,
    sides: Sequence[Side] = (Side.LEFT, Side.RIGHT),
    rest_s: float = 5.0,
    rep_period_s: float = 6.0,
    hold_s: float = 2.5,
    *,
    lead_s: float = 0.5,
    countdown_s: float = 3.0,
    lift_to_squeeze_s: float = 1.5,
    tail_s: float = 2.0,
) -> tuple[ScheduledCue, ...]:
    """The cue schedule of a guided test.

    Bridge: ``rest`` (baseline, ``rest_s`` long) from ``lead_s``; then ``reps`` times a
    countdown, ``cue`` (lift the hips), ``lower`` ``hold_s`` later; reps ``rep_period_s``
    apart.  Single-leg stand, per side in ``sides`` and ``reps`` times: ``lift`` (stand on
    that leg), ``squeeze`` ``lift_to_squeeze_s`` later, ``release`` ``hold_s`` after the
    squeeze.  The last entry is ``end`` (``is_event=False``), ``tail_s`` after the last cue.

    Raises
    ------
    ValueError
        When the timing leaves no room to rest between reps.
    """
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    if rest_s < 0 or hold_s <= 0 or countdown_s < 0:
        raise ValueError("rest_s and countdown_s must be >= 0 and hold_s > 0")
    out = [ScheduledCue(lead_s, "rest", text="Relax and keep still", duration_s=rest_s)]
    t = lead_s + rest_s + countdown_s
    if protocol is Protocol.BRIDGE:
        gap_s = rep_period_s - hold_s
        if gap_s < 2.0:
            raise ValueError(f"rep_period_s ({rep_period_s} s) must exceed hold_s ({hold_s} s) by >= 2 s")
        for k in range(1, reps + 1):
            cd = countdown_s if k == 1 else min(countdown_s, gap_s - 1.0)
            out.append(ScheduledCue(t, "cue", None, k, "Lift your hips", countdown_s=cd))
            out.append(ScheduledCue(t + hold_s, "lower", None, k, "Lower slowly"))
            t += rep_period_s
        last = t - rep_period_s + hold_s
    elif protocol is Protocol.SINGLE_LEG_STAND:
        if not sides:
            raise ValueError("single-leg stand needs at least one side")
        gap_s = rep_period_s - lift_to_squeeze_s - hold_s
        if gap_s < 2.0:
            raise ValueError(
                f"rep_period_s ({rep_period_s} s) must exceed lift_to_squeeze_s + hold_s "
                f"({lift_to_squeeze_s + hold_s} s) by >= 2 s"
            )
        first = True
        for side in sides:
            for k in range(1, reps + 1):
                cd = countdown_s if first else min(countdown_s, gap_s - 1.0)
                first = False
                text = f"Stand on your {side.value} leg"
                out.append(ScheduledCue(t, "lift", side, k, text, countdown_s=cd))
                t_sq = t + lift_to_squeeze_s
                out.append(ScheduledCue(t_sq, "squeeze", side, k, f"Squeeze your {side.value} glute"))
                out.append(ScheduledCue(t_sq + hold_s, "release", side, k, "Release, both feet down"))
                t += rep_period_s
        last = t - rep_period_s + lift_to_squeeze_s + hold_s
    else:  # pragma: no cover - exhaustive over Protocol
        raise ValueError(f"no schedule for protocol {protocol}")
    out.append(ScheduledCue(last + tail_s, "end", text="Done", is_event=False))
    return tuple(out)


def schedule_duration_s(schedule: Iterable[ScheduledCue]) -> float:
    """Session time at which the schedule is over, s."""
    return max((c.t_s + c.duration_s for c in schedule), default=0.0)


def _blocks(schedule: Sequence[ScheduledCue]) -> list[tuple[ScheduledCue, ...]]:
    """Consecutive cues of one rep (same ``rep`` and ``side``) form a block; others stand alone."""
    out: list[list[ScheduledCue]] = []
    for c in schedule:
        if out and c.rep is not None and (out[-1][0].rep, out[-1][0].side) == (c.rep, c.side):
            out[-1].append(c)
        else:
            out.append([c])
    return [tuple(b) for b in out]


# --------------------------------------------------------------- interfaces
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

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ------------------------------------------------------------------- state
@dataclass
class _State:
    start_ns: int
    n_packets: int = 0
    n_malformed: int = 0
    lost_packets: int = 0
    n_gaps: int = 0
    n_disconnects: int = 0
    n_reconnects: int = 0
    link_lost: str = ""
    paused: bool = False
    n_interrupted: int = 0
    shift_s: float = 0.0  # how far the schedule has slipped (pauses for reconnects), s
    recent: list[RawPacket] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    last_seq: dict[tuple[int, StreamKind], int] = field(default_factory=dict)


class _Sink:
    """Consumes the link queues: packets and link notices into the writer, gap detection."""

    def __init__(
        self, writer: Writer, profiles: Mapping[int, DeviceProfile], state: _State, *, log_gaps: bool
    ) -> None:
        self.writer = writer
        self.decoders = {dev: p.new_decoder() for dev, p in profiles.items()}
        self.state = state
        self.log_gaps = log_gaps

    def session_s(self, t_ns: int) -> float:
        return round((t_ns - self.state.start_ns) / 1e9, 6)

    def handle(self, item: RawPacket | LinkNotice) -> None:
        st = self.state
        if isinstance(item, LinkNotice):
            st.notices.append(item.kind.value)
            if item.kind is NoticeKind.DISCONNECT:
                st.n_disconnects += 1
            elif item.kind is NoticeKind.RECONNECT:
                st.n_reconnects += 1
            elif item.kind is NoticeKind.LOST:
                st.link_lost = item.detail or "link lost"
            label = "disconnect" if item.kind is NoticeKind.LOST else item.kind.value
            extra = {"device": item.device, "detail": item.detail}
            self.writer.add_event(Event(self.session_s(item.t_ns), 0.0, label), **extra)
            return
        self.writer.add_packet(item)
        st.n_packets += 1
        st.recent.append(item)
        decoder = self.decoders.get(item.device)
        if decoder is None:
            st.n_malformed += 1
            return
        try:
            blocks = decoder.decode(item.char, item.payload)
        except MalformedPacket:
            st.n_malformed += 1
            return
        for b in blocks:
            if b.stream is StreamKind.MARK or b.seq is None:
                continue
            key = (item.device, b.stream)
            last = st.last_seq.get(key)
            st.last_seq[key] = b.seq
            if last is None:
                continue
            lost = (b.seq - last - 1) % SEQ_MODULUS
            if lost == 0 or lost > SEQ_MODULUS // 2:  # in order, or a duplicate / late packet
                continue
            st.lost_packets += lost
            st.n_gaps += 1
            if self.log_gaps and b.fs_hz > 0:
                dur_s = lost * b.n_samples / b.fs_hz
                onset_s = self.session_s(item.t_rx_ns) - dur_s - b.n_samples / b.fs_hz
                extra = {"device": item.device, "stream": b.stream.name.lower(), "lost_packets": lost}
                self.writer.add_event(Event(round(onset_s, 6), round(dur_s, 6), "gap"), **extra)


# ------------------------------------------------------------------ record
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
    """
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
    try:
        return await _run(
            links,
            open_writer,
            sorted(schedule, key=lambda c: c.t_s),
            clock,
            on_status=on_status,
            marks=marks,
            channels=channels,
            status_interval_s=status_interval_s,
            drain_s=drain_s,
            log_gaps=log_gaps,
            settle_s=settle_s,
            resume_s=resume_s,
        )
    finally:
        for link in links:
            await link.close()


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


async def _run(
    links: Sequence[Link],
    open_writer: WriterFactory,
    schedule: Sequence[ScheduledCue],
    clock: Clock,
    *,
    on_status: Callable[[RecorderStatus], None] | None,
    marks: asyncio.Queue[str] | None,
    channels: ChannelsArg,
    status_interval_s: float,
    drain_s: float,
    log_gaps: bool,
    settle_s: float,
    resume_s: float,
) -> RecordResult:
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
    writer = open_writer(meta)
    state = _State(start_ns)
    sink = _Sink(writer, {i: link.profile for i, link in enumerate(links)}, state, log_gaps=log_gaps)

    def all_connected() -> bool:
        return all(link.connected for link in links)

    end_s = schedule_duration_s(schedule)
    n_cues = n_markers = 0
    completed = False
    stopped = False

    def now_s() -> float:
        return (clock.now_ns() - start_ns) / 1e9

    async def consume(queue: asyncio.Queue[RawPacket | LinkNotice]) -> None:
        while True:
            sink.handle(await queue.get())

    def status(idx: int) -> None:
        if on_status is None:
            state.recent.clear()
            state.notices.clear()
            return
        t = now_s()
        cur = schedule[idx - 1] if idx > 0 else None
        nxt = schedule[idx] if idx < len(schedule) else None
        countdown = None
        due = None if nxt is None else nxt.t_s + state.shift_s
        if nxt is not None and due is not None and nxt.countdown_s > 0 and due - nxt.countdown_s <= t < due:
            countdown = due - t
        text = cur.text if cur is not None else "Get ready"
        if cur is not None and cur.duration_s and t >= cur.t_s + state.shift_s + cur.duration_s:
            text = "Get ready"
        if state.paused:
            text = "Sensor link lost: paused until it reconnects"
        on_status(
            RecorderStatus(
                t_s=t,
                duration_s=end_s + state.shift_s,
                text=text,
                label=None if cur is None else cur.label,
                next_text=None if nxt is None else nxt.text,
                countdown_s=countdown,
                connected=all_connected(),
                n_packets=state.n_packets,
                lost_packets=state.lost_packets,
                new_packets=tuple(state.recent),
                notices=tuple(state.notices),
            )
        )
        state.recent.clear()
        state.notices.clear()

    def take_marks() -> None:
        while marks is not None and not marks.empty():
            text = marks.get_nowait()
            writer.add_event(Event(round(now_s(), 6), 0.0, "mark"), text=text)

    loop = asyncio.get_running_loop()
    consumers = [
        loop.create_task(consume(link.queue), name=f"recorder sink {i}") for i, link in enumerate(links)
    ]

    def check() -> None:
        for consumer in consumers:
            if consumer.done():
                consumer.result()  # re-raise a writer failure

    async def wait_until(t_s: float, idx: int, *, watch: int | None = None) -> bool:
        """Sleep until session time ``t_s``; False if the link dropped (after ``watch`` drops) or was lost."""
        while (remaining := t_s - now_s()) > 0:
            check()
            if state.link_lost or (watch is not None and state.n_disconnects > watch):
                return False
            take_marks()
            status(idx)
            await clock.sleep(min(status_interval_s, remaining))
        return not state.link_lost and (watch is None or state.n_disconnects <= watch)

    async def wait_for_link(idx: int) -> bool:
        """Pause until the link is back (True) or lost for good (False)."""
        state.paused = True
        while not all_connected() and not state.link_lost:
            check()
            take_marks()
            status(idx)
            await clock.sleep(status_interval_s)
        state.paused = False
        return not state.link_lost

    min_lead_s = 1.0  # a rep starts on schedule if the link is back this long before its first cue

    async def give(cue: ScheduledCue) -> None:
        nonlocal n_cues, n_markers
        onset_s = round(now_s(), 6)
        n_cues += 1
        to = [i for i, link in enumerate(links) if await link.send_marker(n_cues, cue.marker_label)]
        sent = bool(to)
        n_markers += len(to)
        extra: dict[str, Any] = {"text": cue.text, "scheduled_s": round(cue.t_s, 6)}
        if cue.side is not None:
            extra["side"] = cue.side.value
        if cue.rep is not None:
            extra["rep"] = cue.rep
        if sent:
            extra["marker"] = n_cues
            if len(links) > 1:
                extra["marker_devices"] = to
        writer.add_event(Event(onset_s, cue.duration_s, cue.label), **extra)

    try:
        for link in links:
            await link.start()
        blocks = _blocks(schedule)
        b = 0
        while b < len(blocks):
            block = blocks[b]
            idx0 = schedule.index(block[0])
            first_t = block[0].t_s + state.shift_s
            # Between reps: a link that is down when the next rep is due pauses the test.
            ok = await wait_until(first_t - block[0].countdown_s, idx0)
            if not ok or not all_connected():
                if state.link_lost or not await wait_for_link(idx0):
                    break
                if now_s() + min_lead_s > first_t:
                    state.shift_s = now_s() + max(block[0].countdown_s, resume_s) - block[0].t_s
                continue  # re-plan this block
            drops_before = state.n_disconnects
            interrupted = False
            given = 0
            for cue in block:
                if not await wait_until(cue.t_s + state.shift_s, schedule.index(cue), watch=drops_before):
                    interrupted = True
                    break
                if cue.is_event:
                    await give(cue)
                    given += 1
                status(schedule.index(cue) + 1)
            is_rep = block[0].rep is not None
            if not interrupted and is_rep:
                settle_t = block[-1].t_s + settle_s
                if b + 1 < len(blocks):
                    settle_t = min(settle_t, blocks[b + 1][0].t_s)
                after = schedule.index(block[-1]) + 1
                interrupted = not await wait_until(settle_t + state.shift_s, after, watch=drops_before)
            if interrupted and state.link_lost:
                break
            if interrupted and given == 0:
                # Dropped before the rep began: pause; keep the schedule if the link is back in time.
                if not await wait_for_link(idx0):
                    break
                if now_s() + min_lead_s > first_t:
                    state.shift_s = now_s() + max(block[0].countdown_s, resume_s) - block[0].t_s
                continue
            if interrupted and is_rep:
                writer.add_event(
                    Event(round(now_s(), 6), 0.0, "interrupted", block[0].side, block[0].rep),
                    detail="the link dropped during this rep; it is repeated under the same number",
                    first_cue_s=round(first_t, 6),
                )
                state.n_interrupted += 1
                if not await wait_for_link(idx0):
                    break
                state.shift_s = now_s() + max(block[0].countdown_s, resume_s) - block[0].t_s
                continue  # repeat the same block
            b += 1
        else:
            completed = True
        take_marks()
        for link in links:
            await link.stop()
        stopped = True
        await clock.sleep(drain_s)
        for link in links:
            while not link.queue.empty():
                sink.handle(link.queue.get_nowait())
        annotations: dict[str, Any] | None = None
        for i, link in enumerate(links):
            ann = await link.read_annotations()
            if not ann:
                continue
            if annotations is None:  # the first device's annotations go to the top level, as before
                annotations = ann
                writer.update_meta(ann)
            else:
                writer.update_meta({f"device{i}_annotations": ann})
        duration_s = now_s()
        message = "" if completed else f"stopped early: {state.link_lost or 'incomplete schedule'}"
        result = RecordResult(
            start_ns=start_ns,
            duration_s=duration_s,
            completed=completed,
            n_packets=state.n_packets,
            n_malformed=state.n_malformed,
            lost_packets=state.lost_packets,
            n_gaps=state.n_gaps,
            n_cues=n_cues,
            n_markers_sent=n_markers,
            n_disconnects=state.n_disconnects,
            n_reconnects=state.n_reconnects,
            ground_truth=bool(annotations),
            message=message,
            n_interrupted=state.n_interrupted,
        )
        writer.update_meta({"stop_ns": clock.now_ns(), "stopped": True, "recorder": result.to_json()})
        return result
    finally:
        for consumer in consumers:
            await cancel_and_wait(consumer)
        if not stopped:
            for link in links:
                with contextlib.suppress(Exception):
                    await link.stop()
        writer.close()
