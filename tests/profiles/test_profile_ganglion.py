"""OpenBCI Ganglion decoder: published JS vectors, firmware-faithful encoders, boundaries, wrap.

Published vectors: ``OpenBCI/OpenBCI_NodeJS_Utilities`` (commit 33168c6),
``test/openBCIUtilities-test.js``: ``#convert18bitAsInt32``, ``#convert19bitAsInt32``,
``decompressDeltas18Bit``, ``decompressDeltas19Bit``; ``openbci-archive/OpenBCI_NodeJS_Ganglion``
(commit c83c6ff) ``test/openBCIGanglion-test.js``: multi-packet message and sample packets.

The encoders below restate the firmware's packing (``OpenBCI/OpenBCI_Ganglion_Library``:
``compressData18/19`` at v2.0.1 for deltas, at HEAD for firmware 3) so the decoder is checked
against the firmware's own arithmetic.  Where our value differs from the JS decoder's, the
difference is the documented one count on negative values (docs/profiles.md).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glutesense.model.records import StreamKind
from glutesense.model.roles import Role
from glutesense.profiles import get_profile
from glutesense.profiles.base import MalformedPacket
from glutesense.profiles.ganglion import (
    ACC_G_PER_COUNT,
    EMG_UV_PER_COUNT,
    FLAG_UNSEEDED,
    GanglionDecoder,
    field_to_int,
    unpack_fields,
)

# --- firmware-faithful encoders (test helpers) ---------------------------------------------------


def fw3_field(sample: int, n_bits: int) -> int:
    """Firmware 3: bitWrite(x, 24 - N, sign); x >>= 24 - N; keep N bits."""
    shift = 24 - n_bits
    sign = 1 if sample < 0 else 0
    x = (sample & ~(1 << shift)) | (sign << shift)
    return (x >> shift) & ((1 << n_bits) - 1)


def fw2_field(delta: int, n_bits: int) -> int:
    """Firmware 2: bitWrite(delta, 0, sign); keep N bits."""
    sign = 1 if delta < 0 else 0
    return ((delta & ~1) | sign) & ((1 << n_bits) - 1)


def pack(fields: list[int], n_bits: int) -> bytes:
    stream = 0
    for f in fields:
        stream = (stream << n_bits) | f
    return stream.to_bytes(n_bits, "big")


def packet(pid: int, fields: list[int], n_bits: int, accel: int = 0) -> bytes:
    body = pack(fields, n_bits)
    return bytes([pid]) + body + (bytes([accel & 0xFF]) if n_bits == 18 else b"")


def raw_packet(sample: list[int]) -> bytes:
    body = b"".join((v & 0xFFFFFF).to_bytes(3, "big") for v in sample)
    return b"\x00" + body + b"ABCDEFG"


def brainflow_cast(field_value: int, n_bits: int) -> int:
    """BrainFlow custom_cast.h cast_ganglion_bits_to_int32: MSB sign, negative -> -(~bits) - 2."""
    if field_value >> (n_bits - 1):
        return -((~field_value) & ((1 << n_bits) - 1)) - 2
    return field_value


def js_convert(buf: bytes, n_bits: int) -> int:
    """OpenBCI JS convert18/19bitAsInt32: LSB sign, prefix of ones above N bits."""
    value = (buf[0] << 16) | (buf[1] << 8) | buf[2]
    return (value & ((1 << n_bits) - 1)) - (1 << n_bits) if buf[2] & 1 else value


# --- published JS vectors ---------------------------------------------------------------------

JS_CONVERT = [  # (3-byte buffer, JS result); identical for 18 and 19 bits
    ("000690", 1680),
    ("02c000", 180224),
    ("ffffff", -1),  # JS test accepts -1 +- 1
    ("04a101", -220927),  # JS test accepts -220927 +- 1
]


@pytest.mark.parametrize("n_bits", [18, 19])
@pytest.mark.parametrize(("buf", "js_value"), JS_CONVERT)
def test_js_convert_vectors(n_bits: int, buf: str, js_value: int) -> None:
    field_value = int(buf, 16) & ((1 << n_bits) - 1)
    ours = field_to_int(field_value, n_bits)
    # Positive values agree exactly; on negative values the JS decoder adds the sign flag
    # as a magnitude bit and is one count high (docs/profiles.md).
    assert ours == (js_value - 1 if js_value < 0 else js_value)
    assert js_convert(bytes.fromhex(buf), n_bits) == js_value  # our reading of the JS code


JS_DELTAS_18 = [
    (
        "0000000020002800048000bc00070028c00a",
        [[0, 2, 10, 4], [131074, 245760, 114698, 49162]],
    ),
    (
        "ffff7fffbfffe7fff500014f8e30001ff001",
        [[-3, -5, -7, -11], [-262139, -198429, -262137, -4095]],
    ),
]
JS_DELTAS_19 = [
    (
        "000000000800050000480009f001b000300008",
        [[0, 2, 10, 4], [262148, 507910, 393222, 8]],
    ),
    (
        "ffffbfffeffffcffff58000b3e38e0003ff001",
        [[-3, -5, -7, -11], [-262139, -198429, -262137, -4095]],
    ),
]


@pytest.mark.parametrize(
    ("n_bits", "hexbody", "js"), [(18, h, v) for h, v in JS_DELTAS_18] + [(19, h, v) for h, v in JS_DELTAS_19]
)
def test_js_decompress_vectors(n_bits: int, hexbody: str, js: list[list[int]]) -> None:
    body = bytes.fromhex(hexbody)
    assert len(body) == n_bits
    ours = unpack_fields(body, n_bits)
    expected = [[v - 1 if v < 0 else v for v in row] for row in js]
    assert ours.tolist() == expected


def test_js_sample_packet_and_messages_decode() -> None:
    # openBCIGanglion-test.js, "_bled112AttributeValue ... for data": a real 19-bit packet (id 0x6A).
    data = bytes.fromhex("6a0097c02a300138015960176403830078 3002b2".replace(" ", ""))
    blocks = GanglionDecoder(firmware=3).decode(0, data)
    assert [b.stream for b in blocks] == [StreamKind.EMG]
    assert blocks[0].seq == 0x6A - 100  # a fresh counter starts at the cycle position
    assert blocks[0].data.shape == (2, 4)
    # "_processBytes ... multi byte messages": 'accelerometer enabled\n' in ids 0xCE then 0xCF,
    # and an impedance reading (0xCA, "1207Z"): no samples.
    decoder = GanglionDecoder(firmware=3)
    assert decoder.decode(0, bytes.fromhex("ce616363656c65726f6d6574657220656e61626c")) == ()
    assert decoder.decode(0, bytes.fromhex("cf65640a")) == ()
    assert decoder.decode(0, bytes.fromhex("ca313230375a")) == ()


# --- the sign decision, against both public decoders --------------------------------------------


@settings(max_examples=300, deadline=None)
@given(n_bits=st.sampled_from([18, 19]), data=st.data())
def test_sign_rule_equals_brainflow_on_every_firmware_field(n_bits: int, data: st.DataObject) -> None:
    sample = data.draw(st.integers(-(1 << 23), (1 << 23) - 1))
    delta = data.draw(st.integers(-(1 << (n_bits - 1)), (1 << (n_bits - 1)) - 1))
    for f in (fw3_field(sample, n_bits), fw2_field(delta, n_bits)):
        ours = field_to_int(f, n_bits)
        assert ours == brainflow_cast(f, n_bits)
        js = js_convert(f.to_bytes(3, "big"), n_bits)
        assert js - ours == (f & 1)  # the JS decoder counts the sign flag as a magnitude bit


@pytest.mark.parametrize("n_bits", [18, 19])
def test_sign_flag_extends_range_where_brainflow_wraps(n_bits: int) -> None:
    # A firmware-2 delta beyond +-2**(N-1) (the "large deltas" bug fixed by firmware 3): bit N-1
    # no longer holds the sign but bit 0 still does, so only the bit-0 reading gets it right.
    delta = -(1 << (n_bits - 1)) - 6
    f = fw2_field(delta, n_bits)
    assert field_to_int(f, n_bits) == delta
    assert brainflow_cast(f, n_bits) > 0


# --- firmware 3 -------------------------------------------------------------------------------

BOUNDARIES_24 = [0x7FFFFF, -0x800000, 0, -1, 1, 127, 128, -128, -129, 0x3FFFFF, -0x400000]


@pytest.mark.parametrize("n_bits", [18, 19])
@pytest.mark.parametrize("sample", BOUNDARIES_24)
def test_fw3_boundaries(n_bits: int, sample: int) -> None:
    keep = 25 - n_bits  # LSBs lost: the shift plus the sign flag bit
    pid = 5 if n_bits == 18 else 105
    blocks = GanglionDecoder(firmware=3).decode(0, packet(pid, [fw3_field(sample, n_bits)] * 8, n_bits))
    counts = blocks[0].data / EMG_UV_PER_COUNT
    np.testing.assert_allclose(counts, (sample >> keep) << keep, rtol=0, atol=1e-6)


@settings(max_examples=300, deadline=None)
@given(
    n_bits=st.sampled_from([18, 19]),
    samples=st.lists(st.integers(-(1 << 23), (1 << 23) - 1), min_size=8, max_size=8),
)
def test_fw3_truncates_like_the_firmware(n_bits: int, samples: list[int]) -> None:
    keep = 25 - n_bits
    pid = 42 if n_bits == 18 else 142
    (emg, *_) = GanglionDecoder(firmware=3).decode(
        0, packet(pid, [fw3_field(s, n_bits) for s in samples], n_bits)
    )
    counts = np.rint(emg.data / EMG_UV_PER_COUNT).astype(np.int64)
    assert counts.tolist() == [
        [(s >> keep) << keep for s in samples[:4]],
        [(s >> keep) << keep for s in samples[4:]],
    ]


def test_fw3_counter_wraps_ids_and_first_packet_quirk() -> None:
    decoder = GanglionDecoder(firmware=3)
    fields = [0] * 8
    seqs = [decoder.decode(0, packet(pid, fields, 18))[0].seq for pid in (255, 0, 1, 98, 99, 0)]
    # id 255 is the first packet after 'b' (cycle position 99); 1 -> 98 shows 96 lost packets
    assert seqs == [99, 100, 101, 198, 199, 200]
    assert decoder.decode(0, packet(101, fields, 19))[0].seq == 201  # 18 -> 19-bit mode: no jump
    assert decoder.decode(0, packet(101, fields, 19))[0].seq == 201  # repeat: duplicate


def test_counter_wraps_at_16_bits() -> None:
    decoder = GanglionDecoder(firmware=3)
    fields = [0] * 8
    seqs = [decoder.decode(0, packet(k % 100, fields, 18))[0].seq for k in range(65537)]
    assert seqs[-3:] == [65534, 65535, 0]


def test_fw3_rejects_firmware_2_raw_packet() -> None:
    with pytest.raises(MalformedPacket, match="ganglion-fw2"):
        GanglionDecoder(firmware=3).decode(0, raw_packet([1, 2, 3, 4]))


def test_accelerometer_axes_make_a_sample_per_ten_packets() -> None:
    decoder = GanglionDecoder(firmware=3)
    fields = [0] * 8
    out = []
    for pid, axis_byte in [(21, 10), (22, -20), (23, 64), (24, 99)]:
        out.extend(decoder.decode(0, packet(pid, fields, 18, accel=axis_byte)))
    imu = [b for b in out if b.stream is StreamKind.IMU]
    assert len(imu) == 1
    assert imu[0].seq == 2
    np.testing.assert_allclose(
        imu[0].data, [[10 * ACC_G_PER_COUNT, -20 * ACC_G_PER_COUNT, 64 * ACC_G_PER_COUNT]]
    )
    # z arriving without x and y of the same group: those axes are NaN, never stale values
    (_, lone) = decoder.decode(0, packet(33, fields, 18, accel=5))
    assert np.isnan(lone.data[0, :2]).all()
    assert lone.data[0, 2] == pytest.approx(5 * ACC_G_PER_COUNT)


# --- firmware 2 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"), [(0x7FFFFF, 8388607), (0x800000, -8388608), (0xFFFFFF, -1), (0x000000, 0)]
)
def test_fw2_raw_packet_24_bit_boundaries(raw: int, value: int) -> None:
    (block,) = GanglionDecoder(firmware=2).decode(0, raw_packet([raw] * 4))
    assert block.seq == 0
    np.testing.assert_allclose(block.data / EMG_UV_PER_COUNT, [[value] * 4], atol=1e-6)


def _fw2_stream(samples: npt.NDArray[np.int64], n_bits: int) -> list[bytes]:
    """Encode (201, 4) samples as firmware 2 does: a raw packet then 100 delta packets."""
    packets = [raw_packet(samples[0].tolist())]
    last = samples[0]
    for k in range(1, len(samples) - 1, 2):
        fields = []
        for current in (samples[k], samples[k + 1]):
            fields += [fw2_field(int(d), n_bits) for d in last - current]
            last = current
        pid = (k + 1) // 2 + (0 if n_bits == 18 else 100)
        packets.append(packet(pid, fields, n_bits))
    return packets


@pytest.mark.parametrize("n_bits", [18, 19])
def test_fw2_delta_chain_matches_firmware_arithmetic(n_bits: int) -> None:
    rng = np.random.default_rng(7)
    samples = np.cumsum(rng.integers(-2000, 2000, size=(201, 4)), axis=0)
    packets = _fw2_stream(samples, n_bits)
    decoder = GanglionDecoder(firmware=2)
    decoded = np.concatenate([decoder.decode(0, p)[0].data for p in packets]) / EMG_UV_PER_COUNT
    # Each delta loses its bit 0 (d -> d & ~1) and the chain subtracts it: the error grows by
    # that bit per sample until the next raw packet.
    deltas = samples[:-1] - samples[1:]
    expected_error = np.vstack([np.zeros((1, 4)), np.cumsum(deltas & 1, axis=0)])
    np.testing.assert_allclose(decoded - samples, expected_error, atol=1e-6)


def test_fw2_counter_wrap_and_loss_flag() -> None:
    decoder = GanglionDecoder(firmware=2)
    zero = [fw2_field(0, 18)] * 8
    assert decoder.decode(0, packet(1, zero, 18))[0].flags & FLAG_UNSEEDED  # before any raw packet
    decoder.decode(0, raw_packet([0, 0, 0, 0]))
    seqs, flags = [], []
    for pid in [1, 2, *range(3, 101), 0, 101, 102, 104]:
        payload = raw_packet([0, 0, 0, 0]) if pid == 0 else packet(pid, zero, 18 if pid <= 100 else 19)
        (block, *_) = decoder.decode(0, payload)
        seqs.append(block.seq)
        flags.append(block.flags)
    # first packet (id 1) counted 1, raw 0 -> 101 (cycle of 101), then 1..100 -> 102..201,
    # raw -> 202, 101 -> 203, 102 -> 204, 104 -> 206 (id 103 lost)
    assert seqs[:2] == [102, 103]
    assert seqs[-4:] == [202, 203, 204, 206]
    assert not any(f & FLAG_UNSEEDED for f in flags[:-1])
    assert flags[-1] & FLAG_UNSEEDED  # after the lost packet the level is unknown


def test_fw2_duplicate_notification_is_not_applied_twice() -> None:
    decoder = GanglionDecoder(firmware=2)
    decoder.decode(0, raw_packet([1000, 0, 0, 0]))
    step = packet(1, [fw2_field(-10, 18)] * 8, 18)
    once = decoder.decode(0, step)
    again = decoder.decode(0, step)
    assert again == once
    (after,) = decoder.decode(0, packet(2, [fw2_field(0, 18)] * 8, 18))
    np.testing.assert_allclose(after.data[:, 0] / EMG_UV_PER_COUNT, [1020, 1020], atol=1e-6)
    assert not after.flags & FLAG_UNSEEDED


@pytest.mark.parametrize(
    ("firmware", "payload"),
    [
        (3, bytes([5]) + bytes(10)),  # wrong size
        (3, bytes([200]) + bytes(19)),  # id firmware 3 never sends
        (3, bytes([230]) + bytes(19)),
        (2, bytes([230]) + bytes(19)),
        (2, b""),
    ],
)
def test_malformed(firmware: int, payload: bytes) -> None:
    with pytest.raises(MalformedPacket):
        GanglionDecoder(firmware=firmware).decode(0, payload)


def test_default_roles_and_commands() -> None:
    profile = get_profile("ganglion")
    assert profile.default_roles() == {
        "ch1": Role.GLUTE_MAX_L,
        "ch2": Role.HAMSTRING_L,
        "ch3": Role.GLUTE_MAX_R,
        "ch4": Role.HAMSTRING_R,
        "acc_x": Role.ACC_X,
        "acc_y": Role.ACC_Y,
        "acc_z": Role.ACC_Z,
    }
    assert profile.start_commands[-1] == b"b"
    assert profile.stop_commands == (b"s",)
    assert not profile.has_device_clock
    assert get_profile("ganglion-fw2").new_decoder().decode(0, raw_packet([1, 2, 3, 4]))[0].seq == 0
