"""Polar Measurement Data (PMD) wire format: frames, control-point commands and responses.

Wire format (from the Polar BLE SDK, ``polarofficial/polar-ble-sdk``, Android sources
``.../gatt/client/pmd/``; see ``docs/profiles.md``).  Every notification on the PMD data
characteristic is one frame::

    offset  size  field
    0       1     measurement type (low 6 bits: 0 = ECG, 2 = ACC, ...)
    1       8     u64 timestamp, ns, device clock at the *last* sample of the frame
    9       1     frame type (bit 7: delta-compressed; low 7 bits: type number)
    10      ...   samples, little-endian

Raw frames carry fixed-width signed samples, sample-major (ACC type 1: 3 x int16, mG;
ECG type 0: 1 x int24, µV).  Delta-compressed frames carry one reference sample (each
channel ``ceil(resolution / 8)`` bytes, signed) then blocks of ``[delta_bits u8][count u8]``
followed by ``count x channels`` deltas of ``delta_bits`` bits each, packed least significant
bit first, two's complement; every sample is the previous one plus its delta.  Compressed
ACC values are multiplied by the *factor* the device returns in its start-measurement
response on the control point (type 0: g per count; type 1: mG per count).

Control point (write, indications): ``[0x02, type, setting...]`` starts a measurement,
``[0x03, type]`` stops it; each setting is ``[id, 1, value (little-endian, 2 or 4 bytes)]``.
The device answers ``[0xF0, op, type, status, more, params...]``.  The decoder reads these
answers when they pass through it (subscribe to both characteristics) to learn the factor.

Frames have no packet counter (``seq`` is None); the device clock is used instead: the
decoder reports the device time of the *first* sample of each frame, in µs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from glutesense.model.arrays import IntArray
from glutesense.profiles.base import MalformedPacket

PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_POINT = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

CHAR_DATA = 0  # index in the profile's notify list
CHAR_CONTROL_POINT = 1

HEADER_SIZE = 10
OP_START = 0x02
OP_STOP = 0x03
CP_RESPONSE = 0xF0
CP_MEASUREMENT_STOPPED = 0x01  # device-initiated: "online measurement stopped"
MEASUREMENT_MASK = 0x3F
COMPRESSED_BIT = 0x80

MG_TO_G = 1e-3


class Measurement(IntEnum):
    """PMD measurement types (low 6 bits of a frame's first byte)."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAGNETOMETER = 6


class Setting(IntEnum):
    """PMD setting ids, as serialized in control-point commands and responses."""

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5


_SETTING_SIZE: Mapping[int, int] = MappingProxyType(
    {
        Setting.SAMPLE_RATE: 2,
        Setting.RESOLUTION: 2,
        Setting.RANGE: 2,
        Setting.RANGE_MILLIUNIT: 4,
        Setting.CHANNELS: 1,
        Setting.FACTOR: 4,
    }
)
_SECURITY_SIZE = 16  # setting id 6, only ever in responses

CP_STATUS = (
    "success",
    "invalid op code",
    "invalid measurement type",
    "not supported",
    "invalid length",
    "invalid parameter",
    "already in state",
    "invalid resolution",
    "invalid sample rate",
    "invalid range",
    "invalid MTU",
    "invalid number of channels",
    "invalid state",
    "device in charger",
    "disk full",
)


@dataclass(frozen=True)
class _Layout:
    """How the samples of one (measurement, compressed, frame type) are packed."""

    channels: int
    resolution_bits: int
    compressed: bool


# (measurement, compressed, frame type) -> layout.  Others are reported as unsupported.
_LAYOUTS: Mapping[tuple[int, bool, int], _Layout] = MappingProxyType(
    {
        (Measurement.ACC, False, 0): _Layout(3, 8, compressed=False),
        (Measurement.ACC, False, 1): _Layout(3, 16, compressed=False),
        (Measurement.ACC, False, 2): _Layout(3, 24, compressed=False),
        (Measurement.ACC, True, 0): _Layout(3, 16, compressed=True),
        (Measurement.ACC, True, 1): _Layout(3, 16, compressed=True),
        (Measurement.ECG, False, 0): _Layout(1, 24, compressed=False),
    }
)
MAX_DELTA_BITS = 32


def start_command(measurement: Measurement, settings: Mapping[Setting, int]) -> bytes:
    """Control-point command starting ``measurement`` with ``settings`` (online streaming).

    Settings are written in ascending id order, as the Polar SDK does with its maximum
    settings.  ``Setting.FACTOR`` is device-chosen and never sent.
    """
    out = bytearray([OP_START, int(measurement)])
    for key in sorted(settings):
        if key is Setting.FACTOR:
            continue
        out += bytes([int(key), 1]) + int(settings[key]).to_bytes(_SETTING_SIZE[key], "little")
    return bytes(out)


def stop_command(measurement: Measurement) -> bytes:
    """Control-point command stopping ``measurement``."""
    return bytes([OP_STOP, int(measurement)])


@dataclass(frozen=True)
class PmdFrame:
    """One PMD data frame in raw counts.

    Attributes
    ----------
    measurement : int
        Measurement type (``Measurement`` value).
    timestamp_ns : int
        Device clock at the last sample of the frame, ns.
    frame_type : int
        Frame type number (without the compression bit).
    compressed : bool
        Whether the frame was delta-compressed.
    counts : ndarray of int64, shape (n_samples, n_channels)
        Samples as integers, before any factor.
    """

    measurement: int
    timestamp_ns: int
    frame_type: int
    compressed: bool
    counts: IntArray


def _signed(values: IntArray, bits: int) -> IntArray:
    """Two's-complement sign extension of unsigned ``bits``-wide integers."""
    if bits == 0:
        return values
    half = np.int64(1) << (bits - 1)
    return np.where(values >= half, values - (half << 1), values)


def _read_fixed(content: bytes, layout: _Layout) -> IntArray:
    width = layout.resolution_bits // 8
    step = width * layout.channels
    if not content or len(content) % step:
        raise MalformedPacket(
            f"PMD raw frame content of {len(content)} bytes is not a positive multiple of {step} "
            f"({layout.channels} channels x {width} bytes)"
        )
    raw = np.frombuffer(content, dtype=np.uint8).reshape(-1, width).astype(np.int64)
    weights = np.int64(1) << (8 * np.arange(width, dtype=np.int64))
    values = _signed(raw @ weights, layout.resolution_bits)
    return values.reshape(-1, layout.channels)


def _read_delta_frames(content: bytes, layout: _Layout) -> IntArray:
    channels, resolution = layout.channels, layout.resolution_bits
    ref_width = (resolution + 7) // 8
    offset = ref_width * channels
    if len(content) < offset:
        raise MalformedPacket(
            f"PMD compressed frame of {len(content)} bytes is shorter than its reference sample"
        )
    ref = _read_fixed(content[:offset], _Layout(channels, ref_width * 8, compressed=False))[0]
    if ref_width * 8 != resolution:
        ref = _signed(ref & ((1 << resolution) - 1), resolution)
    blocks = [ref.reshape(1, channels)]
    while offset < len(content):
        if offset + 2 > len(content):
            raise MalformedPacket("PMD compressed frame ends inside a delta block header")
        bits, count = content[offset], content[offset + 1]
        offset += 2
        if bits > MAX_DELTA_BITS:
            raise MalformedPacket(f"PMD delta block declares {bits}-bit deltas (at most {MAX_DELTA_BITS})")
        n_bits = bits * count * channels
        n_bytes = (n_bits + 7) // 8
        if offset + n_bytes > len(content):
            raise MalformedPacket(
                f"PMD delta block declares {count} samples of {bits} bits ({n_bytes} bytes) "
                f"but {len(content) - offset} bytes remain"
            )
        if count and bits:
            packed = np.frombuffer(content, dtype=np.uint8, count=n_bytes, offset=offset)
            flat = np.unpackbits(packed, bitorder="little")[:n_bits].astype(np.int64)
            weights = np.int64(1) << np.arange(bits, dtype=np.int64)
            deltas = _signed(flat.reshape(-1, bits) @ weights, bits).reshape(count, channels)
        else:
            deltas = np.zeros((count, channels), dtype=np.int64)
        blocks.append(deltas)
        offset += n_bytes
    stacked = np.concatenate(blocks, axis=0)
    return np.cumsum(stacked, axis=0)


def parse_frame(payload: bytes) -> PmdFrame:
    """Parse one PMD data notification, or raise :class:`MalformedPacket`.

    Supports ACC raw types 0-2 and compressed types 0-1, and ECG raw type 0 (H10);
    other measurements and frame types are reported as malformed (unsupported here).
    """
    if len(payload) < HEADER_SIZE:
        raise MalformedPacket(f"PMD frame of {len(payload)} bytes is shorter than its 10-byte header")
    measurement = payload[0] & MEASUREMENT_MASK
    timestamp_ns = int.from_bytes(payload[1:9], "little")
    compressed = bool(payload[9] & COMPRESSED_BIT)
    frame_type = payload[9] & 0x7F
    key = (measurement, compressed, frame_type)
    layout = _LAYOUTS.get(key)
    if layout is None:
        kind = "compressed" if compressed else "raw"
        raise MalformedPacket(
            f"PMD measurement {measurement} {kind} frame type {frame_type} is not supported by glutesense"
        )
    content = payload[HEADER_SIZE:]
    counts = _read_delta_frames(content, layout) if compressed else _read_fixed(content, layout)
    return PmdFrame(measurement, timestamp_ns, frame_type, compressed, counts)


def encode_raw_frame(
    measurement: Measurement, timestamp_ns: int, counts: npt.ArrayLike, frame_type: int = 1
) -> bytes:
    """Pack a raw (uncompressed) PMD frame; the inverse of :func:`parse_frame` for raw layouts.

    Parameters
    ----------
    measurement : Measurement
    timestamp_ns : int
        Device clock at the frame's *last* sample, ns (u64).
    counts : array, shape (n_samples, n_channels)
        Integer samples (ACC: mG; ECG: µV).
    frame_type : int
        Raw frame type (ACC 0/1/2: 8/16/24-bit; ECG 0: 24-bit).
    """
    layout = _LAYOUTS.get((int(measurement), False, frame_type))
    if layout is None:
        raise ValueError(f"no raw PMD layout for measurement {measurement} frame type {frame_type}")
    c = np.asarray(counts, dtype=np.int64)
    if c.ndim != 2 or c.shape[1] != layout.channels or c.shape[0] == 0:
        raise ValueError(f"counts must be (n_samples > 0, {layout.channels})")
    width = layout.resolution_bits // 8
    lim = 1 << (layout.resolution_bits - 1)
    c = np.clip(c, -lim, lim - 1) & ((1 << layout.resolution_bits) - 1)
    body = b"".join(int(v).to_bytes(width, "little") for v in c.ravel())
    head = bytes([int(measurement)]) + (timestamp_ns & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
    return head + bytes([frame_type & 0x7F]) + body


def start_response(measurement: Measurement, status: int = 0) -> bytes:
    """The device's control-point answer to a start command (no settings)."""
    return bytes([CP_RESPONSE, OP_START, int(measurement), status, 0])


def parse_settings(params: bytes) -> dict[int, tuple[int, ...]]:
    """Parse the settings list of a control-point response: ``{setting id: values}``.

    The factor (id 5) is returned as its raw IEEE-754 bits; unknown ids end the parse.
    """
    out: dict[int, tuple[int, ...]] = {}
    offset = 0
    while offset + 2 <= len(params):
        sid, count = params[offset], params[offset + 1]
        offset += 2
        size = _SECURITY_SIZE if sid == 6 else _SETTING_SIZE.get(sid)
        if size is None or offset + size * count > len(params):
            break
        out[sid] = tuple(
            int.from_bytes(params[offset + i * size : offset + (i + 1) * size], "little")
            for i in range(count)
        )
        offset += size * count
    return out
