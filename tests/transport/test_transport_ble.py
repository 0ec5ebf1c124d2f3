"""The BLE transport over the virtual backend: scan, link, stamps, markers, reconnects."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from glutesense.model.records import RawPacket, StreamKind
from glutesense.model.roles import Protocol
from glutesense.profiles import diy_v1
from glutesense.transport import clock as clock_mod
from glutesense.transport.base import BackendPair
from glutesense.transport.ble import (
    ConnectionFailed,
    DeviceNotFound,
    LinkNotice,
    NoticeKind,
    ReconnectPolicy,
    SensorLink,
    TransportError,
    match_profile,
    scan,
)
from glutesense.transport.clock import LoopClock, MonotonicClock, ScaledClock, run_in_virtual_time
from glutesense.virtual.backend import VirtualWorld, make_backends
from glutesense.virtual.devices import link_target, resolve_backend
from glutesense.virtual.spec import Faults, VirtualSensorSpec

SPEED = 20.0


def _sim(clock: LoopClock, **sim: object) -> BackendPair:
    pair = resolve_backend("sim", clock=clock, protocol=Protocol.BRIDGE, sim=sim)
    assert pair is not None
    return pair


def _drain(q: asyncio.Queue[RawPacket | LinkNotice]) -> list[RawPacket | LinkNotice]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


def test_resolve_backend_only_swaps_in_the_virtual_sensor_for_sim() -> None:
    clock = MonotonicClock()
    assert resolve_backend("AA:BB:CC:DD:EE:FF", clock=clock) is None
    assert resolve_backend("GluteSense-1", clock=clock) is None
    pair = resolve_backend(" SIM ", clock=clock, sim={"pattern": "glute-late", "drop_probability": 0.1})
    assert pair is not None
    assert pair.name == "virtual"
    sensor = pair.context.sensors[0]
    assert sensor.spec.params.glute_lag_ms == 120.0
    assert sensor.spec.faults.drop_probability == 0.1


def test_live_path_imports_neither_bleak_nor_the_virtual_sensor() -> None:
    code = (
        "import sys, glutesense.transport.ble, glutesense.transport.base, glutesense.acquire.recorder;"
        "bad = [m for m in sys.modules if m == 'bleak' or m.startswith('glutesense.virtual')];"
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_match_profile_by_service_or_name() -> None:
    assert match_profile(None, [diy_v1.NUS_SERVICE.upper()]) is diy_v1.PROFILE
    assert match_profile("GluteSense-7", []) is diy_v1.PROFILE
    assert match_profile("MyoWare-BLE", [diy_v1.NUS_SERVICE]).name == "myoware-ble-uart"  # type: ignore[union-attr]
    assert match_profile("Nordic UART", [diy_v1.NUS_SERVICE]) is diy_v1.PROFILE  # registry order
    assert match_profile("Mi Smart Band", ["0000180d-0000-1000-8000-00805f9b34fb"]) is None


def test_scan_lists_the_virtual_sensor_as_supported() -> None:
    found = run_in_virtual_time(scan(0.15, backend=_sim(LoopClock())))
    assert len(found) == 1
    assert (found[0].address, found[0].name, found[0].rssi_dbm, found[0].profile) == (
        "5A:1E:00:00:00:01",
        "GluteSense-SIM",
        -55,
        "diy-v1",
    )


@pytest.mark.parametrize("target", ["GluteSense-SIM", "5a:1e:00:00:00:01"])
def test_link_streams_stamped_packets(target: str) -> None:
    async def main() -> None:
        clock = LoopClock()
        link = SensorLink(target, clock=clock, backend=_sim(clock), device_index=3, scan_timeout_s=2.0)
        await link.connect()
        assert link.profile is diy_v1.PROFILE
        assert link.describe()["address"] == "5A:1E:00:00:00:01"
        assert await link.read_firmware() == "glutesense-sim 0.1 (diy-v1)"
        t0 = clock.now_ns()
        await link.start()
        await clock.sleep(1.0)
        assert await link.send_marker(5, "cue")
        await clock.sleep(0.5)
        await link.stop()
        annotations = await link.read_annotations()
        await link.close()
        items = _drain(link.queue)
        assert all(isinstance(i, RawPacket) for i in items)
        pkts = [i for i in items if isinstance(i, RawPacket)]
        assert {(p.device, p.char) for p in pkts} == {(3, 0)}
        stamps = [p.t_rx_ns for p in pkts]
        assert stamps == sorted(stamps)
        assert stamps[0] >= t0
        kinds = [diy_v1.parse(p.payload).stream for p in pkts]
        assert 1.5 * 40 * 0.9 <= kinds.count(StreamKind.EMG) <= 1.5 * 40 * 1.1
        marks = [diy_v1.parse(p.payload) for p in pkts if kinds[pkts.index(p)] is StreamKind.MARK]
        assert [m.marker for m in marks] == [5]
        assert annotations is not None
        assert [c["label"] for c in annotations["ground_truth"]["cues"]] == ["cue"]

    run_in_virtual_time(main())


def test_missing_device_is_a_clear_error() -> None:
    async def main() -> None:
        clock = LoopClock()
        link = SensorLink("GluteSense-NOPE", clock=clock, backend=_sim(clock), scan_timeout_s=0.2)
        with pytest.raises(DeviceNotFound, match="'GluteSense-NOPE'") as info:
            await link.connect()
        assert "\n" not in str(info.value)
        assert isinstance(info.value, TransportError)

    run_in_virtual_time(main())


def test_connection_failure_is_a_clear_error() -> None:
    async def main() -> None:
        clock = LoopClock()
        pair = _sim(clock)
        first = SensorLink(link_target("sim", pair), clock=clock, backend=pair, scan_timeout_s=1.0)
        await first.connect()
        # the sensor is taken: a second host finds it by address only through a stale scan
        second = SensorLink(link_target("sim", pair), clock=clock, backend=pair, scan_timeout_s=0.2)
        with pytest.raises(DeviceNotFound):
            await second.connect()
        second._device = first._device  # as if it had been seen advertising a moment ago
        second._profile = diy_v1.PROFILE
        with pytest.raises(ConnectionFailed, match="already connected"):
            await second._open_client()
        await first.close()

    run_in_virtual_time(main())


def test_link_reconnects_after_a_dropped_link_and_resumes_streaming() -> None:
    async def main() -> None:
        clock = LoopClock()
        pair = _sim(clock, disconnect_at_s=1.0, down_s=0.8)
        policy = ReconnectPolicy(first_delay_s=0.3, factor=2.0, max_delay_s=1.0, max_attempts=6)
        link = SensorLink(
            link_target("sim", pair), clock=clock, backend=pair, reconnect=policy, scan_timeout_s=1.0
        )
        await link.connect()
        await link.start()
        await clock.sleep(3.5)
        await link.stop()
        await link.close()
        items = _drain(link.queue)
        notices = [i for i in items if isinstance(i, LinkNotice)]
        assert [n.kind for n in notices] == [NoticeKind.DISCONNECT, NoticeKind.RECONNECT]
        assert notices[1].t_ns - notices[0].t_ns >= 0.8e9  # the device was away for 0.8 s
        i_re = items.index(notices[1])
        after = [i for i in items[i_re:] if isinstance(i, RawPacket)]
        assert len(after) > 20  # streaming restarted without being asked again
        assert (link.n_disconnects, link.n_reconnects) == (1, 1)

    run_in_virtual_time(main())


def test_link_gives_up_after_its_attempts() -> None:
    async def main() -> None:
        clock = LoopClock()
        pair = _sim(clock, disconnect_at_s=0.3, down_s=100.0)
        policy = ReconnectPolicy(first_delay_s=0.1, factor=1.0, max_attempts=3)
        link = SensorLink(
            link_target("sim", pair), clock=clock, backend=pair, reconnect=policy, scan_timeout_s=1.0
        )
        await link.connect()
        await link.start()
        await clock.sleep(1.5)
        await link.close()
        notices = [i for i in _drain(link.queue) if isinstance(i, LinkNotice)]
        assert [n.kind for n in notices] == [NoticeKind.DISCONNECT, NoticeKind.LOST]
        assert "3 attempts" in notices[1].detail
        assert not await link.send_marker(1, "cue")

    run_in_virtual_time(main())


def test_two_virtual_sensors_by_name() -> None:
    async def main() -> None:
        clock = LoopClock()
        specs = (
            VirtualSensorSpec(name="GluteSense-L", address="5A:1E:00:00:00:0A"),
            VirtualSensorSpec(name="GluteSense-R", address="5A:1E:00:00:00:0B", faults=Faults()),
        )
        pair = make_backends(VirtualWorld(specs, clock=clock))
        links = [
            SensorLink(n, clock=clock, backend=pair, device_index=i, scan_timeout_s=1.0)
            for i, n in enumerate(("GluteSense-L", "GluteSense-R"))
        ]
        for link in links:
            await link.connect()
        assert [link.address for link in links] == ["5A:1E:00:00:00:0A", "5A:1E:00:00:00:0B"]
        for link in links:
            await link.close()

    run_in_virtual_time(main())


def test_scaled_clock_scales_time_and_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000_000]
    slept: list[float] = []

    async def fake_sleep(d: float) -> None:
        slept.append(d)

    monkeypatch.setattr(clock_mod.time, "monotonic_ns", lambda: now[0])
    monkeypatch.setattr(clock_mod.asyncio, "sleep", fake_sleep)
    c = ScaledClock(8.0)
    now[0] += 500_000_000
    assert c.now_ns() == 1_000_000_000 + 4_000_000_000
    asyncio.run(c.sleep(2.0))
    asyncio.run(MonotonicClock().sleep(-1.0))
    assert slept == [0.25, 0.0]
    assert MonotonicClock().now_ns() == now[0]
    with pytest.raises(ValueError, match="speed"):
        ScaledClock(0.0)
