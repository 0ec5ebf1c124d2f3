"""The recorder's consumer of link queues: packets and link notices into the writer, and a tally.

:class:`PacketSink` takes each item a link queued (a :class:`~glutesense.model.records.RawPacket`
or a :class:`~glutesense.transport.base.LinkNotice`), writes it to the session, and keeps a
:class:`LinkTally`: packets, losses by sequence counter (with a ``gap`` event each), disconnects
and reconnects.  It decodes packets only to read their counters; the samples are decoded later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from glutesense.acquire.ports import Writer
from glutesense.model.records import SEQ_MODULUS, Event, RawPacket, SampleBlock, StreamKind
from glutesense.profiles import DeviceProfile
from glutesense.profiles.base import MalformedPacket
from glutesense.transport.base import LinkNotice, NoticeKind


@dataclass
class LinkTally:
    """What the links delivered so far (mutable: the sink's running count).

    ``recent`` and ``notices`` collect what arrived since the last status and are emptied
    by whoever reports it.  ``link_lost`` holds why a link gave up reconnecting ("" while none has).
    """

    start_ns: int
    n_packets: int = 0
    n_malformed: int = 0
    lost_packets: int = 0
    n_gaps: int = 0
    n_disconnects: int = 0
    n_reconnects: int = 0
    link_lost: str = ""
    recent: list[RawPacket] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    last_seq: dict[tuple[int, StreamKind], int] = field(default_factory=dict)


class PacketSink:
    """Consumes the link queues: packets and link notices into the writer, gap detection."""

    def __init__(
        self, writer: Writer, profiles: Mapping[int, DeviceProfile], tally: LinkTally, *, log_gaps: bool
    ) -> None:
        self.writer = writer
        self.decoders = {dev: p.new_decoder() for dev, p in profiles.items()}
        self.tally = tally
        self.log_gaps = log_gaps

    def session_s(self, t_ns: int) -> float:
        return round((t_ns - self.tally.start_ns) / 1e9, 6)

    def handle(self, item: RawPacket | LinkNotice) -> None:
        if isinstance(item, LinkNotice):
            self._notice(item)
            return
        st = self.tally
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
            if b.stream is not StreamKind.MARK and b.seq is not None:
                self._count(item, b)

    def _notice(self, item: LinkNotice) -> None:
        st = self.tally
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

    def _count(self, item: RawPacket, b: SampleBlock) -> None:
        """Packets lost before ``b`` by its sequence counter; a ``gap`` event when any were."""
        assert b.seq is not None
        st = self.tally
        key = (item.device, b.stream)
        last = st.last_seq.get(key)
        st.last_seq[key] = b.seq
        if last is None:
            return
        lost = (b.seq - last - 1) % SEQ_MODULUS
        if lost == 0 or lost > SEQ_MODULUS // 2:  # in order, or a duplicate / late packet
            return
        st.lost_packets += lost
        st.n_gaps += 1
        if self.log_gaps and b.fs_hz > 0:
            dur_s = lost * b.n_samples / b.fs_hz
            onset_s = self.session_s(item.t_rx_ns) - dur_s - b.n_samples / b.fs_hz
            extra = {"device": item.device, "stream": b.stream.name.lower(), "lost_packets": lost}
            self.writer.add_event(Event(round(onset_s, 6), round(dur_s, 6), "gap"), **extra)
