"""Myo armband decoder against ``iomz/dl-myo`` vectors and ``thalmiclabs/myo-bluetooth`` myohw.h.

Published vectors: ``iomz/dl-myo`` ``tests/test_myo/test_types.py`` (``test_emg_data``,
``test_imu_data``); UUID base and commands: ``thalmiclabs/myo-bluetooth`` ``myohw.h``.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from glutesense.model.records import StreamKind
from glutesense.model.roles import Role
from glutesense.profiles import get_profile
from glutesense.profiles.base import MalformedPacket
from glutesense.profiles.myo import (
    CHAR_IMU,
    COMMAND_CHAR,
    EMG_DATA_CHARS,
    EMG_MODE_RAW,
    IMU_DATA_CHAR,
    IMU_MODE_DATA,
    MyoDecoder,
    parse_imu,
    set_mode_command,
)

# test_types.py::test_emg_data: notification -> sample1 + sample2 (int8)
EMG_VECTORS = [
    ("090d01fefefefa0206e9fcfdfcfe0502", (9, 13, 1, -2, -2, -2, -6, 2, 6, -23, -4, -3, -4, -2, 5, 2)),
    ("fe0200ff0000ff0304110000fefe0304", (-2, 2, 0, -1, 0, 0, -1, 3, 4, 17, 0, 0, -2, -2, 3, 4)),
    ("05fe00000204151ef2f3fffe02fc01ed", (5, -2, 0, 0, 2, 4, 21, 30, -14, -13, -1, -2, 2, -4, 1, -19)),
    ("021100fe00fdfd0504ff020100040801", (2, 17, 0, -2, 0, -3, -3, 5, 4, -1, 2, 1, 0, 4, 8, 1)),
    ("fffbfd00ff000001ff00fffffefcfe08", (-1, -5, -3, 0, -1, 0, 0, 1, -1, 0, -1, -1, -2, -4, -2, 8)),
]
# test_types.py::test_imu_data: (w, x, y, z, [acc g], [gyro deg/s])
IMU_VECTORS = [
    (
        "3e2eab2be5f824004e01bd0757000300f5fffcff",
        (0.7225341796875, 0.68231201171875, -0.11102294921875, 0.002197265625),
        (0.1630859375, 0.96728515625, 0.04248046875),
        (0.1875, -0.6875, -0.25),
    ),
    (
        "0a2ee12be5f810005b01c6075300f1ff0400f7ff",
        (0.7193603515625, 0.68560791015625, -0.11102294921875, 0.0009765625),
        (0.16943359375, 0.9716796875, 0.04052734375),
        (-0.9375, 0.25, -0.5625),
    ),
    (
        "5c2d9e2c23f99cff03fc1a06eaf94900feffe3ff",
        (0.708740234375, 0.6971435546875, -0.10723876953125, -0.006103515625),
        (-0.49853515625, 0.7626953125, -0.7607421875),
        (4.5625, -0.125, -1.8125),
    ),
]


@pytest.mark.parametrize(("hexdata", "values"), EMG_VECTORS)
@pytest.mark.parametrize("char", range(4))
def test_emg_published(hexdata: str, values: tuple[int, ...], char: int) -> None:
    (block,) = MyoDecoder().decode(char, bytes.fromhex(hexdata))
    assert block.stream is StreamKind.EMG
    assert block.fs_hz == 200.0
    assert block.seq == char  # a fresh decoder starts its counter at the cycle position
    assert block.device_t_us is None
    assert block.data.shape == (2, 8)
    assert block.data.ravel().tolist() == list(values)


@pytest.mark.parametrize(("hexdata", "quat", "acc", "gyr"), IMU_VECTORS)
def test_imu_published(
    hexdata: str, quat: tuple[float, ...], acc: tuple[float, ...], gyr: tuple[float, ...]
) -> None:
    imu = parse_imu(bytes.fromhex(hexdata))
    assert imu.orientation == quat
    assert imu.acc_g == acc
    assert imu.gyr_dps == gyr
    (block,) = MyoDecoder().decode(CHAR_IMU, bytes.fromhex(hexdata))
    assert block.stream is StreamKind.IMU
    assert block.fs_hz == 50.0
    assert block.data.tolist() == [list(acc + gyr)]


def test_int8_and_int16_boundaries() -> None:
    (emg,) = MyoDecoder().decode(0, bytes([0x7F, 0x80, 0xFF, 0x00] * 4))
    assert emg.data[0, :4].tolist() == [127.0, -128.0, -1.0, 0.0]
    imu = parse_imu(bytes(8) + bytes.fromhex("ff7f0080ffff") + bytes.fromhex("ff7f0080ffff"))
    assert imu.acc_g == (32767 / 2048, -32768 / 2048, -1 / 2048)
    assert imu.gyr_dps == (32767 / 16, -32768 / 16, -1 / 16)


def test_seq_counts_through_the_characteristic_cycle_and_shows_losses() -> None:
    decoder = MyoDecoder()
    payload = bytes(16)
    seqs = [decoder.decode(char, payload)[0].seq for char in (0, 1, 2, 3, 0, 1, 3, 0, 0)]
    # 2 missing after 1 -> a jump of 2; a repeated 0 -> same seq (duplicate)
    assert seqs == [0, 1, 2, 3, 4, 5, 7, 8, 8]


def test_seq_wraps_at_16_bits() -> None:
    decoder = MyoDecoder()
    seqs = [decoder.decode(k % 4, bytes(16))[0].seq for k in range(65534, 65539)]
    assert seqs == [2, 3, 4, 5, 6]  # starts at the cycle position: counter is relative
    decoder = MyoDecoder()
    last = [decoder.decode(k % 4, bytes(16))[0].seq for k in range(65538)][-3:]
    assert last == [65535, 0, 1]


def test_uuids_follow_myohw_base() -> None:
    # myohw.h MYO_SERVICE_BASE_UUID, little-endian bytes; the 16-bit id goes in bytes 12-13.
    base = bytes(
        [0x42, 0x48, 0x12, 0x4A, 0x7F, 0x2C, 0x48, 0x47, 0xB9, 0xDE, 0x04, 0xA9, 0x00, 0x00, 0x06, 0xD5]
    )

    def full(short_id: int) -> str:
        le = bytearray(base)
        le[12:14] = short_id.to_bytes(2, "little")
        return str(uuid.UUID(bytes=bytes(le[::-1])))

    assert [full(0x0105 + 0x100 * k) for k in range(4)] == list(EMG_DATA_CHARS)
    assert full(0x0402) == IMU_DATA_CHAR
    assert full(0x0401) == COMMAND_CHAR


def test_commands_and_profile() -> None:
    # myohw_command_set_mode_t: command 0x01, payload_size 3, emg 0x03 (raw), imu 0x01, classifier 0
    assert set_mode_command(EMG_MODE_RAW, IMU_MODE_DATA) == bytes([0x01, 0x03, 0x03, 0x01, 0x00])
    profile = get_profile("myo")
    assert profile.start_commands[-1] == bytes([0x01, 0x03, 0x03, 0x01, 0x00])
    assert profile.start_commands[0] == bytes([0x09, 0x01, 0x01])  # never sleep
    assert profile.stop_commands[0] == bytes([0x01, 0x03, 0x00, 0x00, 0x00])
    assert not profile.has_device_clock
    assert "no device clock" in profile.description
    roles = profile.default_roles()
    assert roles == {
        r.value: r for r in (Role.ACC_X, Role.ACC_Y, Role.ACC_Z, Role.GYR_X, Role.GYR_Y, Role.GYR_Z)
    }
    assert profile.notify_chars[CHAR_IMU] == IMU_DATA_CHAR


@pytest.mark.parametrize(
    ("char", "payload"), [(0, bytes(15)), (3, bytes(17)), (4, bytes(19)), (5, bytes(16))]
)
def test_malformed(char: int, payload: bytes) -> None:
    with pytest.raises(MalformedPacket):
        MyoDecoder().decode(char, payload)


def test_emg_values_are_counts() -> None:
    (block,) = MyoDecoder().decode(1, bytes(range(16)))
    np.testing.assert_array_equal(block.data.ravel(), np.arange(16, dtype=float))
