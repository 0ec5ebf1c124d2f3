"""Raw packets to a :class:`~glutesense.model.records.Recording`: the one path shared
by live recording, replay and direct analysis of a session.

``SessionDecoder.push`` decodes each packet as it arrives (the live view reads
what it returns); ``SessionDecoder.recording`` reconstructs sample times from
counters and device clocks and lays the samples out on the session clock,
with NaN where packets were lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from glutesense.decode.clockfit import ClockFit, fit_segments, unwrap_counter
from glutesense.model.records import (
    ChannelSpec,
    Event,
    FloatArray,
    RawPacket,
    Recording,
    SampleBlock,
    Stream,
    StreamKind,
)
from glutesense.model.roles import Role
from glutesense.profiles import DeviceProfile, MalformedPacket, get_profile

SEQ_MODULUS = 1 << 16
CLOCK_MODULUS = 1 << 32
FLAG_CLOCK_RESTART = 0x02  # SampleBlock.flags bit (diy-v1): the device clock restarted


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


class Timing(StrEnum):
    """Where a stream's sample times come from."""

    DEVICE_CLOCK = "device clock"
    COUNTER = "packet counter and arrival"
    ARRIVAL = "arrival only"


TIMING_NOTES = {
    Timing.DEVICE_CLOCK: "",
    Timing.COUNTER: "no device clock: timing from packet counters and arrival",
    Timing.ARRIVAL: "no device clock: timing from arrival only",
}

SEGMENT_BREAK_S = 0.25
"""Without a device clock, a packet arriving this much later than its counter (or, with
neither, its sample count) implies starts a new segment: the device time across the break
is unknown, so the segment gets its own clock offset."""


@dataclass(frozen=True)
class _Timeline:
    """One stream's packets on its device's time axis, split into gap-free segments.

    ``pos`` are sample positions from the start of each packet's segment; ``key`` names
    the clock segment a packet belongs to (shared by the streams of a device clock).
    """

    kind: StreamKind
    timing: Timing
    fs_hz: float
    blocks: tuple[SampleBlock, ...]
    t_rx_s: FloatArray
    pos: npt.NDArray[np.int64]
    seg: npt.NDArray[np.int64]  # segment number per kept packet
    keys: tuple[tuple[str, int], ...]  # clock key per segment
    t_dev0_s: tuple[float, ...]  # device time of each segment's position 0, s
    n_duplicates: int
    per_packet: float


@dataclass(frozen=True)
class _Laid:
    """One stream laid out on the session clock."""

    device: int
    kind: StreamKind
    fs_hz: float  # on the session clock
    t0_s: float
    data: FloatArray  # (n_channels, n_samples), NaN in holes
    gaps: tuple[tuple[float, float], ...]  # (session start s, duration s)
    n_dropped_packets: int
    n_duplicates: int
    n_segments: int


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
        """Lay out everything pushed so far on the session clock.

        Counters first, then clocks: each stream's packets are placed on its device's time
        axis from the device clock (or the packet counter, or arrival), lost packets leave
        holes, duplicates are dropped; then each device's time is mapped to the host clock
        by a lower-envelope fit per gap-free segment (:func:`glutesense.decode.clockfit.fit_segments`).
        """
        timelines = {key: self._timeline(key[0], buf) for key, buf in sorted(self._buffers.items())}
        fits = {dev: self._fit(dev, timelines) for dev in sorted({d for d, _ in timelines})}
        laid = [self._lay_out(dev, tl, fits[dev]) for (dev, _), tl in timelines.items()]
        streams = []
        gap_events = []
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
            if not roles:
                continue
            prefix = "" if lo.device == 0 else f"dev{lo.device}."
            streams.append(
                Stream(prefix + lo.kind.name.lower(), lo.fs_hz, lo.t0_s, tuple(roles), np.vstack(rows))
            )
            gap_events += [Event(round(g0, 6), round(dur, 6), "gap") for g0, dur in lo.gaps]
        all_events = sorted([*_supersede(events), *gap_events], key=lambda e: (e.onset_s, e.trial_type))
        meta = dict(self.meta)
        meta["clock"] = self._clock_meta(fits, timelines)
        notes = [
            f"device {dev} ({self.devices[dev].profile.name}): {c['note']}"
            for dev, c in ((int(k), v) for k, v in meta["clock"].items() if k.isdigit())
            if c.get("note")
        ]
        if notes:
            meta["timing_notes"] = notes
        meta["packets"] = {
            "received": self.n_packets,
            "malformed": self.n_malformed,
            "dropped": sum(lo.n_dropped_packets for lo in laid),
            "duplicates": sum(lo.n_duplicates for lo in laid),
            "gaps": sum(len(lo.gaps) for lo in laid),
            "by_stream": {
                f"{lo.device}.{lo.kind.name.lower()}": {
                    "dropped": lo.n_dropped_packets,
                    "duplicates": lo.n_duplicates,
                    "gaps": len(lo.gaps),
                    "lost_s": round(sum(d for _, d in lo.gaps), 6),
                    "segments": lo.n_segments,
                }
                for lo in laid
            },
        }
        return Recording(tuple(streams), tuple(all_events), meta, source)

    def device_time_to_session(self, device: int, t_device_s: float) -> float:
        """Map a device-clock time (s) to session time (s) with that device's main fit."""
        timelines = {k: self._timeline(k[0], b) for k, b in self._buffers.items() if k[0] == device}
        fit = self._fit(device, timelines)
        main = max(fit, key=lambda k: fit[k].n_points)
        return float(fit[main].to_host(t_device_s)[()]) - self.start_ns / 1e9

    # -- internals ---------------------------------------------------------

    def _timing(self, dev: int, blocks: list[SampleBlock]) -> Timing:
        if self.devices[dev].profile.has_device_clock and all(b.device_t_us is not None for b in blocks):
            return Timing.DEVICE_CLOCK
        if all(b.seq is not None for b in blocks):
            return Timing.COUNTER
        return Timing.ARRIVAL

    def _timeline(self, dev: int, buf: _StreamBuffer) -> _Timeline:
        """Counters first: sample positions, duplicates and gap-free segments of one stream."""
        blocks = buf.blocks
        kind = blocks[0].stream
        t_rx = np.asarray(buf.t_rx_ns, dtype=np.float64) / 1e9
        n = np.array([b.n_samples for b in blocks], dtype=np.int64)
        per_packet = int(np.median(n))
        fs = float(np.median([b.fs_hz for b in blocks]))
        timing = self._timing(dev, blocks)
        restart = np.array([bool(b.flags & FLAG_CLOCK_RESTART) for b in blocks])
        restart[0] = False
        if timing is Timing.DEVICE_CLOCK:
            t_us = unwrap_counter([b.device_t_us or 0 for b in blocks], CLOCK_MODULUS)
            pos = np.rint((t_us - t_us[0]) * fs / 1e6).astype(np.int64)
        elif timing is Timing.COUNTER:
            # Each packet follows the previous one's samples; a counter jump inserts the
            # lost packets' samples (at the median packet size), a repeat is a duplicate.
            seq = unwrap_counter([b.seq or 0 for b in blocks], SEQ_MODULUS)
            step = np.diff(seq)
            advance = np.where(step > 0, n[:-1] + (step - 1) * per_packet, -1)
            pos = np.concatenate(([0], np.cumsum(np.maximum(advance, 0))))
            pos[1:][step <= 0] = -1  # never moves forward: dropped below as a duplicate
        else:
            pos = np.concatenate(([0], np.cumsum(n)[:-1]))
            fs = _rate_from_arrival(n, t_rx, fs)
        # Segment breaks: a restarted device clock; without a clock, arrival that disagrees.
        seg = np.cumsum(restart)
        if timing is not Timing.DEVICE_CLOCK:
            late = np.zeros(len(blocks), bool)
            late[1:] = (np.diff(t_rx) - np.diff(pos) / fs) > SEGMENT_BREAK_S
            late[1:] &= np.diff(pos) >= 0
            seg = np.cumsum(restart | late)
        # Re-base positions per segment; keep only packets that move forward within a segment.
        keep = np.zeros(len(blocks), bool)
        for k in np.unique(seg):
            idx = np.flatnonzero(seg == k)
            first = idx[pos[idx] >= 0][0] if np.any(pos[idx] >= 0) else idx[0]
            pos[idx] -= pos[first]
            running = -1
            for i in idx:
                if pos[i] > running or (i == first and running < 0):
                    keep[i] = True
                    running = int(pos[i])
        kept = np.flatnonzero(keep)
        seg_k = seg[kept]
        uniq = np.unique(seg_k)
        renum = {int(k): j for j, k in enumerate(uniq)}
        seg_k = np.array([renum[int(k)] for k in seg_k], dtype=np.int64)
        kept_blocks = tuple(blocks[i] for i in kept)
        if timing is Timing.DEVICE_CLOCK:
            keys = tuple(("clock", int(k)) for k in uniq)
            t_dev0 = tuple(
                float(
                    unwrap_counter([b.device_t_us or 0 for b in blocks], CLOCK_MODULUS)[kept[seg_k == j][0]]
                )
                / 1e6
                for j in range(len(uniq))
            )
        else:
            keys = tuple((kind.name.lower(), int(k)) for k in uniq)
            t_dev0 = tuple(0.0 for _ in uniq)
        return _Timeline(
            kind,
            timing,
            fs,
            kept_blocks,
            t_rx[kept],
            pos[kept],
            seg_k,
            keys,
            t_dev0,
            int(len(blocks) - kept.size),
            float(per_packet),
        )

    def _fit(
        self, dev: int, timelines: Mapping[tuple[int, StreamKind], _Timeline]
    ) -> dict[tuple[str, int], ClockFit]:
        """Fit device time to host time, one offset per clock segment, one drift per device."""
        points: dict[tuple[str, int], tuple[list[FloatArray], list[FloatArray]]] = {}
        for (d, _), tl in timelines.items():
            if d != dev:
                continue
            n = np.array([b.n_samples for b in tl.blocks])
            for j, key in enumerate(tl.keys):
                sel = tl.seg == j
                t_end = tl.t_dev0_s[j] + (tl.pos[sel] + n[sel] - 1) / tl.fs_hz
                td, th = points.setdefault(key, ([], []))
                td.append(t_end)
                th.append(tl.t_rx_s[sel])
        if not points:
            raise SessionSetupError(f"device {dev} sent no data")
        keys = sorted(points)
        # Fit relative to each segment's first device time, for precision with large device clocks.
        refs = [float(np.concatenate(points[k][0]).min()) for k in keys]
        segments = [
            (np.concatenate(points[k][0]) - ref, np.concatenate(points[k][1]))
            for k, ref in zip(keys, refs, strict=True)
        ]
        fits = fit_segments(segments)
        return {
            k: ClockFit(f.offset_s - f.scale * ref, f.drift_ppm, f.residual_ms, f.n_points, f.spread_ms)
            for k, ref, f in zip(keys, refs, fits, strict=True)
        }

    def _lay_out(self, dev: int, tl: _Timeline, fits: Mapping[tuple[str, int], ClockFit]) -> _Laid:
        """Place a stream's segments on one uniform session-time grid, NaN in the holes."""
        start_s = self.start_ns / 1e9
        main = fits[tl.keys[0]]
        fs_session = tl.fs_hz / main.scale
        seg_t0 = [float(fits[k].to_host(tl.t_dev0_s[j])[()]) - start_s for j, k in enumerate(tl.keys)]
        t0_s = seg_t0[0]
        n_ch = max(b.data.shape[1] for b in tl.blocks)
        offsets = []
        end = 0
        for j in range(len(tl.keys)):
            sel = np.flatnonzero(tl.seg == j)
            at = max(round((seg_t0[j] - t0_s) * fs_session), end)  # never overlap the previous segment
            offsets.append(at)
            last = sel[-1]
            end = at + int(tl.pos[last]) + tl.blocks[last].n_samples
        data = np.full((n_ch, end), np.nan)
        covered = np.zeros(end, bool)
        for i, b in enumerate(tl.blocks):
            p = offsets[int(tl.seg[i])] + int(tl.pos[i])
            data[: b.data.shape[1], p : p + b.n_samples] = b.data.T
            covered[p : p + b.n_samples] = True
        gaps = []
        edges = np.flatnonzero(np.diff(covered.astype(np.int8)))
        for e in edges:
            if covered[e + 1]:
                continue
            s = int(e) + 1
            stop = s + int(np.argmax(covered[s:]))
            gaps.append((t0_s + s / fs_session, (stop - s) / fs_session))
        n_dropped = round((~covered).sum() / tl.per_packet) if tl.per_packet else 0
        return _Laid(
            dev, tl.kind, fs_session, t0_s, data, tuple(gaps), n_dropped, tl.n_duplicates, len(tl.keys)
        )

    def _clock_meta(
        self,
        fits: Mapping[int, Mapping[tuple[str, int], ClockFit]],
        timelines: Mapping[tuple[int, StreamKind], _Timeline],
    ) -> dict[str, Any]:
        start_s = self.start_ns / 1e9
        out: dict[str, Any] = {}
        for dev, per_key in fits.items():
            main_key = max(per_key, key=lambda k: per_key[k].n_points)
            f = per_key[main_key]
            tls = [tl for (d, _), tl in timelines.items() if d == dev]
            timing = max((tl.timing for tl in tls), key=list(Timing).index)
            entry: dict[str, Any] = {
                "offset_s": f.offset_s - start_s,
                "drift_ppm": f.drift_ppm,
                "residual_ms": f.residual_ms,
                "spread_ms": f.spread_ms,
                "n_packets": sum(x.n_points for x in per_key.values()),
                "segments": len(per_key),
                "timing": timing.value,
                "note": TIMING_NOTES[timing],
            }
            arrival = {tl.kind.name.lower(): round(tl.fs_hz, 3) for tl in tls if tl.timing is Timing.ARRIVAL}
            if arrival:
                entry["fs_from_arrival_hz"] = arrival
            out[str(dev)] = entry
        if len(fits) > 1:
            ref = min(fits)
            ref_spread = out[str(ref)]["spread_ms"]
            out["alignment"] = {
                "reference_device": ref,
                "residual_ms": {
                    str(d): round(float(np.hypot(ref_spread, out[str(d)]["spread_ms"])), 3)
                    for d in fits
                    if d != ref
                },
                "method": "each device's clock fitted to the host clock; residual = spread of the two "
                "lower envelopes (10th minus 1st percentile of latency), combined in quadrature",
            }
        return out


def _rate_from_arrival(n: npt.NDArray[np.int64], t_rx_s: FloatArray, nominal_hz: float) -> float:
    """Sample rate implied by arrival times (least-latency packets), Hz; nominal if too few."""
    if n.size < 10 or t_rx_s[-1] - t_rx_s[0] < 1.0:
        return nominal_hz
    cum = np.cumsum(n).astype(np.float64)  # samples complete at each arrival
    # Upper envelope of samples delivered vs time (the least-delayed packets), Theil-Sen.
    slopes = []
    n_win = int(min(40, n.size // 5))
    edges = np.linspace(t_rx_s[0], t_rx_s[-1], n_win + 1)
    which = np.clip(np.searchsorted(edges, t_rx_s, side="right") - 1, 0, n_win - 1)
    xs, ys = [], []
    for w in range(n_win):
        sel = np.flatnonzero(which == w)
        if sel.size:
            k = sel[np.argmax(cum[sel] - nominal_hz * t_rx_s[sel])]
            xs.append(t_rx_s[k])
            ys.append(cum[k])
    x, y = np.asarray(xs), np.asarray(ys)
    i, j = np.triu_indices(x.size, k=1)
    ok = (x[j] - x[i]) > 0.5
    slopes = (y[j][ok] - y[i][ok]) / (x[j][ok] - x[i][ok])
    # Long pauses (a dropped link) are not samples: use the median rate of gap-free pairs.
    return float(np.median(slopes)) if slopes.size else nominal_hz


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
