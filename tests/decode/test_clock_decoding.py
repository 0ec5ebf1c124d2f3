"""Counters, clock fit and packet-to-sample layout with losses."""

from __future__ import annotations

import numpy as np
import pytest

from glutesense.decode.clockfit import fit_device_to_host, unwrap_counter
from glutesense.decode.decoder import decode_packets
from glutesense.model.records import RawPacket, StreamKind
from glutesense.model.roles import Role
from glutesense.profiles import diy_v1


def test_unwrap_counter() -> None:
    assert unwrap_counter([65534, 65535, 0, 1, 5], 65536).tolist() == [65534, 65535, 65536, 65537, 65541]
    assert unwrap_counter([4294967295, 24], 1 << 32).tolist() == [4294967295, 4294967296 + 24]
    assert unwrap_counter([10, 10, 9, 11], 65536).tolist() == [10, 10, 9, 11]


def test_fit_recovers_offset_and_drift() -> None:
    rng = np.random.default_rng(1)
    td = np.arange(0, 600, 0.025)
    th = 12.5 + (1 + 80e-6) * td + rng.exponential(0.004, td.size) + 0.0075
    fit = fit_device_to_host(td, th)
    assert fit.drift_ppm == pytest.approx(80, abs=5)
    assert fit.offset_s == pytest.approx(12.5075, abs=0.001)


def _packets(
    n_packets: int, drop: set[int], start_ns: int, *, fs: int = 1000, n: int = 25
) -> list[RawPacket]:
    rng = np.random.default_rng(0)
    x = np.arange(n_packets * n, dtype=float)
    out = []
    t_us0 = (1 << 32) - 300_000  # the device clock wraps during the recording
    for i in range(n_packets):
        if i in drop:
            continue
        block = np.stack([x[i * n : (i + 1) * n] * 0.25] * 4, axis=1)
        counts, _ = diy_v1.to_counts(block, StreamKind.EMG)
        pk = diy_v1.Packet(
            StreamKind.EMG, (65500 + i) % 65536, (t_us0 + i * n * 1000) % (1 << 32), fs, counts
        )
        t_rx = start_ns + 2_000_000 + int((i + 1) * n / fs * 1e9) + int(rng.exponential(4e6))
        out.append(RawPacket(t_rx, 0, 0, diy_v1.encode(pk)))
    return out


def test_lost_packets_leave_nan_holes_exactly_where_lost() -> None:
    start = 5_000_000_000
    meta = {"start_ns": start, "devices": [{"profile": "diy-v1"}]}
    pk = _packets(400, {10, 11, 250}, start)
    pk.insert(100, pk[99])  # a duplicate
    rec = decode_packets(meta, pk)
    (s,) = rec.streams
    assert s.roles[:2] == (Role.GLUTE_MAX_L, Role.HAMSTRING_L)
    assert s.n_samples == 400 * 25
    nan = np.isnan(s.data[0])
    assert np.flatnonzero(nan).tolist() == list(range(250, 300)) + list(range(6250, 6275))
    ok = ~nan
    np.testing.assert_allclose(s.data[0][ok], np.arange(10000)[ok] * 0.25)
    gaps = [e for e in rec.events if e.trial_type == "gap"]
    assert [round(g.duration_s, 3) for g in gaps] == [0.05, 0.025]
    assert rec.packets.dropped == 3 and rec.packets.duplicates == 1
    # first sample time: 2 ms link latency, first packet complete at 25 ms
    assert s.t0_s == pytest.approx(0.002 + 0.001, abs=0.002)


def test_malformed_packets_are_counted_not_raised() -> None:
    start = 0
    meta = {"start_ns": start, "devices": [{"profile": "diy-v1"}]}
    pk = _packets(50, set(), start)
    pk.insert(5, RawPacket(pk[4].t_rx_ns, 0, 0, b"\x01\x00garbage"))
    rec = decode_packets(meta, pk)
    assert rec.packets.malformed == 1
    assert rec.streams[0].n_samples == 50 * 25
