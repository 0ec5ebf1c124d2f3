"""diy-v1 wire format: byte vectors, boundaries, round trips."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glutesense.model.records import StreamKind
from glutesense.profiles import MalformedPacket, diy_v1


def test_emg_packet_byte_vector() -> None:
    # version 1, EMG, flags 0, 2 channels, seq 0xFFFF, t_us 0xFFFFFFFF, 1000 Hz, 2 samples
    p = diy_v1.Packet(
        StreamKind.EMG, 0xFFFF, 0xFFFFFFFF, 1000, np.array([[32767, -32768], [1, -1]], np.int16)
    )
    wire = diy_v1.encode(p)
    assert wire.hex() == "01000002ffffffffffffe8030200ff7f00800100ffff"
    (block,) = diy_v1.DiyV1Decoder().decode(0, wire)
    assert block.seq == 0xFFFF
    assert block.device_t_us == 0xFFFFFFFF
    assert block.fs_hz == 1000.0
    np.testing.assert_array_equal(block.data, [[8191.75, -8192.0], [0.25, -0.25]])


def test_imu_scales() -> None:
    counts = np.array([[4096, -4096, 0, 164, -164, 0]], np.int16)
    wire = diy_v1.encode(diy_v1.Packet(StreamKind.IMU, 7, 1_000_000, 100, counts))
    (block,) = diy_v1.DiyV1Decoder().decode(0, wire)
    np.testing.assert_allclose(block.data, [[1.0, -1.0, 0.0, 10.0, -10.0, 0.0]])
    assert block.stream is StreamKind.IMU


def test_marker_packet_and_command() -> None:
    wire = diy_v1.encode(diy_v1.Packet(StreamKind.MARK, 3, 123456, 0, np.zeros((0, 0), np.int16), marker=513))
    assert wire[-2:] == b"\x01\x02"
    (block,) = diy_v1.DiyV1Decoder().decode(0, wire)
    assert block.marker == 513 and block.device_t_us == 123456 and block.n_samples == 0
    assert diy_v1.marker_command(0x0102, "cue") == b"\x03\x02\x01cue"


def test_counter_wraps_on_the_wire() -> None:
    seqs = []
    for seq in (65534, 65535, 65536, 65537):
        wire = diy_v1.encode(diy_v1.Packet(StreamKind.EMG, seq, 0, 1000, np.zeros((1, 1), np.int16)))
        seqs.append(diy_v1.parse(wire).seq)
    assert seqs == [65534, 65535, 0, 1]


def test_quantization_saturates_and_flags() -> None:
    counts, saturated = diy_v1.to_counts(np.array([[10000.0], [-0.25]]), StreamKind.EMG)
    assert saturated
    assert counts.tolist() == [[32767], [-1]]


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"", "shorter"),
        (bytes(13), "shorter"),
        (bytes([2]) + bytes(13), "version"),
        (bytes([1, 9]) + bytes(12), "stream"),
        (diy_v1.HEADER.pack(1, 0, 0, 2, 0, 0, 1000, 3) + bytes(10), "carries 10 bytes"),
        (diy_v1.HEADER.pack(1, 0, 0, 2, 0, 0, 0, 1) + bytes(4), "0 Hz"),
    ],
)
def test_malformed_packets_are_named(payload: bytes, why: str) -> None:
    with pytest.raises(MalformedPacket, match=why):
        diy_v1.DiyV1Decoder().decode(0, payload)


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(0, 0xFFFF),
    t_us=st.integers(0, 0xFFFFFFFF),
    counts=st.lists(st.lists(st.integers(-32768, 32767), min_size=4, max_size=4), min_size=1, max_size=30),
)
def test_round_trip(seq: int, t_us: int, counts: list[list[int]]) -> None:
    arr = np.array(counts, np.int16)
    p = diy_v1.parse(diy_v1.encode(diy_v1.Packet(StreamKind.EMG, seq, t_us, 1000, arr)))
    assert (p.seq, p.t_us, p.fs_hz) == (seq, t_us, 1000)
    np.testing.assert_array_equal(p.counts, arr)


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=80))
def test_random_bytes_never_raise_anything_else(payload: bytes) -> None:
    with contextlib.suppress(MalformedPacket):
        diy_v1.DiyV1Decoder().decode(0, payload)
