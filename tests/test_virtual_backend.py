"""The virtual sensor reached through Bleak's own API (``backend=``), decoded as diy-v1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakDeviceNotFoundError, BleakError

from glutesense.profiles import diy_v1
from glutesense.records import SampleBlock, StreamKind
from glutesense.roles import Protocol
from glutesense.transport.backends import BackendPair
from glutesense.transport.clock import ScaledClock
from glutesense.virtual import BASIC_EMG_ROLES, PersonParams
from glutesense.virtual.backend import VirtualWorld, make_backends
from glutesense.virtual.sensor import Faults, VirtualSensorSpec

SPEED = 20.0
ADDRESS = "5A:1E:00:00:00:01"


def _pair(*specs: VirtualSensorSpec) -> BackendPair:
    return make_backends(VirtualWorld(specs or (VirtualSensorSpec(),), clock=ScaledClock(SPEED)))


async def _stream(
    pair: BackendPair, device_s: float, *, between: Callable[[BleakClient], object] | None = None
) -> list[SampleBlock]:
    """Connect, subscribe, start, wait ``device_s`` device seconds, stop; decoded blocks."""
    clock = pair.context.clock
    got: list[bytes] = []
    async with BleakClient(ADDRESS, backend=pair.client) as client:
        await client.start_notify(diy_v1.NUS_TX, lambda _c, data: got.append(bytes(data)))
        await client.write_gatt_char(diy_v1.NUS_RX, diy_v1.CMD_START, response=True)
        await clock.sleep(device_s / 2)
        if between is not None:
            result = between(client)
            if asyncio.iscoroutine(result):
                await result
        await clock.sleep(device_s / 2)
        await client.write_gatt_char(diy_v1.NUS_RX, diy_v1.CMD_STOP, response=True)
    dec = diy_v1.DiyV1Decoder()
    return [b for p in got for b in dec.decode(0, p)]


def _of(blocks: list[SampleBlock], kind: StreamKind) -> list[SampleBlock]:
    return [b for b in blocks if b.stream is kind]


def test_scanner_discovers_the_virtual_sensor_with_its_service() -> None:
    async def main() -> None:
        second = VirtualSensorSpec(name="GluteSense-SIM-2", address="5A:1E:00:00:00:02", rssi_dbm=-70)
        pair = _pair(VirtualSensorSpec(), second)
        found = await BleakScanner.discover(timeout=0.15, return_adv=True, backend=pair.scanner)
        assert set(found) == {ADDRESS, "5A:1E:00:00:00:02"}
        dev, adv = found[ADDRESS]
        assert dev.name == "GluteSense-SIM"
        assert adv.local_name == "GluteSense-SIM"
        assert adv.service_uuids == [diy_v1.NUS_SERVICE]
        assert adv.rssi == -55
        other = await BleakScanner.discover(
            timeout=0.1, backend=pair.scanner, service_uuids=["0000180d-0000-1000-8000-00805f9b34fb"]
        )
        assert other == []
        by_name = await BleakScanner.find_device_by_name(
            "GluteSense-SIM-2", timeout=1.0, backend=pair.scanner
        )
        assert by_name is not None
        assert by_name.address == "5A:1E:00:00:00:02"

    asyncio.run(main())


def test_client_sees_the_nordic_uart_gatt_table() -> None:
    async def main() -> None:
        pair = _pair()
        async with BleakClient(ADDRESS, backend=pair.client) as client:
            assert client.is_connected
            nus = client.services.get_service(diy_v1.NUS_SERVICE)
            assert nus is not None
            props = {c.uuid: c.properties for c in nus.characteristics}
            assert "write" in props[diy_v1.NUS_RX]
            assert props[diy_v1.NUS_TX] == ["notify"]
            assert props[diy_v1.ANNOTATION_CHAR] == ["read"]
            fw = await client.read_gatt_char("00002a26-0000-1000-8000-00805f9b34fb")
            assert fw.decode().startswith("glutesense-sim")
            # a connected sensor stops advertising
            assert await BleakScanner.discover(timeout=0.1, backend=pair.scanner) == []
        assert not client.is_connected

    asyncio.run(main())


def test_notifications_decode_with_counters_and_device_clock() -> None:
    spec = VirtualSensorSpec(seq_start=65_520, device_t0_us=2**32 - 400_000)  # both wrap within 1 s
    blocks = asyncio.run(_stream(_pair(spec), 2.0))
    emg, imu = _of(blocks, StreamKind.EMG), _of(blocks, StreamKind.IMU)
    assert 2.0 * 40 * 0.9 <= len(emg) <= 2.0 * 40 * 1.1
    assert 2.0 * 10 * 0.8 <= len(imu) <= 2.0 * 10 * 1.2
    for stream, per_packet, fs_hz, n_ch in ((emg, 25, 1000.0, 8), (imu, 10, 100.0, 6)):
        assert {b.data.shape for b in stream} == {(per_packet, n_ch)}
        assert {b.fs_hz for b in stream} == {fs_hz}
        seq = np.array([b.seq for b in stream])
        assert seq[0] == 65_520
        assert np.all((np.diff(seq) % 65_536) == 1)
        assert np.any(np.diff(seq) < 0)  # wrapped
        t_us = np.array([b.device_t_us for b in stream], dtype=np.int64)
        assert t_us[0] == 2**32 - 400_000
        assert np.all(np.diff(t_us) % 2**32 == round(per_packet / fs_hz * 1e6))
        assert np.any(np.diff(t_us) < 0)  # the u32 clock wrapped
    rest = np.concatenate([b.data for b in emg])
    assert 2.0 < np.sqrt(np.mean(rest**2)) < 40.0  # µV: background, hum and wander only
    acc = np.concatenate([b.data for b in imu])[:, :3]
    assert np.linalg.norm(acc, axis=1) == pytest.approx(1.0, abs=0.05)


def test_marker_is_echoed_and_heard_by_the_person() -> None:
    async def mark(client: BleakClient) -> None:
        await client.write_gatt_char(diy_v1.NUS_RX, diy_v1.marker_command(42, "cue"), response=True)

    pair = _pair(VirtualSensorSpec(params=PersonParams(emg_roles=BASIC_EMG_ROLES, seed=3)))
    blocks = asyncio.run(_stream(pair, 3.0, between=mark))
    marks = _of(blocks, StreamKind.MARK)
    assert [(m.marker, m.seq) for m in marks] == [(42, 0)]
    assert {b.data.shape[1] for b in _of(blocks, StreamKind.EMG)} == {4}
    sensor = pair.context.sensors[0]
    truth = sensor.annotations()["ground_truth"]
    assert [c["label"] for c in truth["cues"]] == ["cue"]
    t_mark_s = (marks[0].device_t_us - sensor.spec.device_t0_us) / 1e6
    assert truth["cues"][0]["t_s"] == pytest.approx(t_mark_s, abs=1e-6)
    assert len(truth["reps"]) == 2  # both sides of one bridge rep
    # EMG packets before the marker end no later than it; the rep starts after it
    assert all(r["glute_onset_s"] > t_mark_s + 0.15 for r in truth["reps"])


def test_annotation_characteristic_holds_ground_truth_json() -> None:
    async def main() -> dict:
        pair = _pair()
        async with BleakClient(ADDRESS, backend=pair.client) as client:
            raw = await client.read_gatt_char(diy_v1.ANNOTATION_CHAR)
        return json.loads(raw)

    value = asyncio.run(main())
    truth = value["ground_truth"]
    assert truth["model"] == "glutesense.virtual.person"
    assert truth["params"]["pattern"] == "glute_first"
    assert truth["device"]["device_t0_us"] == 1_234_567


def test_stop_command_stops_notifications() -> None:
    async def main() -> tuple[int, int]:
        pair = _pair()
        clock = pair.context.clock
        got: list[bytes] = []
        async with BleakClient(ADDRESS, backend=pair.client) as client:
            await client.start_notify(diy_v1.NUS_TX, lambda _c, d: got.append(bytes(d)))
            await client.write_gatt_char(diy_v1.NUS_RX, diy_v1.CMD_START, response=True)
            await clock.sleep(0.5)
            await client.write_gatt_char(diy_v1.NUS_RX, diy_v1.CMD_STOP, response=True)
            n_stop = len(got)
            await clock.sleep(0.5)
            return n_stop, len(got)

    n_stop, n_later = asyncio.run(main())
    assert n_stop > 10
    assert n_later == n_stop


def test_dropped_packets_show_as_sequence_gaps() -> None:
    spec = VirtualSensorSpec(faults=Faults(drop_probability=0.2), params=PersonParams(seed=5))
    pair = _pair(spec)
    blocks = asyncio.run(_stream(pair, 3.0))
    sensor = pair.context.sensors[0]
    seq = np.array([b.seq for b in _of(blocks, StreamKind.EMG)])
    missing = int(np.sum(np.diff(seq) - 1))
    assert sensor.n_dropped > 0
    assert missing > 0
    assert len(blocks) == sensor.n_sent


def test_disconnect_fault_calls_back_and_the_device_comes_back() -> None:
    async def main() -> None:
        spec = VirtualSensorSpec(faults=Faults(disconnect_at_s=0.5, down_s=1.0))
        pair = _pair(spec)
        clock = pair.context.clock
        lost = asyncio.Event()
        got: list[bytes] = []
        client = BleakClient(ADDRESS, disconnected_callback=lambda _c: lost.set(), backend=pair.client)
        await client.connect()
        await client.start_notify(diy_v1.NUS_TX, lambda _c, d: got.append(bytes(d)))
        await client.write_gatt_char(diy_v1.NUS_RX, diy_v1.CMD_START, response=True)
        await asyncio.wait_for(lost.wait(), timeout=5.0)
        assert not client.is_connected
        n_before = len(got)
        with pytest.raises(BleakError, match="out of range"):
            await BleakClient(ADDRESS, backend=pair.client).connect()
        await clock.sleep(1.2)
        again = BleakClient(ADDRESS, backend=pair.client)
        await again.connect()
        await again.start_notify(diy_v1.NUS_TX, lambda _c, d: got.append(bytes(d)))
        await again.write_gatt_char(diy_v1.NUS_RX, diy_v1.CMD_START, response=True)
        await clock.sleep(0.3)
        await again.disconnect()
        dec = diy_v1.DiyV1Decoder()
        emg = [b for p in got for b in dec.decode(0, p) if b.stream is StreamKind.EMG]
        seq = np.array([b.seq for b in emg])
        jumps = np.flatnonzero(np.diff(seq) != 1)
        assert n_before == 20 + 5  # 0.5 s: 20 EMG + 5 IMU packets, then the link dropped
        assert len(jumps) == 1
        t_us = np.array([b.device_t_us for b in emg])
        gap_s = (t_us[jumps[0] + 1] - t_us[jumps[0]]) / 1e6
        assert gap_s == pytest.approx((seq[jumps[0] + 1] - seq[jumps[0]]) * 0.025)
        assert gap_s >= 1.0

    asyncio.run(main())


def test_unknown_address_is_not_found() -> None:
    async def main() -> None:
        with pytest.raises(BleakDeviceNotFoundError):
            await BleakClient("AA:BB:CC:DD:EE:FF", backend=_pair().client).connect()

    asyncio.run(main())


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="profile's order"):
        VirtualSensorSpec(params=PersonParams(emg_roles=BASIC_EMG_ROLES[::-1]))
    with pytest.raises(ValueError, match="unique"):
        VirtualWorld((VirtualSensorSpec(), VirtualSensorSpec()))
    with pytest.raises(ValueError, match="drop_probability"):
        Faults(drop_probability=1.5)


def test_person_follows_the_protocol_posture() -> None:
    spec = VirtualSensorSpec(protocol=Protocol.SINGLE_LEG_STAND)
    blocks = asyncio.run(_stream(_pair(spec), 0.5))
    acc = np.concatenate([b.data for b in _of(blocks, StreamKind.IMU)])[:, :3].mean(axis=0)
    assert acc[0] == pytest.approx(-np.sin(np.radians(70.0)), abs=0.02)
