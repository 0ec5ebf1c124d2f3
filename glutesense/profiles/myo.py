"""Thalmic Labs Myo armband: 8 EMG channels at 200 Hz (int8) and an IMU at 50 Hz.

GATT layout from ``myohw.h`` (``thalmiclabs/myo-bluetooth``): 128-bit UUIDs
``d506XXXX-a904-deb9-4748-2c7f4a124842``, with ``XXXX`` the 16-bit id below.

* EMG: four notify characteristics (0x0105, 0x0205, 0x0305, 0x0405); each notification
  is ``myohw_emg_data_t``: two consecutive samples of 8 channels, ``int8``, 16 bytes.
  The four characteristics take turns (0, 1, 2, 3, 0, ...), so 4 x 50 Hz x 2 = 200 Hz.
* IMU: notify characteristic 0x0402, ``myohw_imu_data_t``: ``int16`` little-endian
  orientation quaternion w, x, y, z (/16384), accelerometer x, y, z (/2048 g) and
  gyroscope x, y, z (/16 deg/s), 20 bytes, 50 Hz.
* Commands: written to 0x0401.  ``set_mode`` is ``[0x01, 3, emg_mode, imu_mode,
  classifier_mode]``; glutesense asks for raw (unfiltered) EMG ``0x03`` and IMU data
  ``0x01`` with the classifier off, after ``set_sleep_mode`` never-sleep ``[0x09, 1, 1]``.

The Myo has no device clock in its data and no packet counter.  The decoder unwraps the
EMG characteristic's position in the 0-1-2-3 cycle into the project's 16-bit packet
counter (``seq``), which exposes up to three consecutive lost EMG notifications (four
lost in a row alias to a repeat); IMU blocks have ``seq`` None.

EMG values are the armband's uncalibrated 8-bit counts: Thalmic never published a
volts-per-count figure, so the channel scale is 1.0 "µV-equivalent" per count and only
relative amplitudes (onset against the resting baseline) are meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from glutesense.model.records import ChannelSpec, SampleBlock, StreamKind
from glutesense.model.roles import SignalKind
from glutesense.profiles.base import DeviceProfile, MalformedPacket, imu_channels
from glutesense.profiles.ganglion import PacketCounter


def myo_uuid(short_id: int) -> str:
    """The full 128-bit UUID string of Myo attribute ``short_id`` (e.g. 0x0105)."""
    return f"d506{short_id:04x}-a904-deb9-4748-2c7f4a124842"


CONTROL_SERVICE = myo_uuid(0x0001)
COMMAND_CHAR = myo_uuid(0x0401)
IMU_DATA_CHAR = myo_uuid(0x0402)
EMG_DATA_CHARS = tuple(myo_uuid(0x0105 + 0x0100 * k) for k in range(4))

CMD_SET_MODE = 0x01
CMD_SET_SLEEP_MODE = 0x09
EMG_MODE_NONE = 0x00
EMG_MODE_FILTERED = 0x02
EMG_MODE_RAW = 0x03
IMU_MODE_NONE = 0x00
IMU_MODE_DATA = 0x01
CLASSIFIER_OFF = 0x00
SLEEP_NORMAL = 0x00
SLEEP_NEVER = 0x01

EMG_FS_HZ = 200.0
IMU_FS_HZ = 50.0
EMG_PACKET_SIZE = 16
IMU_PACKET_SIZE = 20
N_EMG = 8
EMG_SEQ_MODULUS = len(EMG_DATA_CHARS)

EMG_SCALE = 1.0  # uncalibrated counts, see the module docstring
ORIENTATION_PER_COUNT = 1.0 / 16384.0
ACC_G_PER_COUNT = 1.0 / 2048.0
GYR_DPS_PER_COUNT = 1.0 / 16.0

CHAR_IMU = len(EMG_DATA_CHARS)  # notify index of the IMU characteristic


def set_mode_command(emg_mode: int, imu_mode: int, classifier_mode: int = CLASSIFIER_OFF) -> bytes:
    """``myohw_command_set_mode_t``: header ``[0x01, 3]`` then the three modes."""
    return bytes([CMD_SET_MODE, 3, emg_mode, imu_mode, classifier_mode])


def set_sleep_mode_command(sleep_mode: int) -> bytes:
    """``myohw_command_set_sleep_mode_t``: ``[0x09, 1, mode]``."""
    return bytes([CMD_SET_SLEEP_MODE, 1, sleep_mode])


@dataclass(frozen=True)
class ImuSample:
    """One decoded ``myohw_imu_data_t`` in physical units.

    Attributes
    ----------
    orientation : tuple of float
        Unit quaternion ``(w, x, y, z)``.
    acc_g : tuple of float
        Accelerometer x, y, z, g.
    gyr_dps : tuple of float
        Gyroscope x, y, z, deg/s.
    """

    orientation: tuple[float, float, float, float]
    acc_g: tuple[float, float, float]
    gyr_dps: tuple[float, float, float]


def parse_emg(payload: bytes) -> npt.NDArray[np.int8]:
    """``myohw_emg_data_t`` as int8 counts, shape (2, 8); raise :class:`MalformedPacket`."""
    if len(payload) != EMG_PACKET_SIZE:
        raise MalformedPacket(f"Myo EMG notification has {len(payload)} bytes, expected {EMG_PACKET_SIZE}")
    return np.frombuffer(payload, dtype=np.int8).reshape(2, N_EMG)


def parse_imu(payload: bytes) -> ImuSample:
    """``myohw_imu_data_t`` in physical units; raise :class:`MalformedPacket`."""
    if len(payload) != IMU_PACKET_SIZE:
        raise MalformedPacket(f"Myo IMU notification has {len(payload)} bytes, expected {IMU_PACKET_SIZE}")
    v = np.frombuffer(payload, dtype="<i2").astype(np.float64)
    w, x, y, z = (float(c) * ORIENTATION_PER_COUNT for c in v[0:4])
    ax, ay, az = (float(c) * ACC_G_PER_COUNT for c in v[4:7])
    gx, gy, gz = (float(c) * GYR_DPS_PER_COUNT for c in v[7:10])
    return ImuSample((w, x, y, z), (ax, ay, az), (gx, gy, gz))


def encode_emg(counts: npt.ArrayLike) -> bytes:
    """``myohw_emg_data_t`` from int8 counts, shape (2, 8) (clipped to -128..127)."""
    c = np.clip(np.asarray(counts, dtype=np.int64).reshape(2, N_EMG), -128, 127)
    return c.astype(np.int8).tobytes()


def encode_imu(sample: ImuSample) -> bytes:
    """``myohw_imu_data_t`` from physical units (rounded, clipped to int16)."""
    scaled = np.array(
        [
            *(v / ORIENTATION_PER_COUNT for v in sample.orientation),
            *(v / ACC_G_PER_COUNT for v in sample.acc_g),
            *(v / GYR_DPS_PER_COUNT for v in sample.gyr_dps),
        ]
    )
    return np.clip(np.rint(scaled), -32768, 32767).astype("<i2").tobytes()


@dataclass
class MyoDecoder:
    """Myo decoder: EMG (chars 0-3) and IMU (char 4) notifications to core units.

    Its only state is the EMG packet counter unwrapped from the characteristic cycle.
    """

    _counter: PacketCounter = field(
        default_factory=lambda: PacketCounter(EMG_SEQ_MODULUS), init=False, repr=False
    )

    def decode(self, char: int, payload: bytes) -> tuple[SampleBlock, ...]:
        """Decode one notification from notify characteristic number ``char``."""
        if 0 <= char < CHAR_IMU:
            counts = parse_emg(payload)
            seq, _ = self._counter.step(char)
            data = counts.astype(np.float64) * EMG_SCALE
            return (SampleBlock(StreamKind.EMG, seq, None, EMG_FS_HZ, data),)
        if char == CHAR_IMU:
            imu = parse_imu(payload)
            data = np.array([imu.acc_g + imu.gyr_dps], dtype=np.float64)
            return (SampleBlock(StreamKind.IMU, None, None, IMU_FS_HZ, data),)
        raise MalformedPacket(f"Myo has no notify characteristic number {char}")


EMG_CHANNELS = tuple(ChannelSpec(f"emg{k}", SignalKind.EMG, None, EMG_SCALE) for k in range(N_EMG))
IMU_CHANNELS = imu_channels(ACC_G_PER_COUNT, GYR_DPS_PER_COUNT)

PROFILE = DeviceProfile(
    name="myo",
    service_uuids=(CONTROL_SERVICE,),
    name_prefixes=("Myo",),
    notify_chars=(*EMG_DATA_CHARS, IMU_DATA_CHAR),
    control_char=COMMAND_CHAR,
    start_commands=(
        set_sleep_mode_command(SLEEP_NEVER),
        set_mode_command(EMG_MODE_RAW, IMU_MODE_DATA),
    ),
    stop_commands=(
        set_mode_command(EMG_MODE_NONE, IMU_MODE_NONE),
        set_sleep_mode_command(SLEEP_NORMAL),
    ),
    channels={StreamKind.EMG: EMG_CHANNELS, StreamKind.IMU: IMU_CHANNELS},
    new_decoder=MyoDecoder,
    has_device_clock=False,
    description=(
        "Thalmic Myo armband worn on the thigh: 8 EMG pods at 200 Hz (uncalibrated int8 counts), "
        "IMU at 50 Hz; no device clock: timing from arrival only.  EMG pods have no default role: "
        "map the pod over the hamstrings with --map (a thigh band cannot reach the glutes)"
    ),
    extra={
        "seq": "16-bit counter unwrapped from the EMG characteristic cycle 0-1-2-3",
        "emg_unit": "counts",
    },
)
