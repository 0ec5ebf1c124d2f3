"""Raw packets to a :class:`~glutesense.model.records.Recording`: the one path shared
by live recording, replay and direct analysis of a session.

``SessionDecoder.push`` decodes each packet as it arrives (the live view reads
what it returns); ``SessionDecoder.recording`` reconstructs sample times from
counters and device clocks and lays the samples out on the session clock,
with NaN where packets were lost.  The steps are pure functions in their own
modules, each testable alone:

1. :func:`glutesense.decode.timeline.timeline`: one stream's packets on its device's
   time axis (positions, duplicates, gap-free segments);
2. :func:`glutesense.decode.layout.fit_device`: one device's clock to the host clock;
3. :func:`glutesense.decode.layout.lay_out`: a stream on the session grid, NaN in holes;
4. :func:`glutesense.decode.stats.packet_stats` and ``device_clock``: the typed reports
   (``Recording.packets``, ``Recording.clock``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glutesense.decode.buffer import StreamBuffer
from glutesense.decode.layout import LaidStream, fit_device, lay_out
from glutesense.decode.stats import clock_report, device_clock, packet_stats
from glutesense.decode.timeline import Timeline, timeline
from glutesense.model.records import ChannelSpec, Event, RawPacket, Recording, SampleBlock, Stream, StreamKind
from glutesense.model.roles import Role
from glutesense.profiles import DeviceProfile, MalformedPacket, get_profile

PUSH_MANY_N = 128  # packets decoded in one step by push_all


class SessionSetupError(ValueError):
    """Session metadata that does not describe a usable device set-up."""


@dataclass(frozen=True)
class DeviceSetup:
    """One device of a session: its profile and channel specs (with roles)."""

    profile: DeviceProfile
    channels: Mapping[StreamKind, tuple[ChannelSpec, ...]]
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile.name,
            "label": self.label,
            "channels": {k.name.lower(): [c.to_json() for c in v] for k, v in self.channels.items()},
        }


def devices_from_meta(meta: Mapping[str, Any]) -> tuple[DeviceSetup, ...]:
    """Parse ``meta["devices"]`` into device set-ups."""
    out = []
    for i, d in enumerate(meta.get("devices", ())):
        try:
            profile = get_profile(str(d["profile"]))
            chans = {
                StreamKind[name.upper()]: tuple(ChannelSpec.from_json(c) for c in specs)
                for name, specs in d.get("channels", {}).items()
            }
        except (KeyError, ValueError, TypeError) as e:
            raise SessionSetupError(f"device {i} in the session metadata is unusable: {e}") from None
        out.append(DeviceSetup(profile, chans or dict(profile.channels), str(d.get("label", ""))))
    if not out:
        raise SessionSetupError("the session metadata lists no devices")
    return tuple(out)


@dataclass(frozen=True)
class DecodedBlock:
    """A decoded block with its origin, as handed to live views."""

    device: int
    t_rx_ns: int
    block: SampleBlock


class SessionDecoder:
    """Decode a session's packets, live or from a file, the same way.

    :meth:`push` is the live step (one packet in, its blocks out); :meth:`recording` runs
    the offline steps on everything pushed: :func:`~glutesense.decode.timeline.timeline`
    per stream, :func:`~glutesense.decode.layout.fit_device` per device,
    :func:`~glutesense.decode.layout.lay_out` per stream, then roles, events and the
    :func:`~glutesense.decode.stats.packet_stats` / clock reports.
    """

    def __init__(self, meta: Mapping[str, Any]):
        self.meta = dict(meta)
        self.start_ns = int(meta["start_ns"])
        self.devices = devices_from_meta(meta)
        self._decoders = [d.profile.new_decoder() for d in self.devices]
        self._buffers: dict[tuple[int, StreamKind], StreamBuffer] = {}
        self.n_packets = 0
        self.n_malformed = 0
        self.malformed_examples: list[str] = []

    def push(self, pkt: RawPacket) -> tuple[DecodedBlock, ...]:
        """Decode one packet; malformed packets are counted, never raised."""
        if pkt.device >= len(self.devices):
            return self._take(pkt, MalformedPacket(f"packet for unknown device {pkt.device}"))
        try:
            blocks = self._decoders[pkt.device].decode(pkt.char, pkt.payload)
        except MalformedPacket as e:
            return self._take(pkt, e)
        return self._take(pkt, blocks)

    def push_many(self, packets: Sequence[RawPacket]) -> list[tuple[DecodedBlock, ...]]:
        """:meth:`push` each packet in order (the same blocks, counts and buffers), in fewer steps
        where the device's decoder reads many packets at once (``decode_many``, ``diy-v1``)."""
        results: list[tuple[SampleBlock, ...] | MalformedPacket | None] = [None] * len(packets)
        for dev, decoder in enumerate(self._decoders):
            many = getattr(decoder, "decode_many", None)
            idx = [i for i, p in enumerate(packets) if p.device == dev]
            if many is None or not idx:
                continue
            got = many([packets[i].char for i in idx], [packets[i].payload for i in idx])
            for i, r in zip(idx, got, strict=True):
                results[i] = r
        return [
            self.push(p) if r is None else self._take(p, r) for p, r in zip(packets, results, strict=True)
        ]

    def _take(
        self, pkt: RawPacket, blocks: tuple[SampleBlock, ...] | MalformedPacket
    ) -> tuple[DecodedBlock, ...]:
        """Count ``pkt`` and keep its decoded blocks (or its error)."""
        self.n_packets += 1
        if isinstance(blocks, MalformedPacket):
            self._malformed(str(blocks))
            return ()
        out = []
        for b in blocks:
            if b.stream is StreamKind.MARK or not b.data.shape[0]:
                continue
            key = (pkt.device, b.stream)
            buf = self._buffers.get(key)
            if buf is None:
                buf = self._buffers[key] = StreamBuffer(b.stream)
            buf.append(b, pkt.t_rx_ns)
            out.append(DecodedBlock(pkt.device, pkt.t_rx_ns, b))
        return tuple(out)

    @property
    def n_kept_bytes(self) -> int:
        """Bytes of decoded samples (and their packets' header fields) kept for :meth:`recording`."""
        return sum(buf.nbytes for buf in self._buffers.values())

    def push_all(self, packets: Iterable[RawPacket]) -> None:
        """:meth:`push` every packet (through :meth:`push_many`, ``PUSH_MANY_N`` at a time)."""
        it = iter(packets)
        while chunk := list(itertools.islice(it, PUSH_MANY_N)):
            self.push_many(chunk)

    def _malformed(self, why: str) -> None:
        self.n_malformed += 1
        if len(self.malformed_examples) < 5:
            self.malformed_examples.append(why)

    def recording(self, events: Iterable[Event] = (), *, source: str = "") -> Recording:
        """Lay out everything pushed so far on the session clock.

        Counters first, then clocks: each stream's packets are placed on its device's time
        axis from the device clock (or the packet counter, or arrival), lost packets leave
        holes, duplicates are dropped; then each device's time is mapped to the host clock
        by a lower-envelope fit per gap-free segment (:func:`glutesense.decode.clockfit.fit_segments`).
        """
        start_s = self.start_ns / 1e9
        clocked = [d.profile.has_device_clock for d in self.devices]
        timelines = {
            key: timeline(buf.packets(), buf.t_rx_ns(), has_device_clock=clocked[key[0]])
            for key, buf in sorted(self._buffers.items())
        }
        per_device: dict[int, list[Timeline]] = {}
        for (dev, _), tl in timelines.items():
            per_device.setdefault(dev, []).append(tl)
        fits = {dev: fit_device(tls) for dev, tls in per_device.items()}
        laid = [lay_out(dev, tl, fits[dev], start_s) for (dev, _), tl in timelines.items()]
        streams, gaps = self._streams(laid)
        all_events = sorted([*_supersede(events), *gaps], key=lambda e: (e.onset_s, e.trial_type))
        clocks = {
            dev: device_clock(self.devices[dev].profile.name, fits[dev], tls, start_s)
            for dev, tls in per_device.items()
        }
        return Recording(
            streams,
            tuple(all_events),
            dict(self.meta),
            source,
            clock=clock_report(clocks),
            packets=packet_stats(laid, received=self.n_packets, malformed=self.n_malformed),
        )

    def _streams(self, laid: Iterable[LaidStream]) -> tuple[tuple[Stream, ...], list[Event]]:
        """The laid-out streams' channels that carry a role (one channel per role), and the
        ``gap`` events of the streams kept."""
        streams = []
        gaps = []
        seen_roles: set[Role] = set()
        for lo in laid:
            specs = self.devices[lo.device].channels.get(lo.kind, ())
            rows, roles = [], []
            for i, spec in enumerate(specs[: lo.data.shape[0]]):
                if spec.role is None:
                    continue
                if spec.role in seen_roles:
                    raise SessionSetupError(f"role {spec.role.value} is mapped to more than one channel")
                seen_roles.add(spec.role)
                rows.append(lo.data[i])
                roles.append(spec.role)
            if roles:
                prefix = "" if lo.device == 0 else f"dev{lo.device}."
                name = prefix + lo.kind.name.lower()
                streams.append(Stream(name, lo.fs_hz, lo.t0_s, tuple(roles), np.vstack(rows)))
                gaps += [Event(round(g0, 6), round(dur, 6), "gap") for g0, dur in lo.gaps]
        return tuple(streams), gaps


def _supersede(events: Iterable[Event]) -> list[Event]:
    """Events logged live, minus those the decoded data replaces.

    Gap events are recomputed from the data.  A rep the recorder marked ``interrupted``
    (and then repeated under the same number) keeps its cues, relabelled
    ``LABEL:interrupted`` so that protocols count only the repeat.
    """
    evs = [e for e in events if e.trial_type != "gap"]
    cut = [(e.rep, e.side, e.onset_s) for e in evs if e.trial_type == "interrupted" and e.rep is not None]
    if not cut:
        return evs
    out = []
    for e in evs:
        hit = any(
            e.rep == rep and e.side == side and e.onset_s <= t and e.trial_type in REP_LABELS
            for rep, side, t in cut
        )
        out.append(Event(e.onset_s, e.duration_s, f"{e.trial_type}:interrupted", e.side, e.rep) if hit else e)
    return out


REP_LABELS = frozenset({"cue", "lower", "lift", "squeeze", "release"})


def decode_packets(
    meta: Mapping[str, Any], packets: Iterable[RawPacket], events: Iterable[Event] = (), *, source: str = ""
) -> Recording:
    """Decode a whole packet sequence at once (same code as the live path)."""
    dec = SessionDecoder(meta)
    dec.push_all(packets)
    return dec.recording(events, source=source)
