"""Polar PMD decoder against the Polar BLE SDK's published byte vectors, plus our own boundaries.

Published vectors come from ``polarofficial/polar-ble-sdk`` (commit 8fb5311), Android tests under
``sources/Android/android-communications/library/src/test/java/com/polar/androidcommunications/
api/ble/model/gatt/client/pmd/``: ``model/AccDataTest.kt``, ``model/EcgDataTest.kt`` and
``BlePmdClientTest.kt``.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from glutesense.model.records import StreamKind
from glutesense.profiles import get_profile
from glutesense.profiles.base import MalformedPacket
from glutesense.profiles.polar_pmd import (
    CHAR_CONTROL_POINT,
    CHAR_DATA,
    H10_ACC_SETTINGS,
    Measurement,
    PolarPmdDecoder,
    Setting,
    parse_frame,
    parse_settings,
    start_command,
    stop_command,
)

# AccDataTest.kt, "process acc raw data frame type 1": header and content.
ACC_RAW_TYPE1 = bytes.fromhex(
    "02009435770000000001"
    "f7ffffffe703f8fffeffe503f9ffffffe503faffffffe603fafffeffe603f9ffffffe503f8ffffffe603f8fffeffe603"
    "faffffffe503faffffffe703faffffffe503f8ffffffe603f7ffffffe603f8fffeffe603f9fffeffe703f9ff0000e603"
    "f9ffffffe603f7fffeffe503f9ffffffe503f9ffffffe503faff0000e603f9fffeffe603f8ffffffe603f8ffffffe503"
    "f9ffffffe603f9ffffffe503faffffffe603f9ffffffe503f9ffffffe503f8fffeffe603f9ffffffe603f9ffffffe603"
    "f9ff0000e503f9fffeffe603f8fffeffe603f7fffeffe603"
)
# AccDataTest.kt, "process acc compressed data type 0" (frame type 0x80, factor 2.44E-4 g).
ACC_COMPRESSED_TYPE0 = bytes.fromhex(
    "02009435770000000080"
    "7107f06a9e8d0a38be5cbeba2f96b3ee4be5adfb42b9ebbe4cfeba2f92bfee4be4b1fb12b9ecbd3c3ebb2f8fd3de4be3"
    "b5f7d2b8edbd307e7b2f8be3ce8be2baf7a2b8eebc20be7b2f88f3cecbe1bdef52f8efbc18fe3b2f8403bfcbe0c2ef32"
    "b8f0bb044ebc2e8113af0be0c6eff2f7f1b9fc7dbc2e7d279f4bdfcaebc2f7f2b8eccd7c2e7b378f4bdecee392f7f3b8"
    "e00dfd2d774b7fcbddd2df6237f5b7d44dbd2d745b6fcbdcd7d73237f6b5c88d7d2d716b4f4bdcdcd3f236f7b4bcddfd"
    "2c6f7b3f4bdbe0cfd236f8b2b02dbe2c6c8f1fcbdae3c7a276f9"
)
# AccDataTest.kt, "process acc compressed data type 1" (frame type 0x81, timestamp 0x65).
ACC_COMPRESSED_TYPE1 = bytes.fromhex("02650000000000000081f1ff1400f00306017b0f08")
# EcgDataTest.kt, "process raw ecg data type 0".
ECG_RAW_TYPE0 = bytes.fromhex("000094357700000000000280ff028000")
TIMESTAMP_NS = 2_000_000_000  # "00 94 35 77 00 00 00 00" in both tests


def _start_response(measurement: int, params: bytes = b"", status: int = 0) -> bytes:
    """Control-point answer as built by BlePmdClientTest.buildStartMeasurementSuccessResponse."""
    return bytes([0xF0, 0x02, measurement, status, 0x00]) + params


def _factor_param(value: float) -> bytes:
    """FACTOR setting (id 5, count 1, IEEE-754 little-endian), as in BlePmdClientTest."""
    return bytes([Setting.FACTOR, 1]) + struct.pack("<f", value)


# --- published vectors ---------------------------------------------------------------------


def test_acc_raw_type1_published() -> None:
    frame = parse_frame(ACC_RAW_TYPE1)
    assert frame.measurement == Measurement.ACC
    assert frame.timestamp_ns == TIMESTAMP_NS
    assert not frame.compressed
    assert frame.counts.shape == (36, 3)  # 216 bytes / 2 bytes / 3 channels
    assert frame.counts[0].tolist() == [-9, -1, 999]
    assert frame.counts[1].tolist() == [-8, -2, 997]


def test_acc_raw_type1_decodes_to_g_and_first_sample_time() -> None:
    decoder = PolarPmdDecoder(acc_fs_hz=52.0)  # the published test uses 52 Hz
    (block,) = decoder.decode(CHAR_DATA, ACC_RAW_TYPE1)
    assert block.stream is StreamKind.IMU
    assert block.seq is None
    np.testing.assert_allclose(block.data[0], [-0.009, -0.001, 0.999])
    # The frame timestamp is the *last* sample (AccDataTest asserts accSamples.last().timeStamp).
    expected_first_ns = TIMESTAMP_NS - round(35 * 1e9 / 52.0)
    assert block.device_t_us == expected_first_ns // 1000


def test_acc_compressed_type0_published() -> None:
    frame = parse_frame(ACC_COMPRESSED_TYPE0)
    assert frame.compressed
    assert frame.counts.shape == (1 + 56, 3)  # reference sample + 56 deltas
    assert frame.counts[0].tolist() == [1905, 27376, -29282]
    assert frame.counts[1].tolist() == [1905 + 190, 27376 - 105, -29282 - 85]


def test_acc_compressed_type0_uses_factor_from_start_response() -> None:
    factor = 2.44e-4  # g per count, as in AccDataTest
    decoder = PolarPmdDecoder()
    assert decoder.decode(CHAR_CONTROL_POINT, _start_response(2, _factor_param(factor))) == ()
    (block,) = decoder.decode(CHAR_DATA, ACC_COMPRESSED_TYPE0)
    # AccDataTest asserts (factor * count * 1000f).toInt() mG: truncated, so within 1 mG.
    expected_mg = np.trunc(np.float32(factor) * np.array([1905, 27376, -29282]) * np.float32(1000.0))
    np.testing.assert_allclose(block.data[0] * 1000.0, expected_mg, atol=1.0)
    assert np.all(np.abs(block.data) <= 8.0)  # "validate data in range": +-8 g


def test_acc_compressed_type1_published() -> None:
    frame = parse_frame(ACC_COMPRESSED_TYPE1)
    assert frame.timestamp_ns == 0x65
    assert frame.counts.tolist() == [[-15, 20, 1008], [-20, 17, 1008]]
    (block,) = PolarPmdDecoder().decode(CHAR_DATA, ACC_COMPRESSED_TYPE1)
    np.testing.assert_allclose(block.data, [[-0.015, 0.020, 1.008], [-0.020, 0.017, 1.008]])


def test_ecg_raw_type0_published() -> None:
    frame = parse_frame(ECG_RAW_TYPE0)
    assert frame.measurement == Measurement.ECG
    assert frame.counts[:, 0].tolist() == [-32766, 32770]
    (block,) = PolarPmdDecoder().decode(CHAR_DATA, ECG_RAW_TYPE0)
    assert block.stream is StreamKind.EMG
    assert block.fs_hz == 130.0
    assert block.data[:, 0].tolist() == [-32766.0, 32770.0]


def test_factor_response_published_layout() -> None:
    # BlePmdClientTest "success response updates factor": FACTOR(5), count 1, floatToIntBits(2.5f).
    params = _factor_param(2.5)
    assert parse_settings(params) == {5: (0x40200000,)}
    decoder = PolarPmdDecoder()
    decoder.decode(CHAR_CONTROL_POINT, _start_response(2, params))
    (block,) = decoder.decode(CHAR_DATA, ACC_COMPRESSED_TYPE1)
    np.testing.assert_allclose(block.data[0], np.array([-15, 20, 1008]) * 2.5e-3)


def test_device_stop_notification_is_not_an_error() -> None:
    # BlePmdClientTest: "Online Measurement Stopped" 01 then measurement types 01, 02.
    assert PolarPmdDecoder().decode(CHAR_CONTROL_POINT, bytes([0x01, 0x01, 0x02])) == ()


def test_refused_start_is_reported() -> None:
    with pytest.raises(MalformedPacket, match="invalid state"):
        PolarPmdDecoder().decode(CHAR_CONTROL_POINT, _start_response(0, status=12))


def test_unsupported_ecg_frame_types_are_reported() -> None:
    # EcgDataTest.kt "process raw ecg data type 1" (not an H10 format): reported, never guessed.
    with pytest.raises(MalformedPacket, match="not supported"):
        parse_frame(bytes.fromhex("00009435770000000001") + bytes.fromhex("0280ff800200"))


def test_truncated_published_fixture_is_malformed() -> None:
    # AccDataTest.kt measurementFrameAccType0Short: an unused fixture whose first delta block
    # (20 samples of 12 bits) runs past its end; the SDK's arraycopy would throw.
    content = bytes.fromhex(
        "5dff9800fd0f062af2b013eca11b3ec3d0407fcd4071d8f34d00463f087b9fd73aaf3852a613ed3e130991dcfaeeef3e"
        "5410e28f7785eef24c7e04879cfcd22f10fd4feffe21ffc28104035f1345d1084adfbfb551447b50f739a1102e6f18f7"
        "9f1c364d1b0d030c1406d0fef7affffcbffff43f0117f000011000f8dfff00"
    )
    with pytest.raises(MalformedPacket, match="bytes remain"):
        parse_frame(bytes.fromhex("02009435770000000080") + content)


# --- commands ----------------------------------------------------------------------------------


def test_start_and_stop_commands() -> None:
    # 200 Hz, 16 bit, 8 g: [0x02 start, 0x02 ACC, 00 01 c800, 01 01 1000, 02 01 0800].
    assert start_command(Measurement.ACC, H10_ACC_SETTINGS) == bytes.fromhex("02020001c8000101100002010800")
    assert start_command(
        Measurement.ECG, {Setting.SAMPLE_RATE: 130, Setting.RESOLUTION: 14}
    ) == bytes.fromhex("02000001820001010e00")
    assert stop_command(Measurement.ACC) == b"\x03\x02"
    profile = get_profile("polar-h10")
    assert profile.start_commands[0][1] == Measurement.ACC
    assert profile.has_device_clock


# --- our own vectors: boundaries, multi-block delta frames, clock --------------------------------


def _header(measurement: int, ts_ns: int, frame_type: int) -> bytes:
    return bytes([measurement]) + ts_ns.to_bytes(8, "little") + bytes([frame_type])


def _delta_frame(ref: list[int], blocks: list[tuple[int, list[list[int]]]]) -> bytes:
    """Encode a 16-bit delta-compressed frame (reference then blocks of LSB-first deltas)."""
    out = b"".join(struct.pack("<h", v) for v in ref)
    for bits, deltas in blocks:
        stream, n = 0, 0
        for row in deltas:
            for d in row:
                stream |= (d & ((1 << bits) - 1)) << n
                n += bits
        out += bytes([bits, len(deltas)]) + stream.to_bytes((n + 7) // 8, "little")
    return out


def test_delta_frame_round_trip_across_blocks_and_sign_boundaries() -> None:
    blocks = [
        (3, [[3, -4, 0], [-1, 1, 2]]),  # 3-bit extremes: +3, -4
        (16, [[32767, -32768, 1]]),  # full-width deltas
        (0, [[0, 0, 0], [0, 0, 0]]),  # zero-width block: repeated samples
    ]
    ref = [32767, -32768, 0]  # 0x7FFF, 0x8000
    frame = parse_frame(_header(2, 10**9, 0x81) + _delta_frame(ref, blocks))
    expected = np.cumsum(np.array([ref] + [row for _, rows in blocks for row in rows]), axis=0)
    assert frame.counts.tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("raw", "value"),
    [("ffff7f", 0x7FFFFF), ("000080", -0x800000), ("ffffff", -1), ("000000", 0)],
)
def test_ecg_24_bit_boundaries(raw: str, value: int) -> None:
    frame = parse_frame(_header(0, 10**9, 0x00) + bytes.fromhex(raw))
    assert frame.counts[0, 0] == value


def test_first_sample_time_uses_adjacent_frames_and_ignores_gaps() -> None:
    fs = 200.0
    decoder = PolarPmdDecoder(acc_fs_hz=fs)
    n = 10
    content = bytes(6 * n)
    period_ns = 5_005_000  # the device runs 0.1 % slow
    t_last = 10**12
    first = decoder.decode(CHAR_DATA, _header(2, t_last, 0x01) + content)[0]
    assert first.device_t_us == (t_last - round((n - 1) * 1e9 / fs)) // 1000  # nominal at start
    t_next = t_last + n * period_ns
    second = decoder.decode(CHAR_DATA, _header(2, t_next, 0x01) + content)[0]
    assert second.device_t_us == (t_next - (n - 1) * period_ns) // 1000  # measured interval
    t_after_gap = t_next + 3 * n * period_ns  # two frames lost
    third = decoder.decode(CHAR_DATA, _header(2, t_after_gap, 0x01) + content)[0]
    assert third.device_t_us == (t_after_gap - round((n - 1) * 1e9 / fs)) // 1000


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        bytes(9),  # shorter than the header
        _header(2, 0, 0x01),  # raw frame without samples
        _header(2, 0, 0x01) + bytes(5),  # not a multiple of 6 bytes
        _header(2, 0, 0x81) + bytes(5),  # shorter than its reference sample
        _header(2, 0, 0x81) + bytes(6) + b"\x06",  # delta header cut
        _header(2, 0, 0x81) + bytes(6) + b"\x21\x01" + bytes(13),  # 33-bit deltas
        _header(2, 0, 0x09),  # unsupported frame type
        _header(1, 0, 0x00) + bytes(12),  # PPG: unsupported measurement
    ],
)
def test_malformed_frames(payload: bytes) -> None:
    with pytest.raises(MalformedPacket):
        PolarPmdDecoder().decode(CHAR_DATA, payload)
