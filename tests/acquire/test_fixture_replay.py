"""The replay backend: a stored session re-sent through the bleak seam, with injected faults.

The fixture is ``sample_recordings/bridge_glute_first.gses`` (a diy-v1 recording).  Its packets
are replayed at their original relative receive times on the virtual-time loop, with 5 % of
them dropped, BlueZ-style bursts, duplicates and one mid-stream disconnect; the link records
them through :class:`SensorLink` (which reconnects on its own).  Decoding the result must give
exactly the fixture's own decoding, except NaN at (and only at) the samples of the packets
that never arrived.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import numpy as np
import pytest
from support.paths import SAMPLES

from glutesense.decode.decoder import decode_packets
from glutesense.model.records import RawPacket, StreamKind
from glutesense.profiles import get_profile
from glutesense.profiles.base import MalformedPacket
from glutesense.session import read_session
from glutesense.transport.ble import ConnectionFailed, LinkNotice, NoticeKind, ReconnectPolicy, SensorLink
from glutesense.transport.clock import LoopClock, run_in_virtual_time
from glutesense.virtual.replay_backend import ReplayDevice, ReplayFaults, ReplaySpec, make_replay_backends

FIXTURE = SAMPLES / "bridge_glute_first.gses"


@pytest.fixture(scope="module")
def fixture_session() -> Any:
    return read_session(FIXTURE)


def _record(spec: ReplaySpec, *, connect_timeout_s: float = 10.0) -> tuple[list[Any], ReplayDevice, int]:
    async def main() -> tuple[list[Any], ReplayDevice, int]:
        clock = LoopClock()
        backend = make_replay_backends(spec, clock=clock)
        device: ReplayDevice = backend.context
        link = SensorLink(
            spec.address,
            clock=clock,
            backend=backend,
            reconnect=ReconnectPolicy(first_delay_s=0.3, max_attempts=10),
            connect_timeout_s=connect_timeout_s,
        )
        await link.connect()
        start_ns = clock.now_ns()
        await link.start()
        await device.done.wait()
        await link.stop()
        await clock.sleep(0.2)
        await link.close()
        await device.stop()
        items = []
        while not link.queue.empty():
            items.append(link.queue.get_nowait())
        return items, device, start_ns

    return run_in_virtual_time(main())


def _sample_ranges(spec: ReplaySpec) -> dict[int, tuple[StreamKind, int, int]]:
    """Per data notification index: its stream and ``[first, last)`` sample within that stream."""
    decoder = get_profile(spec.profile).new_decoder()
    pos: dict[StreamKind, int] = {}
    out = {}
    for i, n in enumerate(spec.notifications):
        try:
            blocks = decoder.decode(n.char, n.payload)
        except MalformedPacket:
            continue
        for b in blocks:
            if b.stream is StreamKind.MARK or b.n_samples == 0:
                continue
            start = pos.get(b.stream, 0)
            out[i] = (b.stream, start, start + b.n_samples)
            pos[b.stream] = start + b.n_samples
    return out


def test_replay_with_drops_bursts_duplicates_and_a_disconnect(fixture_session: Any) -> None:
    data = fixture_session
    base = ReplaySpec.from_session(str(FIXTURE))
    n = len(base.notifications)
    ranges = _sample_ranges(base)
    # 5 % of the notifications, chosen away from both ends (so both runs span the same samples)
    rng = random.Random(7)
    drop = frozenset(rng.sample(range(20, n - 20), round(0.05 * n)))
    faults = ReplayFaults(
        drop_indices=drop,
        duplicate_probability=0.03,
        burst_every_s=0.1,
        disconnects_at_s=(12.0,),
        down_s=0.8,
        seed=3,
    )
    spec = ReplaySpec(base.notifications, profile=base.profile, faults=faults)
    items, device, start_ns = _record(spec)

    packets = [p for p in items if isinstance(p, RawPacket)]
    notices = [x for x in items if isinstance(x, LinkNotice)]
    assert [x.kind for x in notices] == [NoticeKind.DISCONNECT, NoticeKind.RECONNECT]
    assert device.n_disconnects == 1
    lost = set(device.lost_indices)
    assert drop <= lost  # every injected drop, plus what was due while the link was down
    lost_while_down = lost - drop
    assert 5 < len(lost_while_down) < 0.1 * n
    reasons = {why for i, why in device.lost if i not in drop}
    assert reasons <= {"not connected", "disconnected", "not streaming"}, reasons
    assert len(device.delivered) > len(set(device.delivered))  # duplicates were sent
    # bursts: many notifications share one receive time
    stamps = np.array([p.t_rx_ns for p in packets])
    assert np.max(np.unique(stamps, return_counts=True)[1]) >= 5
    assert len(packets) == len(device.delivered)

    meta = {**data.meta, "start_ns": start_ns}
    got = decode_packets(meta, packets)
    want = decode_packets(data.meta, data.packets)
    assert [s.name for s in got.streams] == [s.name for s in want.streams]
    assert got.packets.duplicates > 0
    for g, w in zip(got.streams, want.streams, strict=True):
        kind = StreamKind[g.name.upper()]
        assert not np.isnan(w.data).any()
        assert g.data.shape == w.data.shape, g.name
        mask = np.zeros(w.data.shape[1], dtype=bool)
        for i in lost:
            if i in ranges and ranges[i][0] is kind:
                mask[ranges[i][1] : ranges[i][2]] = True
        assert mask.any()
        nan = np.isnan(g.data)
        assert (nan == mask[None, :]).all(), g.name  # NaN exactly at the lost packets
        np.testing.assert_array_equal(g.data[:, ~mask], w.data[:, ~mask])
        # the rate comes from the clock fit (bursts and the reconnect move arrivals): within 0.1 %
        assert g.fs_hz == pytest.approx(w.fs_hz, rel=1e-3)


def test_loss_free_replay_reproduces_the_fixture(fixture_session: Any) -> None:
    base = ReplaySpec.from_session(str(FIXTURE))
    items, device, _ = _record(base)
    packets = [p for p in items if isinstance(p, RawPacket)]
    assert device.lost == []
    assert [p.payload for p in packets] == [p.payload for p in fixture_session.packets]
    rel = np.array([p.t_rx_ns for p in packets]) - packets[0].t_rx_ns
    want = np.array([p.t_rx_ns for p in fixture_session.packets]) - fixture_session.packets[0].t_rx_ns
    np.testing.assert_allclose(rel, want, atol=2)  # original relative receive times, ns


def test_device_that_never_answers_gives_a_clear_error(fixture_session: Any) -> None:
    spec = ReplaySpec.from_session(str(FIXTURE), faults=ReplayFaults(never_answers=True))

    async def main() -> float:
        clock = LoopClock()
        backend = make_replay_backends(spec, clock=clock)
        link = SensorLink(spec.address, clock=clock, backend=backend, connect_timeout_s=4)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(ConnectionFailed, match=r"no answer within 4 s"):
            await link.connect()
        return loop.time() - t0

    waited_s = run_in_virtual_time(main())
    assert 4.0 <= waited_s < 5.0


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="drop_probability"):
        ReplayFaults(drop_probability=1.5)
    packets = [RawPacket(5_000_000_000, 0, 0, b"x"), RawPacket(5_500_000_000, 0, 0, b"y")]
    spec = ReplaySpec.from_packets(packets)
    assert [n.t_s for n in spec.notifications] == [0.0, 0.5]
    assert spec.advertised_name
