"""Counters first: one stream's packets placed on its device's time axis (pure).

:func:`timeline` takes the decoded blocks of one (device, stream), in arrival order, with
their receive stamps, and says where each packet's samples sit: a sample position within a
gap-free segment, from the device clock where there is one, else from the packet counter,
else from arrival.  Lost packets leave holes (positions jump), duplicates are dropped, and a
restarted device clock or an arrival that disagrees with the counter starts a new segment.
Nothing here fits a clock: :mod:`glutesense.decode.layout` maps segments to session time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glutesense.decode.clockfit import pairwise_slopes, unwrap_counter
from glutesense.model.arrays import BoolArray, FloatArray, IntArray
from glutesense.model.meta import Timing
from glutesense.model.records import SEQ_MODULUS, SampleBlock, StreamKind
from glutesense.profiles.diy_v1 import FLAG_CLOCK_RESTART

CLOCK_MODULUS = 1 << 32  # SampleBlock.device_t_us wraps here

SEGMENT_BREAK_S = 0.25
"""Without a device clock, a packet arriving this much later than its counter (or, with
neither, its sample count) implies starts a new segment: the device time across the break
is unknown, so the segment gets its own clock offset."""

ClockKey = tuple[str, int]
"""Names the clock segment a packet belongs to: ``("clock", k)`` for segment ``k`` of a
device clock (shared by all the device's streams), ``("emg", k)`` etc. for a stream
without one."""


@dataclass(frozen=True)
class Packets:
    """One (device, stream)'s decoded packets as columns, in arrival order: what :func:`timeline`
    reads of their :class:`~glutesense.model.records.SampleBlock` objects.

    Attributes
    ----------
    kind : StreamKind
    data : tuple of ndarray
        Each packet's samples, ``(n_samples, n_channels)``.
    fs_hz, seq, device_t_us, flags : ndarray, shape (n_packets,)
        The blocks' fields (``seq`` and ``device_t_us`` 0 where a block has none).
    has_seq, has_clock : bool
        Whether every packet has a counter, a device clock stamp.
    """

    kind: StreamKind
    data: tuple[FloatArray, ...]
    fs_hz: FloatArray
    seq: IntArray
    device_t_us: IntArray
    flags: IntArray
    has_seq: bool
    has_clock: bool

    @classmethod
    def from_blocks(cls, blocks: Sequence[SampleBlock]) -> Packets:
        return cls(
            blocks[0].stream,
            tuple(b.data for b in blocks),
            np.array([b.fs_hz for b in blocks], dtype=np.float64),
            np.array([b.seq or 0 for b in blocks], dtype=np.int64),
            np.array([b.device_t_us or 0 for b in blocks], dtype=np.int64),
            np.array([b.flags for b in blocks], dtype=np.int64),
            all(b.seq is not None for b in blocks),
            all(b.device_t_us is not None for b in blocks),
        )

    def __len__(self) -> int:
        return len(self.data)

    @property
    def n_samples(self) -> IntArray:
        """Samples in each packet."""
        return np.array([d.shape[0] for d in self.data], dtype=np.int64)

    def take(self, idx: IntArray) -> Packets:
        """The packets at ``idx``, in that order."""
        return Packets(
            self.kind,
            tuple(self.data[i] for i in idx.tolist()),
            self.fs_hz[idx],
            self.seq[idx],
            self.device_t_us[idx],
            self.flags[idx],
            self.has_seq,
            self.has_clock,
        )


@dataclass(frozen=True)
class Timeline:
    """One stream's kept packets on its device's time axis, split into gap-free segments.

    Attributes
    ----------
    kind : StreamKind
    timing : Timing
        Where the positions come from.
    fs_hz : float
        The stream's rate on the device clock (measured from arrival for ``Timing.ARRIVAL``).
    packets : Packets
        The kept packets (duplicates dropped), in arrival order.
    t_rx_s : ndarray, shape (n_kept,)
        Host receive time of each kept packet, s (monotonic clock).
    pos : ndarray of int, shape (n_kept,)
        Position of each packet's first sample from the start of its segment, samples.
    seg : ndarray of int, shape (n_kept,)
        Segment number of each kept packet (0, 1, ...).
    keys : tuple of ClockKey
        Clock key per segment.
    t_dev0_s : tuple of float
        Device time of each segment's position 0, s (0 without a device clock).
    n_duplicates : int
        Packets dropped as duplicates (or going backwards).
    per_packet : float
        Median samples per packet.
    """

    kind: StreamKind
    timing: Timing
    fs_hz: float
    packets: Packets
    t_rx_s: FloatArray
    pos: IntArray
    seg: IntArray
    keys: tuple[ClockKey, ...]
    t_dev0_s: tuple[float, ...]
    n_duplicates: int
    per_packet: float

    @property
    def n_samples(self) -> IntArray:
        """Samples in each kept packet."""
        return self.packets.n_samples


def timing_of(packets: Packets, *, has_device_clock: bool) -> Timing:
    """The best timing source every packet of a stream supports."""
    if has_device_clock and packets.has_clock:
        return Timing.DEVICE_CLOCK
    if packets.has_seq:
        return Timing.COUNTER
    return Timing.ARRIVAL


def timeline(
    blocks: Sequence[SampleBlock] | Packets, t_rx_ns: Sequence[int], *, has_device_clock: bool
) -> Timeline:
    """Sample positions, duplicates and gap-free segments of one stream's packets.

    Parameters
    ----------
    blocks : sequence of SampleBlock, or Packets
        One (device, stream)'s decoded blocks (or the same as columns), in arrival order,
        at least one.
    t_rx_ns : sequence of int
        Host receive stamp of each block's packet, ns.
    has_device_clock : bool
        Whether the device's profile stamps packets with a device clock.
    """
    pk = blocks if isinstance(blocks, Packets) else Packets.from_blocks(blocks)
    kind = pk.kind
    t_rx = np.asarray(t_rx_ns, dtype=np.float64) / 1e9
    n = pk.n_samples
    per_packet = int(np.median(n))
    fs = float(np.median(pk.fs_hz))
    timing = timing_of(pk, has_device_clock=has_device_clock)
    t_us = unwrap_counter(pk.device_t_us, CLOCK_MODULUS)
    if timing is Timing.DEVICE_CLOCK:
        pos = np.rint((t_us - t_us[0]) * fs / 1e6).astype(np.int64)
    elif timing is Timing.COUNTER:
        pos = _counter_positions(pk.seq, n, per_packet)
    else:
        pos = np.concatenate(([0], np.cumsum(n)[:-1]))
        fs = _rate_from_arrival(n, t_rx, fs)
    seg = _segments(pk.flags, timing, t_rx, pos, fs)
    keep = _keep_forward(pos, seg)
    kept = np.flatnonzero(keep)
    uniq, seg_k = np.unique(seg[kept], return_inverse=True)
    if timing is Timing.DEVICE_CLOCK:
        keys = tuple(("clock", int(k)) for k in uniq)
        t_dev0 = tuple(float(t_us[kept[seg_k == j][0]]) / 1e6 for j in range(len(uniq)))
    else:
        keys = tuple((kind.name.lower(), int(k)) for k in uniq)
        t_dev0 = tuple(0.0 for _ in uniq)
    return Timeline(
        kind=kind,
        timing=timing,
        fs_hz=fs,
        packets=pk if kept.size == len(pk) else pk.take(kept),
        t_rx_s=t_rx[kept],
        pos=pos[kept],
        seg=seg_k.astype(np.int64),
        keys=keys,
        t_dev0_s=t_dev0,
        n_duplicates=int(len(pk) - kept.size),
        per_packet=float(per_packet),
    )


def _counter_positions(seq_sent: IntArray, n: IntArray, per_packet: int) -> IntArray:
    """Each packet follows the previous one's samples; a counter jump inserts the lost
    packets' samples (at the median packet size); a repeat (position -1) is a duplicate."""
    seq = unwrap_counter(seq_sent, SEQ_MODULUS)
    step = np.diff(seq)
    advance = np.where(step > 0, n[:-1] + (step - 1) * per_packet, -1)
    pos = np.concatenate(([0], np.cumsum(np.maximum(advance, 0))))
    pos[1:][step <= 0] = -1  # never moves forward: dropped below as a duplicate
    return pos


def _segments(flags: IntArray, timing: Timing, t_rx_s: FloatArray, pos: IntArray, fs_hz: float) -> IntArray:
    """Segment number per packet: a restarted device clock, or (without a clock) an arrival
    later than the positions allow, starts a new one."""
    restart = (flags & FLAG_CLOCK_RESTART) != 0
    restart[0] = False
    if timing is Timing.DEVICE_CLOCK:
        return np.cumsum(restart)
    late = np.zeros(flags.size, bool)
    late[1:] = (np.diff(t_rx_s) - np.diff(pos) / fs_hz) > SEGMENT_BREAK_S
    late[1:] &= np.diff(pos) >= 0
    return np.cumsum(restart | late)


def _keep_forward(pos: IntArray, seg: IntArray) -> BoolArray:
    """Re-base ``pos`` (in place) per segment; keep only packets that move forward in it."""
    keep = np.zeros(pos.size, bool)
    for k in np.unique(seg):
        idx = np.flatnonzero(seg == k)
        first = idx[pos[idx] >= 0][0] if np.any(pos[idx] >= 0) else idx[0]
        pos[idx] -= pos[first]
        running = -1
        for i in idx:
            if pos[i] > running or (i == first and running < 0):
                keep[i] = True
                running = int(pos[i])
    return keep


def _rate_from_arrival(n: IntArray, t_rx_s: FloatArray, nominal_hz: float) -> float:
    """Sample rate implied by arrival times (least-latency packets), Hz; nominal if too few."""
    if n.size < 10 or t_rx_s[-1] - t_rx_s[0] < 1.0:
        return nominal_hz
    cum = np.cumsum(n).astype(np.float64)  # samples complete at each arrival
    # Upper envelope of samples delivered vs time: the least-delayed packet of each window.
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
    # Theil-Sen over pairs at least 0.5 s apart (pairwise_slopes), each pair within one run of
    # arrivals without a pause: a pause (a dropped link) is no samples, and a pair across it
    # would rate the stream low, stretching every segment into the pause (its gap too short).
    run = np.cumsum(np.diff(t_rx_s, prepend=t_rx_s[0]) > SEGMENT_BREAK_S)[np.searchsorted(t_rx_s, x)]
    slopes = np.concatenate([pairwise_slopes(x[run == r], y[run == r], min_dx=0.5) for r in np.unique(run)])
    if not slopes.size:  # no run long enough: the pairs across pauses are all there is
        slopes = pairwise_slopes(x, y, min_dx=0.5)
    return float(np.median(slopes)) if slopes.size else nominal_hz
