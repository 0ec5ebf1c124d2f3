"""Polar H10 and Verity Sense over PMD: the decoder (frames to core units) and the device profiles.

The wire format (frames, commands, responses) is in :mod:`glutesense.profiles.pmd_wire`; its names
are re-exported here so that a caller needs one import for the Polar devices.  Frames have no packet
counter (``seq`` is None); the device clock is used instead: the decoder reports the device time of
the *first* sample of each frame, in µs.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

import numpy as np

from glutesense.model.records import ChannelSpec, SampleBlock, StreamKind
from glutesense.model.roles import SignalKind
from glutesense.profiles.base import DeviceProfile, MalformedPacket, imu_channels
from glutesense.profiles.pmd_wire import (
    CHAR_CONTROL_POINT,
    CHAR_DATA,
    COMPRESSED_BIT,
    CP_MEASUREMENT_STOPPED,
    CP_RESPONSE,
    CP_STATUS,
    HEADER_SIZE,
    MAX_DELTA_BITS,
    MEASUREMENT_MASK,
    MG_TO_G,
    OP_START,
    OP_STOP,
    PMD_CONTROL_POINT,
    PMD_DATA,
    PMD_SERVICE,
    Measurement,
    PmdFrame,
    Setting,
    encode_raw_frame,
    parse_frame,
    parse_settings,
    start_command,
    start_response,
    stop_command,
)

__all__ = [
    "CHAR_CONTROL_POINT",
    "CHAR_DATA",
    "COMPRESSED_BIT",
    "CP_MEASUREMENT_STOPPED",
    "CP_RESPONSE",
    "CP_STATUS",
    "ECG_CHANNELS",
    "H10_ACC_SETTINGS",
    "H10_ECG_SETTINGS",
    "HEADER_SIZE",
    "MAX_DELTA_BITS",
    "MEASUREMENT_MASK",
    "MG_TO_G",
    "OP_START",
    "OP_STOP",
    "PMD_CONTROL_POINT",
    "PMD_DATA",
    "PMD_SERVICE",
    "PROFILES",
    "PROFILE_H10",
    "PROFILE_H10_ECG",
    "PROFILE_VERITY",
    "VERITY_ACC_SETTINGS",
    "Measurement",
    "PmdFrame",
    "PolarPmdDecoder",
    "Setting",
    "encode_raw_frame",
    "parse_frame",
    "parse_settings",
    "start_command",
    "start_response",
    "stop_command",
]


@dataclass
class PolarPmdDecoder:
    """Stateful PMD decoder: frames to core units, with the device clock at the first sample.

    Parameters
    ----------
    acc_fs_hz, ecg_fs_hz : float
        Nominal sample rates requested by the start commands, Hz.
    acc_range_g : float
        Accelerometer range requested, g; sets the default factor of compressed type-0
        frames (``range / 32768`` g per count) until the device reports its own.
    ecg_enabled : bool
        Whether ECG frames belong to this session (``polar-h10-ecg``); otherwise they are
        reported as malformed rather than passed on as a stream the profile does not declare.

    Notes
    -----
    State kept between packets: the factor from the device's start response, and the
    previous frame's timestamp per measurement.  The interval between samples is taken
    from consecutive timestamps when the frames are adjacent (within 25 % of the nominal
    interval), as the Polar SDK does, and from the nominal rate otherwise (first frame,
    or a frame lost in between).
    """

    acc_fs_hz: float = 200.0
    ecg_fs_hz: float = 130.0
    acc_range_g: float = 8.0
    ecg_enabled: bool = True
    _factor_bits: dict[int, int] = field(default_factory=dict, init=False, repr=False)
    _last_ts_ns: dict[int, int] = field(default_factory=dict, init=False, repr=False)

    def decode(self, char: int, payload: bytes) -> tuple[SampleBlock, ...]:
        """Decode one notification (``char`` 0: data, 1: control point)."""
        if char == CHAR_CONTROL_POINT:
            self._control_point(payload)
            return ()
        if char != CHAR_DATA:
            raise MalformedPacket(f"Polar PMD has no notify characteristic number {char}")
        frame = parse_frame(payload)
        n = frame.counts.shape[0]
        if frame.measurement == Measurement.ECG:
            if not self.ecg_enabled:
                raise MalformedPacket("PMD ECG frame, but this profile records no ECG (use polar-h10-ecg)")
            stream, fs_hz, data = StreamKind.EMG, self.ecg_fs_hz, frame.counts.astype(np.float64)
        else:
            stream, fs_hz = StreamKind.IMU, self.acc_fs_hz
            data = frame.counts.astype(np.float64) * self._acc_scale(frame)
        first_ns = self._first_sample_ns(frame.measurement, frame.timestamp_ns, n, fs_hz)
        device_t_us = None if first_ns is None else first_ns // 1000
        return (SampleBlock(stream, None, device_t_us, fs_hz, data),)

    def _acc_scale(self, frame: PmdFrame) -> float:
        """g per count for an ACC frame."""
        if not frame.compressed:
            return MG_TO_G  # raw ACC frames are in mG
        factor = self._factor(Measurement.ACC)
        if frame.frame_type == 0:  # counts x factor = g
            return factor if factor is not None else self.acc_range_g / 32768.0
        return (factor if factor is not None else 1.0) * MG_TO_G  # counts x factor = mG

    def _factor(self, measurement: int) -> float | None:
        bits = self._factor_bits.get(measurement)
        if bits is None:
            return None
        (value,) = struct.unpack("<f", bits.to_bytes(4, "little"))
        return float(value) if np.isfinite(value) and value > 0.0 else None

    def _first_sample_ns(self, measurement: int, ts_ns: int, n: int, fs_hz: float) -> int | None:
        nominal_ns = 1e9 / fs_hz
        prev = self._last_ts_ns.get(measurement)
        self._last_ts_ns[measurement] = ts_ns
        dt_ns = nominal_ns
        if prev is not None and ts_ns > prev:
            measured = (ts_ns - prev) / n
            if abs(measured - nominal_ns) <= 0.25 * nominal_ns:
                dt_ns = measured
        first = ts_ns - round((n - 1) * dt_ns)
        return first if first >= 0 else None

    def _control_point(self, payload: bytes) -> None:
        if not payload:
            raise MalformedPacket("empty PMD control-point notification")
        if payload[0] == CP_MEASUREMENT_STOPPED:
            return  # the device stopped a stream on its own; the gap shows in the data
        if payload[0] != CP_RESPONSE or len(payload) < 4:
            raise MalformedPacket(f"PMD control-point notification {payload.hex()} is not a response")
        op, measurement, status = payload[1], payload[2] & MEASUREMENT_MASK, payload[3]
        if status != 0:
            reason = CP_STATUS[status] if status < len(CP_STATUS) else f"status {status}"
            raise MalformedPacket(f"Polar refused PMD command {op} for measurement {measurement}: {reason}")
        if op == OP_START and len(payload) > 5:
            factor = parse_settings(payload[5:]).get(Setting.FACTOR)
            if factor:
                self._factor_bits[measurement] = factor[0]


def _acc_channels() -> tuple[ChannelSpec, ...]:
    return imu_channels(MG_TO_G)


# ECG is a biopotential in µV; it travels on the EMG stream with no default role (the H10's
# 130 Hz cannot carry surface EMG).  See docs/profiles.md for why not a separate stream kind.
ECG_CHANNELS = (ChannelSpec("ecg", SignalKind.EMG, None, 1.0),)

H10_ACC_SETTINGS = MappingProxyType({Setting.SAMPLE_RATE: 200, Setting.RESOLUTION: 16, Setting.RANGE: 8})
H10_ECG_SETTINGS = MappingProxyType({Setting.SAMPLE_RATE: 130, Setting.RESOLUTION: 14})
VERITY_ACC_SETTINGS = MappingProxyType(
    {Setting.SAMPLE_RATE: 52, Setting.RESOLUTION: 16, Setting.RANGE: 8, Setting.CHANNELS: 3}
)


def _profile(
    name: str,
    prefix: str,
    starts: tuple[Measurement, ...],
    channels: Mapping[StreamKind, tuple[ChannelSpec, ...]],
    settings: Mapping[Measurement, Mapping[Setting, int]],
    description: str,
) -> DeviceProfile:
    acc_fs = float(settings[Measurement.ACC][Setting.SAMPLE_RATE])
    ecg_fs = float(settings.get(Measurement.ECG, H10_ECG_SETTINGS)[Setting.SAMPLE_RATE])
    return DeviceProfile(
        name=name,
        service_uuids=(PMD_SERVICE,),
        name_prefixes=(prefix,),
        notify_chars=(PMD_DATA, PMD_CONTROL_POINT),
        control_char=PMD_CONTROL_POINT,
        start_commands=tuple(start_command(m, settings[m]) for m in starts),
        stop_commands=tuple(stop_command(m) for m in starts),
        channels=channels,
        new_decoder=partial(
            PolarPmdDecoder, acc_fs_hz=acc_fs, ecg_fs_hz=ecg_fs, ecg_enabled=Measurement.ECG in starts
        ),
        has_device_clock=True,
        description=description,
        extra={"seq": "none (no packet counter); loss shows in the device clock"},
    )


PROFILE_H10 = _profile(
    "polar-h10",
    "Polar H10",
    (Measurement.ACC,),
    {StreamKind.IMU: _acc_channels()},
    {Measurement.ACC: H10_ACC_SETTINGS},
    "Polar H10 accelerometer over PMD (200 Hz, ±8 g, device ns clock)",
)
PROFILE_H10_ECG = _profile(
    "polar-h10-ecg",
    "Polar H10",
    (Measurement.ACC, Measurement.ECG),
    {StreamKind.IMU: _acc_channels(), StreamKind.EMG: ECG_CHANNELS},
    {Measurement.ACC: H10_ACC_SETTINGS, Measurement.ECG: H10_ECG_SETTINGS},
    "Polar H10 accelerometer plus ECG (130 Hz, µV, no default role) over PMD",
)
PROFILE_VERITY = _profile(
    "polar-verity-sense",
    "Polar Sense",
    (Measurement.ACC,),
    {StreamKind.IMU: _acc_channels()},
    {Measurement.ACC: VERITY_ACC_SETTINGS},
    "Polar Verity Sense accelerometer over PMD (52 Hz, ±8 g, delta frames, device ns clock)",
)

PROFILES = (PROFILE_H10, PROFILE_H10_ECG, PROFILE_VERITY)
