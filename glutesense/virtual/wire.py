"""How the virtual sensor speaks each device profile: packets, commands, advertised name.

A :class:`Wire` turns the person's samples into the notifications a real device of that
profile sends, using the profile's own encoder (so every virtual packet goes through the
same decoder as a real one), and interprets the commands the host writes.  Wires are
looked up by profile name in :data:`WIRES`; :func:`make_wire` builds one.

============================  =========================================================
profile                       what the virtual device sends
============================  =========================================================
``diy-v1``                    EMG 1000 Hz (25/packet) + IMU 100 Hz (10/packet), counter,
                              device clock, marker echo
``polar-h10``                 accelerometer only, 200 Hz, raw 16-bit frames (10/frame),
                              device ns clock; start/stop on the PMD control point
``ganglion``                  firmware 3: 4 EMG channels at 200 Hz (2/packet, 18-bit),
                              accelerometer bytes at 10 Hz, packet ids
``myo``                       8 EMG pods int8 at 200 Hz on 4 rotating characteristics,
                              IMU 50 Hz; ``set_mode`` starts and stops
``myoware-ble-uart``          one MyoWare's ``env,raw`` ASCII lines (500 Hz, 10/notification),
                              no counter, no clock, streams once subscribed
============================  =========================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Protocol

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.model.records import StreamKind
from glutesense.model.roles import Role
from glutesense.profiles import DeviceProfile, diy_v1, ganglion, get_profile, myo, myoware_ascii, polar_pmd
from glutesense.virtual.params import DEFAULT_EMG_ROLES

Notification = tuple[int, bytes]  # (index in the profile's notify_chars, payload)

SIM_ANNOTATION_CHAR = diy_v1.ANNOTATION_CHAR
"""Readable JSON characteristic every virtual device carries (ground truth)."""

MYO_SIM_UV_PER_COUNT = 8.0
"""The virtual Myo's (made-up) gain: µV at the skin per int8 count."""


class Action(Enum):
    """What a host command asks of the device."""

    NONE = "none"
    START = "start"
    STOP = "stop"
    MARKER = "marker"


@dataclass(frozen=True)
class CommandResult:
    """A command's meaning, and any answers the device notifies back."""

    action: Action = Action.NONE
    marker_id: int = 0
    label: str = ""
    replies: tuple[Notification, ...] = ()


@dataclass(frozen=True)
class PacketStream:
    """One packet stream of a device: which person stream drives it, rate, samples per packet."""

    kind: StreamKind
    fs_hz: float
    per_packet: int

    @property
    def period_s(self) -> float:
        return self.per_packet / self.fs_hz


class SampleSource(Protocol):
    """What a wire pulls samples from (the virtual sensor)."""

    def emg(self, n_samples: int) -> FloatArray:
        """Next EMG samples of the device's channels, ``(n_samples, n_channels)``, µV."""
        ...

    def imu(self, n_samples: int) -> FloatArray:
        """Next IMU samples, ``(n_samples, 6)``: acc g, gyr deg/s."""
        ...

    def device_t_us(self, t_s: float) -> int:
        """The u32 device clock (µs) at device time ``t_s``."""
        ...

    def device_t_ns(self, t_s: float) -> int:
        """A 64-bit device clock (ns) at device time ``t_s``."""
        ...


class Wire(Protocol):
    """The device side of one profile."""

    profile: DeviceProfile
    default_name: str
    n_emg_channels: int | None  # fixed by the hardware, or None: as many as roles given

    def streams(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[PacketStream, ...]: ...
    def rates(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[float, float]: ...
    def packet(
        self, stream: PacketStream, index: int, t_first_s: float, src: SampleSource
    ) -> tuple[Notification, ...]: ...
    def command(self, char_uuid: str, data: bytes) -> CommandResult: ...
    def marker(self, marker_id: int, index: int, t_s: float, src: SampleSource) -> Notification | None: ...
    @property
    def starts_on_subscribe(self) -> bool: ...


# ------------------------------------------------------------------- diy-v1
@dataclass
class DiyV1Wire:
    """diy-v1 (see ``firmware_notes/diy-v1.md``)."""

    seq_start: int = 0
    emg_per_packet: int = 25
    imu_per_packet: int = 10
    profile: DeviceProfile = field(default=diy_v1.PROFILE, init=False)
    default_name: str = field(default="GluteSense-SIM", init=False)
    n_emg_channels: int | None = field(default=None, init=False)

    @property
    def starts_on_subscribe(self) -> bool:
        return False

    def rates(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[float, float]:
        return emg_fs_hz, imu_fs_hz

    def streams(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[PacketStream, ...]:
        return (
            PacketStream(StreamKind.EMG, emg_fs_hz, self.emg_per_packet),
            PacketStream(StreamKind.IMU, imu_fs_hz, self.imu_per_packet),
        )

    def packet(
        self, stream: PacketStream, index: int, t_first_s: float, src: SampleSource
    ) -> tuple[Notification, ...]:
        n = stream.per_packet
        values = src.emg(n) if stream.kind is StreamKind.EMG else src.imu(n)
        counts, saturated = diy_v1.to_counts(values, stream.kind)
        pkt = diy_v1.Packet(
            stream.kind,
            self.seq_start + index,
            src.device_t_us(t_first_s),
            int(stream.fs_hz),
            counts,
            flags=diy_v1.FLAG_SATURATED if saturated else 0,
        )
        return ((0, diy_v1.encode(pkt)),)

    def command(self, char_uuid: str, data: bytes) -> CommandResult:
        if char_uuid != diy_v1.NUS_RX or not data:
            return CommandResult()
        if data[:1] == diy_v1.CMD_START:
            return CommandResult(Action.START)
        if data[:1] == diy_v1.CMD_STOP:
            return CommandResult(Action.STOP)
        if data[0] == diy_v1.CMD_MARKER and len(data) >= 3:
            (marker_id,) = diy_v1.MARKER.unpack_from(data, 1)
            return CommandResult(Action.MARKER, marker_id, data[3:].decode("utf-8", errors="replace"))
        return CommandResult()

    def marker(self, marker_id: int, index: int, t_s: float, src: SampleSource) -> Notification | None:
        pkt = diy_v1.Packet(
            StreamKind.MARK,
            self.seq_start + index,
            src.device_t_us(t_s),
            0,
            np.zeros((0, 0), np.int16),
            marker=marker_id,
        )
        return (0, diy_v1.encode(pkt))


def _diy(seq_start: int = 0, emg_per_packet: int = 25, imu_per_packet: int = 10) -> Wire:
    return DiyV1Wire(seq_start, emg_per_packet, imu_per_packet)


# ------------------------------------------------------------------- Polar
@dataclass
class PolarH10Wire:
    """Polar H10 accelerometer over PMD (raw 16-bit frames, mG, device ns clock)."""

    per_frame: int = 10
    profile: DeviceProfile = field(default=polar_pmd.PROFILE_H10, init=False)
    default_name: str = field(default="Polar H10 5A1E0002", init=False)
    n_emg_channels: int | None = field(default=0, init=False)

    @property
    def starts_on_subscribe(self) -> bool:
        return False

    def rates(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[float, float]:
        return emg_fs_hz, float(polar_pmd.H10_ACC_SETTINGS[polar_pmd.Setting.SAMPLE_RATE])

    def streams(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[PacketStream, ...]:
        return (PacketStream(StreamKind.IMU, imu_fs_hz, self.per_frame),)

    def packet(
        self, stream: PacketStream, index: int, t_first_s: float, src: SampleSource
    ) -> tuple[Notification, ...]:
        acc_mg = np.rint(src.imu(stream.per_packet)[:, :3] / polar_pmd.MG_TO_G)
        t_last_s = t_first_s + (stream.per_packet - 1) / stream.fs_hz
        frame = polar_pmd.encode_raw_frame(polar_pmd.Measurement.ACC, src.device_t_ns(t_last_s), acc_mg, 1)
        return ((polar_pmd.CHAR_DATA, frame),)

    def command(self, char_uuid: str, data: bytes) -> CommandResult:
        if char_uuid != polar_pmd.PMD_CONTROL_POINT or len(data) < 2:
            return CommandResult()
        measurement = polar_pmd.Measurement(data[1]) if data[1] in set(polar_pmd.Measurement) else None
        if measurement is not polar_pmd.Measurement.ACC:
            status = 3  # not supported
            return CommandResult(
                replies=((polar_pmd.CHAR_CONTROL_POINT, bytes([0xF0, data[0], data[1], status, 0])),)
            )
        if data[0] == polar_pmd.OP_START:
            reply = polar_pmd.start_response(measurement)
            return CommandResult(Action.START, replies=((polar_pmd.CHAR_CONTROL_POINT, reply),))
        if data[0] == polar_pmd.OP_STOP:
            reply = bytes([polar_pmd.CP_RESPONSE, polar_pmd.OP_STOP, int(measurement), 0, 0])
            return CommandResult(Action.STOP, replies=((polar_pmd.CHAR_CONTROL_POINT, reply),))
        return CommandResult()

    def marker(self, marker_id: int, index: int, t_s: float, src: SampleSource) -> Notification | None:
        return None


# ---------------------------------------------------------------- Ganglion
@dataclass
class GanglionWire:
    """OpenBCI Ganglion firmware 3, accelerometer on: 18-bit packets 255, 0, 1, ... 99, 0, ..."""

    profile: DeviceProfile = field(default=ganglion.PROFILE, init=False)
    default_name: str = field(default="Ganglion-5A1E", init=False)
    n_emg_channels: int | None = field(default=ganglion.N_CHANNELS, init=False)
    _axes: tuple[int, int, int] = field(default=(0, 0, 0), init=False, repr=False)

    @property
    def starts_on_subscribe(self) -> bool:
        return False

    def rates(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[float, float]:
        return ganglion.FS_HZ, ganglion.ACC_FS_HZ

    def streams(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[PacketStream, ...]:
        return (PacketStream(StreamKind.EMG, ganglion.FS_HZ, 2),)

    def packet(
        self, stream: PacketStream, index: int, t_first_s: float, src: SampleSource
    ) -> tuple[Notification, ...]:
        pid = ganglion.ID_FW3_FIRST_18BIT if index == 0 else (index - 1) % 100
        position = 99 if index == 0 else pid
        axis = position % 10 - 1
        if axis == 0:
            acc = src.imu(1)[0, :3] / ganglion.ACC_G_PER_COUNT
            x, y, z = (int(v) for v in np.clip(np.rint(acc), -128, 127))
            self._axes = (x, y, z)
        accel = self._axes[axis] if axis in (0, 1, 2) else 0
        counts = np.rint(src.emg(2) / ganglion.EMG_UV_PER_COUNT)
        return ((0, ganglion.encode_fw3(pid, counts, accel)),)

    def command(self, char_uuid: str, data: bytes) -> CommandResult:
        if char_uuid != ganglion.SEND_CHAR:
            return CommandResult()
        if data == ganglion.CMD_START:
            return CommandResult(Action.START)
        if data == ganglion.CMD_STOP:
            return CommandResult(Action.STOP)
        return CommandResult()

    def marker(self, marker_id: int, index: int, t_s: float, src: SampleSource) -> Notification | None:
        return None


# -------------------------------------------------------------------- Myo
@dataclass
class MyoWire:
    """Thalmic Myo: EMG on four rotating characteristics (2 samples each), IMU at 50 Hz."""

    profile: DeviceProfile = field(default=myo.PROFILE, init=False)
    default_name: str = field(default="Myo 5A1E", init=False)
    n_emg_channels: int | None = field(default=myo.N_EMG, init=False)

    @property
    def starts_on_subscribe(self) -> bool:
        return False

    def rates(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[float, float]:
        return myo.EMG_FS_HZ, myo.IMU_FS_HZ

    def streams(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[PacketStream, ...]:
        return (
            PacketStream(StreamKind.EMG, myo.EMG_FS_HZ, 2),
            PacketStream(StreamKind.IMU, myo.IMU_FS_HZ, 1),
        )

    def packet(
        self, stream: PacketStream, index: int, t_first_s: float, src: SampleSource
    ) -> tuple[Notification, ...]:
        if stream.kind is StreamKind.EMG:
            counts = np.rint(src.emg(2) / MYO_SIM_UV_PER_COUNT)
            return ((index % len(myo.EMG_DATA_CHARS), myo.encode_emg(counts)),)
        v = src.imu(1)[0]
        sample = myo.ImuSample((1.0, 0.0, 0.0, 0.0), (v[0], v[1], v[2]), (v[3], v[4], v[5]))
        return ((myo.CHAR_IMU, myo.encode_imu(sample)),)

    def command(self, char_uuid: str, data: bytes) -> CommandResult:
        if char_uuid != myo.COMMAND_CHAR or len(data) < 3 or data[0] != myo.CMD_SET_MODE:
            return CommandResult()
        return CommandResult(Action.START if data[2] != myo.EMG_MODE_NONE else Action.STOP)

    def marker(self, marker_id: int, index: int, t_s: float, src: SampleSource) -> Notification | None:
        return None


# ---------------------------------------------------------------- MyoWare
@dataclass
class MyoWareWire:
    """One MyoWare 2.0 on the Wireless Shield, official BLE UART example: ``env,raw`` lines."""

    fs_hz: float = 500.0
    lines_per_notification: int = 10
    profile: DeviceProfile = field(default=myoware_ascii.PROFILE, init=False)
    default_name: str = field(default="MyoW1", init=False)
    n_emg_channels: int | None = field(default=1, init=False)
    _env: float = field(default=0.0, init=False, repr=False)

    @property
    def starts_on_subscribe(self) -> bool:
        return True

    def rates(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[float, float]:
        return self.fs_hz, imu_fs_hz

    def streams(self, emg_fs_hz: float, imu_fs_hz: float) -> tuple[PacketStream, ...]:
        return (PacketStream(StreamKind.EMG, self.fs_hz, self.lines_per_notification),)

    def packet(
        self, stream: PacketStream, index: int, t_first_s: float, src: SampleSource
    ) -> tuple[Notification, ...]:
        raw = src.emg(stream.per_packet)[:, 0] / myoware_ascii.RAW_UV_PER_COUNT
        env = np.empty_like(raw)
        alpha = 1.0 - np.exp(-1.0 / (0.05 * self.fs_hz))  # ~50 ms rectify-and-smooth
        for i, r in enumerate(np.abs(raw)):
            self._env += alpha * (r - self._env)
            env[i] = 4.0 * self._env
        span = myoware_ascii.ADC_MAX_COUNTS  # the converter clips, as the real shield's does
        return ((0, myoware_ascii.format_lines(np.clip(raw, -span, span), np.clip(env, 0, span))),)

    def command(self, char_uuid: str, data: bytes) -> CommandResult:
        return CommandResult()

    def marker(self, marker_id: int, index: int, t_s: float, src: SampleSource) -> Notification | None:
        return None


WireFactory = Callable[..., Wire]

WIRES: Mapping[str, WireFactory] = MappingProxyType(
    {
        "diy-v1": _diy,
        "polar-h10": lambda **_: PolarH10Wire(),
        "ganglion": lambda **_: GanglionWire(),
        "myo": lambda **_: MyoWire(),
        "myoware-ble-uart": lambda **_: MyoWareWire(),
    }
)
"""Profiles the virtual sensor can speak, by profile name."""

DEFAULT_SIM_ROLES: Mapping[str, tuple[Role, ...]] = MappingProxyType(
    {
        "ganglion": tuple(c.role for c in ganglion.EMG_CHANNELS if c.role is not None),
        "myo": DEFAULT_EMG_ROLES,
        "myoware-ble-uart": (Role.GLUTE_MAX_L,),
        "polar-h10": (),
    }
)
"""Which of the person's muscles each virtual device's EMG channels carry, in channel order
(diy-v1: all the person's roles, in the profile's order)."""


def make_wire(
    profile: str, *, seq_start: int = 0, emg_per_packet: int = 25, imu_per_packet: int = 10
) -> Wire:
    """The wire for ``profile``; ``ValueError`` names the profiles the virtual sensor speaks."""
    factory = WIRES.get(profile)
    if factory is None:
        get_profile(profile)  # an unknown name gets the registry's message
        raise ValueError(f"the virtual sensor cannot speak {profile!r} (it speaks: {', '.join(WIRES)})")
    return factory(seq_start=seq_start, emg_per_packet=emg_per_packet, imu_per_packet=imu_per_packet)
