"""OpenBCI Ganglion: 4 biopotential channels at 200 Hz over BLE (firmware 3 and 2).

GATT: service ``0xFE84``; the board notifies 20-byte packets on ``2d30c082-...`` and takes
one-character commands on ``2d30c083-...`` (``n`` accelerometer on, ``b`` start, ``s`` stop).
Byte 0 of a packet is its id (``Definitions_Ganglion.h`` in ``OpenBCI/OpenBCI_Ganglion_Library``):

=========  ==========================================================================
id         content
=========  ==========================================================================
0          firmware 2: one uncompressed sample, 4 x int24 big-endian, then "ABCDEFG"
1-100      18-bit packet: 2 samples x 4 channels x 18 bits, big-endian bit stream;
           byte 19 is an accelerometer axis when id % 10 is 1, 2 or 3 (x, y, z)
101-200    19-bit packet: 2 samples x 4 channels x 19 bits
201-205    impedance of channel 1-4 / reference, ASCII digits then ``Z``
206, 207   part / end of an ASCII message
=========  ==========================================================================

Firmware 3 (``Send MSBs instead of using delta compression``, 2023) numbers 18-bit
packets 0-99 and 19-bit packets 100-199 and sends each sample's most significant bits:
``field = (sample >> (24 - N))`` with bit 0 then overwritten by the sign.  Firmware 2
sends, in the same layout, the difference ``previous - current`` with bit 0 overwritten
by its sign, and re-seeds the chain with an uncompressed packet (id 0) every 201 samples.

Sign of a field (the BrainFlow/OpenBCI-JS disagreement; see ``docs/profiles.md``): bit 0
is the sign flag and carries no magnitude, so a field decodes to
``(field & ~1) - (field & 1) * 2**N``: the sign is read from bit 0 (as the JS decoder
does) and bit 0 is not added to the magnitude (as BrainFlow does).  For every field the
firmware can produce this equals BrainFlow's value; the JS decoder is one count high on
negative values.

Packet ids count through a cycle: firmware 3, position ``id % 100`` (100 packets, and the
firmware never sends the cycle's 201st sample); firmware 2, position ``id`` for ids 0-100 and
``id - 100`` for 19-bit packets (101 packets, 201 samples).  The decoder unwraps positions
into the project's 16-bit packet counter (``SampleBlock.seq``), so a lost packet shows as a
jump and a repeated id as a duplicate; more than a whole cycle lost at once aliases.  No
device clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import numpy.typing as npt

from glutesense.model.arrays import IntArray
from glutesense.model.records import SEQ_MODULUS, ChannelSpec, SampleBlock, StreamKind
from glutesense.model.roles import Role, SignalKind
from glutesense.profiles.base import DeviceProfile, MalformedPacket, imu_channels

SERVICE = "0000fe84-0000-1000-8000-00805f9b34fb"
NOTIFY_CHAR = "2d30c082-f39f-4ce6-923f-3484ea480596"
SEND_CHAR = "2d30c083-f39f-4ce6-923f-3484ea480596"

CMD_START = b"b"
CMD_STOP = b"s"
CMD_ACCEL_ON = b"n"

PACKET_SIZE = 20
N_CHANNELS = 4
FS_HZ = 200.0
ACC_FS_HZ = 10.0  # one axis per packet at ids ending 1, 2, 3: a 3-axis sample per 10 packets

ID_RAW = 0
ID_IMPEDANCE = range(201, 206)
ID_MESSAGE = (206, 207)
ID_FW3_FIRST_18BIT = 255  # firmware 3's first packet after 'b' (its ring index starts at 0xFF)
FW2_RAW_PADDING = b"ABCDEFG"

# µV per count of the MCP3912 24-bit code: Vref 1.2 V / (2**23 - 1) / (gain 51 x 1.5), as in
# the OpenBCI JS utilities and BrainFlow.
EMG_UV_PER_COUNT = 1.2e6 / (8388607.0 * 1.5 * 51.0)
# LIS2DH at +-2 g, high byte of the left-justified output: 16 mg per count.
ACC_G_PER_COUNT = 0.016


FLAG_UNSEEDED = 0x04
"""Firmware 2: values rest on deltas since a lost packet (or before the first id-0 packet),
so their absolute level is unknown and a step may sit where the packet was lost."""


def field_to_int(field_value: int, n_bits: int) -> int:
    """Decode one ``n_bits``-wide Ganglion field whose bit 0 is the sign flag.

    >>> field_to_int(0x3FFFD, 18), field_to_int(0x00690, 18)
    (-4, 1680)
    """
    sign = field_value & 1
    return (field_value & ((1 << n_bits) - 2)) - (sign << n_bits)


def unpack_fields(body: bytes, n_bits: int) -> IntArray:
    """The 8 sign-flagged fields of a packet body (bytes 1..), shape (2, 4), as integers."""
    n_bytes = n_bits  # 8 fields x n_bits bits = n_bits bytes
    stream = int.from_bytes(body[:n_bytes], "big")
    mask = (1 << n_bits) - 1
    values = [field_to_int((stream >> (n_bits * (7 - k))) & mask, n_bits) for k in range(8)]
    return np.array(values, dtype=np.int64).reshape(2, N_CHANNELS)


def int24_be(data: bytes) -> int:
    """Signed 24-bit big-endian integer (``0x7FFFFF`` -> 8388607, ``0x800000`` -> -8388608)."""
    return int.from_bytes(data[:3], "big", signed=True)


def fw3_field(sample: int, n_bits: int) -> int:
    """Firmware 3 packing of one 24-bit sample: its ``n_bits`` MSBs with bit 0 set to the sign."""
    shift = 24 - n_bits
    sign = 1 if sample < 0 else 0
    return (((sample >> shift) & ~1) | sign) & ((1 << n_bits) - 1)


def encode_fw3(pid: int, counts: npt.ArrayLike, accel: int = 0) -> bytes:
    """A firmware 3 sample packet (the virtual Ganglion's encoder).

    Parameters
    ----------
    pid : int
        Packet id: 0-99 (or 255) for 18-bit packets, 100-199 for 19-bit packets.
    counts : array, shape (2, 4)
        24-bit ADC codes of two samples (clipped to the int24 range).
    accel : int
        Signed accelerometer byte carried at byte 19 of 18-bit packets.
    """
    n_bits = 19 if 100 <= pid < 200 else 18
    c = np.clip(np.asarray(counts, dtype=np.int64).reshape(2, N_CHANNELS), -(1 << 23), (1 << 23) - 1)
    stream = 0
    for v in c.ravel():
        stream = (stream << n_bits) | fw3_field(int(v), n_bits)
    body = stream.to_bytes(n_bits, "big")
    tail = bytes([accel & 0xFF]) if n_bits == 18 else b""
    return bytes([pid]) + body + tail


@dataclass
class PacketCounter:
    """Unwraps a device's short cyclic packet position into a 16-bit running counter.

    ``step(position)`` returns ``(seq, advance)``: ``advance`` is 1 for the next packet,
    ``k + 1`` after ``k`` lost ones and 0 for a repeat of the previous position.
    """

    modulus: int
    _position: int | None = field(default=None, init=False, repr=False)
    _count: int = field(default=0, init=False, repr=False)

    def step(self, position: int) -> tuple[int, int]:
        if self._position is None:
            self._count, advance = position, 1
        else:
            advance = (position - self._position) % self.modulus
            self._count += advance
        self._position = position
        return self._count % SEQ_MODULUS, advance


def _check_size(payload: bytes) -> int:
    if len(payload) != PACKET_SIZE:
        raise MalformedPacket(f"Ganglion sample packet has {len(payload)} bytes, expected {PACKET_SIZE}")
    return payload[0]


@dataclass
class GanglionDecoder:
    """Stateful Ganglion decoder.

    Parameters
    ----------
    firmware : int
        3 (shipping since 2023: truncated samples) or 2 (delta compression).

    Notes
    -----
    State: the packet counters, the accelerometer axes of the current group of ten packets
    and, for firmware 2, the last decoded sample, whether the delta chain is seeded, and the
    last output (returned again for a repeated notification).
    """

    firmware: int = 3
    _last: IntArray = field(
        default_factory=lambda: np.zeros(N_CHANNELS, dtype=np.int64), init=False, repr=False
    )
    _seeded: bool = field(default=False, init=False, repr=False)
    _previous: tuple[SampleBlock, ...] = field(default=(), init=False, repr=False)
    _counter: PacketCounter = field(init=False, repr=False)
    _imu_counter: PacketCounter = field(default_factory=lambda: PacketCounter(10), init=False, repr=False)
    _axes: dict[int, float] = field(default_factory=dict, init=False, repr=False)
    _axes_group: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.firmware not in (2, 3):
            raise ValueError(f"Ganglion firmware must be 2 or 3, not {self.firmware}")
        self._counter = PacketCounter(100 if self.firmware == 3 else 101)

    def decode(self, char: int, payload: bytes) -> tuple[SampleBlock, ...]:
        """Decode one notification (``char`` 0, the only notify characteristic)."""
        if char != 0:
            raise MalformedPacket(f"Ganglion has no notify characteristic number {char}")
        if not payload:
            raise MalformedPacket("empty Ganglion notification")
        pid = payload[0]
        if pid in ID_IMPEDANCE or pid in ID_MESSAGE:
            return ()  # impedance readings and text replies carry no samples
        if self.firmware == 3:
            return self._decode_fw3(pid, payload)
        return self._decode_fw2(pid, payload)

    def _decode_fw3(self, pid: int, payload: bytes) -> tuple[SampleBlock, ...]:
        _check_size(payload)
        if pid < 100 or pid == ID_FW3_FIRST_18BIT:
            n_bits, position = 18, (99 if pid == ID_FW3_FIRST_18BIT else pid)
        elif pid < 200:
            n_bits, position = 19, pid - 100
        else:
            raise MalformedPacket(f"Ganglion firmware 3 sends no packet id {pid}")
        if pid == ID_RAW and payload[13:20] == FW2_RAW_PADDING:
            raise MalformedPacket("this is a firmware 2 uncompressed packet: use the ganglion-fw2 profile")
        seq, _ = self._counter.step(position)
        counts = unpack_fields(payload[1:], n_bits) << (24 - n_bits)
        emg = SampleBlock(StreamKind.EMG, seq, None, FS_HZ, counts.astype(np.float64) * EMG_UV_PER_COUNT)
        return (emg, *self._accel(position, payload, n_bits))

    def _decode_fw2(self, pid: int, payload: bytes) -> tuple[SampleBlock, ...]:
        _check_size(payload)
        if pid == ID_RAW:
            n_bits, position = 24, 0
        elif pid <= 100:
            n_bits, position = 18, pid
        elif pid <= 200:
            n_bits, position = 19, pid - 100
        else:
            raise MalformedPacket(f"Ganglion firmware 2 sends no packet id {pid}")
        first_packet = not self._previous
        seq, advance = self._counter.step(position)
        if advance == 0 and not first_packet:
            return self._previous  # a repeated notification: never apply its deltas twice
        if n_bits == 24:
            sample = np.array([int24_be(payload[1 + 3 * c : 4 + 3 * c]) for c in range(N_CHANNELS)])
            self._last, self._seeded = sample.astype(np.int64), True
            data = sample.reshape(1, N_CHANNELS).astype(np.float64) * EMG_UV_PER_COUNT
            self._previous = (SampleBlock(StreamKind.EMG, seq, None, FS_HZ, data),)
            return self._previous
        if advance != 1 or first_packet:
            self._seeded = False  # a packet was lost (or none seen yet): the chain's level is unknown
        deltas = unpack_fields(payload[1:], n_bits)
        first = self._last - deltas[0]
        second = first - deltas[1]
        self._last = second
        flags = 0 if self._seeded else FLAG_UNSEEDED
        data = np.stack([first, second]).astype(np.float64) * EMG_UV_PER_COUNT
        emg = SampleBlock(StreamKind.EMG, seq, None, FS_HZ, data, flags=flags)
        self._previous = (emg, *self._accel(position, payload, n_bits))
        return self._previous

    def _accel(self, position: int, payload: bytes, n_bits: int) -> tuple[SampleBlock, ...]:
        """Collect the axis byte of 18-bit packets; emit a 3-axis sample on the z axis."""
        axis = position % 10 - 1
        if n_bits != 18 or axis not in (0, 1, 2):
            return ()
        group = position // 10
        if group != self._axes_group:
            self._axes, self._axes_group = {}, group
        self._axes[axis] = float(int.from_bytes(payload[19:20], "big", signed=True))
        if axis != 2:
            return ()
        xyz = [self._axes.get(a, np.nan) * ACC_G_PER_COUNT for a in range(3)]
        seq, _ = self._imu_counter.step(group)
        block = SampleBlock(StreamKind.IMU, seq, None, ACC_FS_HZ, np.array([xyz], dtype=np.float64))
        self._axes, self._axes_group = {}, None
        return (block,)


EMG_CHANNELS = (
    ChannelSpec("ch1", SignalKind.EMG, Role.GLUTE_MAX_L, EMG_UV_PER_COUNT),
    ChannelSpec("ch2", SignalKind.EMG, Role.HAMSTRING_L, EMG_UV_PER_COUNT),
    ChannelSpec("ch3", SignalKind.EMG, Role.GLUTE_MAX_R, EMG_UV_PER_COUNT),
    ChannelSpec("ch4", SignalKind.EMG, Role.HAMSTRING_R, EMG_UV_PER_COUNT),
)
IMU_CHANNELS = imu_channels(ACC_G_PER_COUNT)


def _profile(name: str, firmware: int, seq_modulus: int, description: str) -> DeviceProfile:
    return DeviceProfile(
        name=name,
        service_uuids=(SERVICE,),
        name_prefixes=("Ganglion",),
        notify_chars=(NOTIFY_CHAR,),
        control_char=SEND_CHAR,
        start_commands=(CMD_ACCEL_ON, CMD_START),
        stop_commands=(CMD_STOP,),
        channels={StreamKind.EMG: EMG_CHANNELS, StreamKind.IMU: IMU_CHANNELS},
        new_decoder=partial(GanglionDecoder, firmware=firmware),
        has_device_clock=False,
        description=description,
        extra={
            "firmware": str(firmware),
            "seq": f"16-bit counter unwrapped from packet ids (cycle of {seq_modulus} packets)",
            "samples_per_cycle": "201" if firmware == 2 else "201 (200 sent: the firmware drops one)",
        },
    )


PROFILE = _profile(
    "ganglion",
    3,
    100,
    "OpenBCI Ganglion, firmware 3: 4 EMG channels at 200 Hz (µV), accelerometer at 10 Hz; "
    "packet ids, no device clock: timing from arrival and packet ids only",
)
PROFILE_FW2 = _profile(
    "ganglion-fw2",
    2,
    101,
    "OpenBCI Ganglion, firmware 2 (delta compression): 4 EMG channels at 200 Hz (µV), "
    "accelerometer at 10 Hz; packet ids, no device clock: timing from arrival and packet ids only",
)
PROFILES = (PROFILE, PROFILE_FW2)
