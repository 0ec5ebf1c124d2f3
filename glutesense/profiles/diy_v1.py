"""``diy-v1``: the open DIY EMG/IMU wire format (see ``firmware_notes/diy-v1.md``).

Every notification on the Nordic UART TX characteristic is one packet::

    offset  size  field
    0       1     version        (= 1)
    1       1     stream id      (0 = EMG, 1 = IMU, 2 = MARK)
    2       1     flags          (bit 0: a sample in this packet saturated;
                                  bit 1: device clock restarted)
    3       1     n_channels
    4       2     seq            u16, per stream, wraps 0xFFFF -> 0
    6       4     t_us           u32, device clock at the first sample, wraps
    10      2     fs_hz          u16, nominal sample rate
    12      2     n_samples      u16
    14      2*n_channels*n_samples   int16 samples, sample-major:
                                 s0c0 s0c1 ... s1c0 s1c1 ...
    MARK packets carry n_channels = n_samples = 0 and a u16 marker id after
    the header; t_us is the device time the marker command arrived.

All fields little-endian.  Scales: EMG 0.25 µV per count (±8.19 mV), IMU
accelerometer 1/4096 g per count (±8 g), gyroscope 1/16.4 deg/s per count
(±2000 deg/s).  Host-to-device commands (written to the RX characteristic):
``0x01`` start, ``0x02`` stop, ``0x03 u16 id [label utf-8, <= 16 bytes]`` marker.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from glutesense.model.records import ChannelSpec, SampleBlock, StreamKind
from glutesense.model.roles import Role, SignalKind
from glutesense.profiles.base import DeviceProfile, MalformedPacket, imu_channels

VERSION = 1
HEADER = struct.Struct("<BBBBHIHH")
HEADER_SIZE = HEADER.size  # 14
MARKER = struct.Struct("<H")

NUS_SERVICE = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_RX = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"  # host writes commands
NUS_TX = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"  # device notifies packets
ANNOTATION_CHAR = "6e400010-b5a3-f393-e0a9-e50e24dcca9e"  # optional, JSON (simulators)

CMD_START = b"\x01"
CMD_STOP = b"\x02"
CMD_MARKER = 0x03

FLAG_SATURATED = 0x01
FLAG_CLOCK_RESTART = 0x02

EMG_UV_PER_COUNT = 0.25
ACC_G_PER_COUNT = 1.0 / 4096.0
GYR_DPS_PER_COUNT = 1.0 / 16.4

EMG_CHANNELS = (
    ChannelSpec("emg0", SignalKind.EMG, Role.GLUTE_MAX_L, EMG_UV_PER_COUNT),
    ChannelSpec("emg1", SignalKind.EMG, Role.HAMSTRING_L, EMG_UV_PER_COUNT),
    ChannelSpec("emg2", SignalKind.EMG, Role.GLUTE_MAX_R, EMG_UV_PER_COUNT),
    ChannelSpec("emg3", SignalKind.EMG, Role.HAMSTRING_R, EMG_UV_PER_COUNT),
    ChannelSpec("emg4", SignalKind.EMG, Role.GLUTE_MED_L, EMG_UV_PER_COUNT),
    ChannelSpec("emg5", SignalKind.EMG, Role.GLUTE_MED_R, EMG_UV_PER_COUNT),
    ChannelSpec("emg6", SignalKind.EMG, Role.ERECTOR_L, EMG_UV_PER_COUNT),
    ChannelSpec("emg7", SignalKind.EMG, Role.ERECTOR_R, EMG_UV_PER_COUNT),
)
IMU_CHANNELS = imu_channels(ACC_G_PER_COUNT, GYR_DPS_PER_COUNT)
_SCALES = {
    StreamKind.EMG: np.full(len(EMG_CHANNELS), EMG_UV_PER_COUNT),
    StreamKind.IMU: np.array([c.scale for c in IMU_CHANNELS]),
}


@dataclass(frozen=True)
class Packet:
    """A diy-v1 packet in raw counts (the encoder's input, the parser's output)."""

    stream: StreamKind
    seq: int
    t_us: int
    fs_hz: int
    counts: npt.NDArray[np.int16]  # (n_samples, n_channels)
    flags: int = 0
    marker: int | None = None


def encode(p: Packet) -> bytes:
    """Pack ``p`` into wire bytes."""
    if p.stream is StreamKind.MARK:
        if p.marker is None:
            raise ValueError("a MARK packet needs a marker id")
        head = HEADER.pack(VERSION, p.stream, p.flags, 0, p.seq & 0xFFFF, p.t_us & 0xFFFFFFFF, p.fs_hz, 0)
        return head + MARKER.pack(p.marker & 0xFFFF)
    counts = np.asarray(p.counts)
    if counts.ndim != 2:
        raise ValueError("counts must be (n_samples, n_channels)")
    n_samples, n_channels = counts.shape
    head = HEADER.pack(
        VERSION, p.stream, p.flags, n_channels, p.seq & 0xFFFF, p.t_us & 0xFFFFFFFF, p.fs_hz, n_samples
    )
    return head + counts.astype("<i2", copy=False).tobytes(order="C")


_STREAMS = {int(k): k for k in StreamKind}


def _header(payload: bytes) -> tuple[StreamKind, int, int, int, int, int, int]:
    """The checked header: ``(stream, flags, n_channels, seq, t_us, fs_hz, n_samples)``.

    Raises :class:`MalformedPacket` for anything :func:`parse` refuses.
    """
    if len(payload) < HEADER_SIZE:
        raise MalformedPacket(f"diy-v1 packet of {len(payload)} bytes is shorter than its 14-byte header")
    version, stream_id, flags, n_ch, seq, t_us, fs_hz, n_samples = HEADER.unpack_from(payload)
    if version != VERSION:
        raise MalformedPacket(f"diy-v1 packet has version {version}, expected {VERSION}")
    stream = _STREAMS.get(stream_id)
    if stream is None:
        raise MalformedPacket(f"diy-v1 packet has unknown stream id {stream_id}")
    n_body = len(payload) - HEADER_SIZE
    if stream is StreamKind.MARK:
        if n_body != MARKER.size or n_ch or n_samples:
            raise MalformedPacket("diy-v1 MARK packet must carry exactly a u16 marker id")
        return stream, flags, n_ch, seq, t_us, fs_hz, n_samples
    if fs_hz == 0:
        raise MalformedPacket("diy-v1 data packet has a sample rate of 0 Hz")
    expected = 2 * n_ch * n_samples
    if n_body != expected:
        raise MalformedPacket(
            f"diy-v1 packet declares {n_samples} samples x {n_ch} channels ({expected} bytes) "
            f"but carries {n_body} bytes"
        )
    want = len(_SCALES[stream])
    if n_ch == 0 or n_ch > want:
        raise MalformedPacket(f"diy-v1 {stream.name} packet has {n_ch} channels (1..{want} allowed)")
    return stream, flags, n_ch, seq, t_us, fs_hz, n_samples


def _counts(payload: bytes, n_samples: int, n_ch: int) -> npt.NDArray[np.int16]:
    """The samples of a checked data packet, ``(n_samples, n_channels)``, a read-only view of ``payload``."""
    return np.frombuffer(payload, dtype="<i2", offset=HEADER_SIZE).reshape(n_samples, n_ch)


def parse(payload: bytes) -> Packet:
    """Parse wire bytes into a :class:`Packet`, or raise :class:`MalformedPacket`."""
    stream, flags, n_ch, seq, t_us, fs_hz, n_samples = _header(payload)
    if stream is StreamKind.MARK:
        (marker,) = MARKER.unpack_from(payload, HEADER_SIZE)
        return Packet(stream, seq, t_us, fs_hz, np.zeros((0, 0), np.int16), flags, marker)
    return Packet(stream, seq, t_us, fs_hz, _counts(payload, n_samples, n_ch).astype(np.int16), flags)


class DiyV1Decoder:
    """Stateless diy-v1 decoder: counts to core units (straight from the payload, no copy in counts)."""

    def decode(self, char: int, payload: bytes) -> tuple[SampleBlock, ...]:
        stream, flags, n_ch, seq, t_us, fs_hz, n_samples = _header(payload)
        if stream is StreamKind.MARK:
            (marker,) = MARKER.unpack_from(payload, HEADER_SIZE)
            return (SampleBlock(stream, seq, t_us, 0.0, np.zeros((0, 0)), marker=marker, flags=flags),)
        data = _counts(payload, n_samples, n_ch) * _SCALES[stream][:n_ch]
        return (SampleBlock(stream, seq, t_us, float(fs_hz), data, flags=flags),)

    def decode_many(
        self, chars: Sequence[int], payloads: Sequence[bytes]
    ) -> list[tuple[SampleBlock, ...] | MalformedPacket]:
        """:meth:`decode` of each packet (its blocks, or the error it raises), in order.

        Runs of data packets of one length and shape are read with one NumPy call; anything
        else (markers, malformed packets, mixed shapes) goes through :meth:`decode`.
        """
        out: list[tuple[SampleBlock, ...] | MalformedPacket | None] = [None] * len(payloads)
        by_length: dict[int, list[int]] = {}
        for i, p in enumerate(payloads):
            by_length.setdefault(len(p), []).append(i)
        for length, idx in by_length.items():
            blocks = _same_shape([payloads[i] for i in idx], length)
            for k, i in enumerate(idx):
                if blocks is not None:
                    out[i] = (blocks[k],)
                    continue
                try:
                    out[i] = self.decode(chars[i], payloads[i])
                except MalformedPacket as e:
                    out[i] = e
        return out  # type: ignore[return-value]  # every slot filled


_HEADER_DTYPE = np.dtype(  # HEADER as a NumPy record (packed, little-endian)
    [
        ("version", "u1"),
        ("stream", "u1"),
        ("flags", "u1"),
        ("n_ch", "u1"),
        ("seq", "<u2"),
        ("t_us", "<u4"),
        ("fs_hz", "<u2"),
        ("n_samples", "<u2"),
    ]
)


def _same_shape(payloads: list[bytes], length: int) -> list[SampleBlock] | None:
    """The blocks of data packets of one ``length``, if all are valid with one stream and shape."""
    if length <= HEADER_SIZE or len(payloads) < 2:
        return None
    raw = np.frombuffer(b"".join(payloads), dtype=np.uint8).reshape(len(payloads), length)
    head = np.ascontiguousarray(raw[:, :HEADER_SIZE]).view(_HEADER_DTYPE)[:, 0]
    stream_id, n_ch, n_samples = int(head["stream"][0]), int(head["n_ch"][0]), int(head["n_samples"][0])
    stream = _STREAMS.get(stream_id)
    if (
        stream not in _SCALES
        or not 0 < n_ch <= len(_SCALES[stream])
        or 2 * n_ch * n_samples != length - HEADER_SIZE
        or (head["version"] != VERSION).any()
        or (head["stream"] != stream_id).any()
        or (head["n_ch"] != n_ch).any()
        or (head["n_samples"] != n_samples).any()
        or (head["fs_hz"] == 0).any()
    ):
        return None
    counts = np.ascontiguousarray(raw[:, HEADER_SIZE:]).view("<i2").reshape(len(payloads), n_samples, n_ch)
    data = counts * _SCALES[stream][:n_ch]
    fields = zip(
        *(head[name].tolist() for name in ("seq", "t_us", "fs_hz", "flags")),
        strict=True,
    )
    return [
        SampleBlock(stream, seq, t_us, float(fs), data[k], flags=flags)
        for k, (seq, t_us, fs, flags) in enumerate(fields)
    ]


def marker_command(marker_id: int, label: str = "") -> bytes:
    """Command asking the device to echo marker ``marker_id`` on its own clock."""
    return bytes([CMD_MARKER]) + MARKER.pack(marker_id & 0xFFFF) + label.encode("utf-8")[:16]


def to_counts(values: npt.ArrayLike, stream: StreamKind) -> tuple[npt.NDArray[np.int16], bool]:
    """Quantize core-unit samples ``(n_samples, n_channels)`` to int16 counts.

    Returns the counts and whether any sample saturated.
    """
    x = np.asarray(values, dtype=np.float64)
    scaled = np.rint(x / _SCALES[stream][: x.shape[1]])
    saturated = bool(np.any((scaled > 32767) | (scaled < -32768)))
    return np.clip(scaled, -32768, 32767).astype(np.int16), saturated


PROFILE = DeviceProfile(
    name="diy-v1",
    service_uuids=(NUS_SERVICE,),
    name_prefixes=("GluteSense", "glutesense", "DIY-EMG"),
    notify_chars=(NUS_TX,),
    control_char=NUS_RX,
    start_commands=(CMD_START,),
    stop_commands=(CMD_STOP,),
    channels={StreamKind.EMG: EMG_CHANNELS, StreamKind.IMU: IMU_CHANNELS},
    new_decoder=DiyV1Decoder,
    has_device_clock=True,
    annotation_char=ANNOTATION_CHAR,
    marker_command=marker_command,
    description="open DIY EMG/IMU sensor (MyoWare 2.0 + IMU on ESP32/nRF52), Nordic UART",
)
