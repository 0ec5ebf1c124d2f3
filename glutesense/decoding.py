"""Raw packets to a :class:`~glutesense.records.Recording`: the one path shared
by live recording, replay and direct analysis of a session.

``SessionDecoder.push`` decodes each packet as it arrives (the live view reads
what it returns); ``SessionDecoder.recording`` reconstructs sample times from
counters and device clocks and lays the samples out on the session clock,
with NaN where packets were lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glutesense.clock import ClockFit, fit_device_to_host, unwrap_counter
from glutesense.profiles import DeviceProfile, MalformedPacket, get_profile
from glutesense.records import ChannelSpec, Event, FloatArray, RawPacket, Recording, SampleBlock, Stream, StreamKind
from glutesense.roles import Role

SEQ_MODULUS = 1 << 16
CLOCK_MODULUS = 1 << 32


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


@dataclass
class _StreamBuffer:
    """Decoded blocks of one (device, stream), in arrival order."""

    blocks: list[SampleBlock] = field(default_factory=list)
    t_rx_ns: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class DecodedBlock:
    """A decoded block with its origin, as handed to live views."""

    device: int
    t_rx_ns: int
    block: SampleBlock


@dataclass(frozen=True)
class _Laid:
    """One stream laid out on its device's time axis."""

    device: int
    kind: StreamKind
    fs_hz: float
    t_dev0_s: float
    data: FloatArray  # (n_channels, n_samples), NaN in holes
    gaps: tuple[tuple[float, float], ...]  # (device start s, duration s)
    n_dropped_packets: int
    n_duplicates: int


class SessionDecoder:
    """Decode a session's packets, live or from a file, the same way."""

    def __init__(self, meta: Mapping[str, Any]):
        self.meta = dict(meta)
        self.start_ns = int(meta["start_ns"])
        self.devices = devices_from_meta(meta)
        self._decoders = [d.profile.new_decoder() for d in self.devices]
        self._buffers: dict[tuple[int, StreamKind], _StreamBuffer] = {}
        self._markers: list[tuple[int, int | None, int]] = []
        self.n_packets = 0
        self.n_malformed = 0
        self.malformed_examples: list[str] = []

    def push(self, pkt: RawPacket) -> tuple[DecodedBlock, ...]:
        """Decode one packet; malformed packets are counted, never raised."""
        self.n_packets += 1
        if pkt.device >= len(self.devices):
            self._malformed(f"packet for unknown device {pkt.device}")
            return ()
        try:
            blocks = self._decoders[pkt.device].decode(pkt.char, pkt.payload)
        except MalformedPacket as e:
            self._malformed(str(e))
            return ()
        out = []
        for b in blocks:
            if b.stream is StreamKind.MARK:
                self._markers.append((pkt.device, b.device_t_us, pkt.t_rx_ns))
                continue
            if b.n_samples == 0:
                continue
            buf = self._buffers.setdefault((pkt.device, b.stream), _StreamBuffer())
            buf.blocks.append(b)
            buf.t_rx_ns.append(pkt.t_rx_ns)
            out.append(DecodedBlock(pkt.device, pkt.t_rx_ns, b))
        return tuple(out)

    def push_all(self, packets: Iterable[RawPacket]) -> None:
        for p in packets:
            self.push(p)

    def _malformed(self, why: str) -> None:
        self.n_malformed += 1
        if len(self.malformed_examples) < 5:
            self.malformed_examples.append(why)

    def recording(self, events: Iterable[Event] = (), *, source: str = "") -> Recording:
        """Lay out everything pushed so far on the session clock."""
        laid = [self._lay_out(dev, kind, buf) for (dev, kind), buf in sorted(self._buffers.items())]
        fits = {dev: self._fit(dev) for dev in {lo.device for lo in laid}}
        streams = []
        gap_events = []
        seen_roles: set[Role] = set()
        for lo in laid:
            fit = fits[lo.device]
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
            if not roles:
                continue
            prefix = "" if lo.device == 0 else f"dev{lo.device}."
            t0_s = float(fit.to_host(lo.t_dev0_s)[()]) - self.start_ns / 1e9
            streams.append(Stream(prefix + lo.kind.name.lower(), lo.fs_hz / fit.scale, t0_s, tuple(roles), np.vstack(rows)))
            for g0, dur in lo.gaps:
                onset = float(fit.to_host(g0)[()]) - self.start_ns / 1e9
                gap_events.append(Event(round(onset, 6), round(dur * fit.scale, 6), "gap"))
        # Gaps are recomputed from the data here; gap events logged live are superseded.
        kept = [e for e in events if e.trial_type != "gap"]
        all_events = sorted([*kept, *gap_events], key=lambda e: (e.onset_s, e.trial_type))
        meta = dict(self.meta)
        meta["clock"] = {
            str(dev): {"offset_s": f.offset_s - self.start_ns / 1e9, "drift_ppm": f.drift_ppm,
                       "residual_ms": f.residual_ms, "n_packets": f.n_points}
            for dev, f in fits.items()
        }
        meta["packets"] = {
            "received": self.n_packets,
            "malformed": self.n_malformed,
            "dropped": sum(lo.n_dropped_packets for lo in laid),
            "duplicates": sum(lo.n_duplicates for lo in laid),
        }
        return Recording(tuple(streams), tuple(all_events), meta, source)

    def device_time_to_session(self, device: int, t_device_s: float) -> float:
        """Map a device-clock time (s) to session time (s) with that device's fit."""
        return float(self._fit(device).to_host(t_device_s)[()]) - self.start_ns / 1e9

    # -- internals ---------------------------------------------------------

    def _device_times(self, dev: int, kind: StreamKind, buf: _StreamBuffer) -> tuple[np.ndarray, np.ndarray, float]:
        """Per kept block: sample position and packet index, and the stream's fs."""
        blocks = buf.blocks
        fs = float(np.median([b.fs_hz for b in blocks]))
        n = np.array([b.n_samples for b in blocks])
        keep = np.ones(len(blocks), bool)
        if self.devices[dev].profile.has_device_clock and all(b.device_t_us is not None for b in blocks):
            t_us = unwrap_counter([b.device_t_us or 0 for b in blocks], CLOCK_MODULUS)
            pos = np.rint((t_us - t_us[0]) * fs / 1e6).astype(np.int64)
        elif all(b.seq is not None for b in blocks):
            seq = unwrap_counter([b.seq or 0 for b in blocks], SEQ_MODULUS)
            pos = (seq - seq[0]) * int(np.median(n))
        else:
            pos = np.concatenate(([0], np.cumsum(n)[:-1]))
        # Duplicates and late re-sends: keep only packets that move forward.
        running = np.maximum.accumulate(np.concatenate(([-1], pos[:-1])))
        keep = pos > running
        keep[0] = True
        return pos, keep, fs

    def _lay_out(self, dev: int, kind: StreamKind, buf: _StreamBuffer) -> _Laid:
        pos, keep, fs = self._device_times(dev, kind, buf)
        blocks = [b for b, k in zip(buf.blocks, keep, strict=True) if k]
        pos = pos[keep]
        n_ch = max(b.data.shape[1] for b in blocks)
        n_total = int(pos[-1] + blocks[-1].n_samples)
        data = np.full((n_ch, n_total), np.nan)
        covered = np.zeros(n_total, bool)
        for p, b in zip(pos, blocks, strict=True):
            data[: b.data.shape[1], p : p + b.n_samples] = b.data.T
            covered[p : p + b.n_samples] = True
        t_dev0 = self._t_dev0(dev, buf)
        gaps = []
        edges = np.flatnonzero(np.diff(covered.astype(np.int8)))
        starts = [int(e) + 1 for e in edges if not covered[e + 1]]
        for s in starts:
            stop = s + int(np.argmax(covered[s:]))
            gaps.append((t_dev0 + s / fs, (stop - s) / fs))
        per_packet = float(np.median([b.n_samples for b in blocks]))
        n_dropped = int(round((~covered).sum() / per_packet)) if per_packet else 0
        return _Laid(dev, kind, fs, t_dev0, data, tuple(gaps), n_dropped, int((~keep).sum()))

    def _t_dev0(self, dev: int, buf: _StreamBuffer) -> float:
        """Device time (s) of a stream's first sample."""
        b0 = buf.blocks[0]
        if self.devices[dev].profile.has_device_clock and b0.device_t_us is not None:
            return b0.device_t_us / 1e6
        return 0.0

    def _fit(self, dev: int) -> ClockFit:
        """Fit device time to host time using every data packet of ``dev``."""
        t_dev, t_host = [], []
        for (d, kind), buf in self._buffers.items():
            if d != dev:
                continue
            pos, keep, fs = self._device_times(dev, kind, buf)
            t0 = self._t_dev0(dev, buf)
            n = np.array([b.n_samples for b in buf.blocks])
            t_dev.append((t0 + (pos + n - 1) / fs)[keep])
            t_host.append(np.asarray(buf.t_rx_ns, dtype=np.float64)[keep] / 1e9)
        if not t_dev:
            raise SessionSetupError(f"device {dev} sent no data")
        return fit_device_to_host(np.concatenate(t_dev), np.concatenate(t_host))


def decode_packets(meta: Mapping[str, Any], packets: Iterable[RawPacket], events: Iterable[Event] = (),
                   *, source: str = "") -> Recording:
    """Decode a whole packet sequence at once (same code as the live path)."""
    dec = SessionDecoder(meta)
    dec.push_all(packets)
    return dec.recording(events, source=source)
