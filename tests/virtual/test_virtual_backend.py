"""The virtual sensor reached through Bleak's own API (``backend=``), decoded as diy-v1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakDeviceNotFoundError, BleakError

from glutesense.model.records import SampleBlock, StreamKind
from glutesense.model.roles import Protocol
from glutesense.profiles import diy_v1
from glutesense.transport.base import BackendPair
from glutesense.transport.clock import LoopClock, run_in_virtual_time
from glutesense.virtual import BASIC_EMG_ROLES, PersonParams
from glutesense.virtual.backend import VirtualWorld, make_backends
from glutesense.virtual.spec import Faults, VirtualSensorSpec

SPEED = 20.0
ADDRESS = "5A:1E:00:00:00:01"


def _pair(*specs: VirtualSensorSpec) -> BackendPair:
    return make_backends(VirtualWorld(specs or (VirtualSensorSpec(),), clock=LoopClock()))


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

    run_in_virtual_time(main())


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

    run_in_virtual_time(main())


def test_notifications_decode_with_counters_and_device_clock() -> None:
    spec = VirtualSensorSpec(seq_start=65_520, device_t0_us=2**32 - 400_000)  # both wrap within 1 s
    blocks = run_in_virtual_time(_stream(_pair(spec), 2.0))
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
    blocks = run_in_virtual_time(_stream(pair, 3.0, between=mark))
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

    value = run_in_virtual_time(main())
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

    n_stop, n_later = run_in_virtual_time(main())
    assert n_stop > 10
    assert n_later == n_stop


def test_dropped_packets_show_as_sequence_gaps() -> None:
    spec = VirtualSensorSpec(faults=Faults(drop_probability=0.2), params=PersonParams(seed=5))
    pair = _pair(spec)
    blocks = run_in_virtual_time(_stream(pair, 3.0))
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

    run_in_virtual_time(main())


def test_unknown_address_is_not_found() -> None:
    async def main() -> None:
        with pytest.raises(BleakDeviceNotFoundError):
            await BleakClient("AA:BB:CC:DD:EE:FF", backend=_pair().client).connect()

    run_in_virtual_time(main())


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="profile's order"):
        VirtualSensorSpec(params=PersonParams(emg_roles=BASIC_EMG_ROLES[::-1]))
    with pytest.raises(ValueError, match="unique"):
        VirtualWorld((VirtualSensorSpec(), VirtualSensorSpec()))
    with pytest.raises(ValueError, match="drop_probability"):
        Faults(drop_probability=1.5)


def test_person_follows_the_protocol_posture() -> None:
    spec = VirtualSensorSpec(protocol=Protocol.SINGLE_LEG_STAND)
    blocks = run_in_virtual_time(_stream(_pair(spec), 0.5))
    acc = np.concatenate([b.data for b in _of(blocks, StreamKind.IMU)])[:, :3].mean(axis=0)
    assert acc[0] == pytest.approx(-np.sin(np.radians(70.0)), abs=0.02)


# ------------------------------------------------ encoders of the virtual devices
def test_polar_raw_frame_encoder_round_trips() -> None:
    from glutesense.profiles import polar_pmd

    counts = np.array([[0, -1, 32767], [-32768, 1000, -250]])
    frame = polar_pmd.encode_raw_frame(polar_pmd.Measurement.ACC, 599_000_000_000, counts, 1)
    parsed = polar_pmd.parse_frame(frame)
    assert parsed.timestamp_ns == 599_000_000_000 and not parsed.compressed
    np.testing.assert_array_equal(parsed.counts, counts)
    (block,) = polar_pmd.PolarPmdDecoder(acc_fs_hz=200.0).decode(polar_pmd.CHAR_DATA, frame)
    np.testing.assert_allclose(block.data, counts * 1e-3)
    assert block.device_t_us == (599_000_000_000 - 5_000_000) // 1000  # first sample, 5 ms earlier
    assert polar_pmd.start_response(polar_pmd.Measurement.ACC) == bytes([0xF0, 0x02, 0x02, 0x00, 0x00])


@pytest.mark.parametrize("pid", [255, 0, 1, 2, 3, 57, 99, 100, 150, 199])
def test_ganglion_fw3_encoder_round_trips(pid: int) -> None:
    from glutesense.profiles import ganglion

    n_bits = 19 if 100 <= pid < 200 else 18
    step = 1 << (24 - n_bits + 1)  # the firmware keeps the top bits and spends bit 0 on the sign
    counts = np.array([[0x7FFFFF, -0x800000, 12345, -6789], [step, -step, 0, -1]])
    pkt = ganglion.encode_fw3(pid, counts, accel=-3)
    assert len(pkt) == 20 and pkt[0] == pid
    blocks = ganglion.GanglionDecoder(firmware=3).decode(0, pkt)
    got = np.rint(blocks[0].data / ganglion.EMG_UV_PER_COUNT)
    assert np.all(np.abs(got - counts) < step)
    if n_bits == 18:
        assert pkt[19] == 0xFD


def test_myo_encoders_round_trip() -> None:
    from glutesense.profiles import myo

    counts = np.arange(-8, 8).reshape(2, 8) * 16
    counts[0, 0], counts[1, 7] = -128, 127
    (b,) = myo.MyoDecoder().decode(1, myo.encode_emg(counts))
    np.testing.assert_array_equal(b.data, counts)
    imu = myo.ImuSample((1.0, 0.0, -0.5, 0.25), (0.1, -1.0, 0.5), (-200.0, 3.5, 0.0))
    (b,) = myo.MyoDecoder().decode(myo.CHAR_IMU, myo.encode_imu(imu))
    np.testing.assert_allclose(b.data[0], [0.1, -1.0, 0.5, -200.0, 3.5, 0.0], atol=1e-3)


def test_myoware_lines_round_trip() -> None:
    from glutesense.profiles import myoware_ascii

    raw, env = np.array([0, -412, 2047]), np.array([5, 6, 700])
    lines = myoware_ascii.format_lines(raw, env)
    dec = myoware_ascii.MyoWareAsciiDecoder()
    blocks = dec.decode(0, lines[:7]) + dec.decode(0, lines[7:])  # a line split across notifications
    data = np.concatenate([b.data for b in blocks])
    np.testing.assert_allclose(data[:, 0], raw * myoware_ascii.RAW_UV_PER_COUNT)
    np.testing.assert_allclose(data[:, 1], env)


@pytest.mark.parametrize("profile", ["diy-v1", "polar-h10", "ganglion", "myo", "myoware-ble-uart"])
def test_every_wire_packet_decodes_to_the_person_samples(profile: str) -> None:
    """A virtual device's notifications decode, with the profile's own decoder, to what it sampled."""
    from glutesense.profiles import get_profile
    from glutesense.transport.clock import MonotonicClock
    from glutesense.virtual.sensor import VirtualSensor

    sensor = VirtualSensor(VirtualSensorSpec(profile=profile, params=PersonParams(seed=3)), MonotonicClock())
    wire = sensor.wire
    tap: list[tuple[int, np.ndarray, np.ndarray]] = []

    class Tap:
        def emg(self, n: int) -> np.ndarray:
            v = sensor.emg(n)
            tap.append((0, v, np.zeros(0)))
            return v

        def imu(self, n: int) -> np.ndarray:
            v = sensor.imu(n)
            tap.append((1, v, np.zeros(0)))
            return v

        def device_t_us(self, t_s: float) -> int:
            return sensor.device_t_us(t_s)

        def device_t_ns(self, t_s: float) -> int:
            return sensor.device_t_ns(t_s)

    dec = get_profile(profile).new_decoder()
    got: dict[StreamKind, list[np.ndarray]] = {StreamKind.EMG: [], StreamKind.IMU: []}
    for stream in wire.streams(sensor.params.emg_fs_hz, sensor.params.imu_fs_hz):
        for k in range(40):
            for char, payload in wire.packet(stream, k, k * stream.period_s, Tap()):
                for b in dec.decode(char, payload):
                    got[b.stream].append(b.data)
    emg_parts = [v for kind, v, _ in tap if kind == 0]
    sent_emg = np.concatenate(emg_parts) if emg_parts else None
    if sent_emg is not None and got[StreamKind.EMG]:
        out = np.concatenate(got[StreamKind.EMG])
        n = min(len(out), len(sent_emg))
        quantum = {"diy-v1": 0.25, "ganglion": 0.25, "myo": 8.0, "myoware-ble-uart": 4.03}[profile]
        if profile == "myo":
            out = out * 8.0  # the virtual Myo's made-up gain, µV per count
        assert np.max(np.abs(out[:n, : sent_emg.shape[1]] - sent_emg[:n])) <= quantum
    if profile in ("diy-v1", "polar-h10", "myo"):
        sent_imu = np.concatenate([v for kind, v, _ in tap if kind == 1])
        out = np.concatenate(got[StreamKind.IMU])
        n = min(len(out), len(sent_imu))
        assert np.max(np.abs(out[:n, :3] - sent_imu[:n, :3])) <= 1e-3  # acc within 1 mg
