"""``SessionDecoder.push_many`` (diy-v1's ``decode_many``) gives what ``push`` packet by packet gives."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from glutesense.decode.decoder import DecodedBlock, SessionDecoder
from glutesense.model.records import ChannelSpec, RawPacket, StreamKind
from glutesense.model.roles import Role, SignalKind
from glutesense.profiles import diy_v1


def _packets(rng: np.random.Generator) -> list[RawPacket]:
    out = []
    seq = {StreamKind.EMG: 0xFFF0, StreamKind.IMU: 7}
    for k in range(400):
        dev = int(rng.integers(3))  # device 2 is not in the session
        kind = StreamKind.IMU if k % 9 == 0 else StreamKind.EMG
        n_ch = 6 if kind is StreamKind.IMU else (4 if k % 50 else 3)
        n = 25 if kind is StreamKind.EMG else 10
        counts = rng.integers(-32768, 32768, size=(n, n_ch)).astype(np.int16)
        counts[0, 0] = 0x7FFF if k % 11 == 0 else -0x8000
        flags = diy_v1.FLAG_CLOCK_RESTART if k == 200 else int(k % 13 == 0)
        fs = 2000 if kind is StreamKind.EMG else 100
        payload = diy_v1.encode(diy_v1.Packet(kind, seq[kind], 1000 * k, fs, counts, flags))
        seq[kind] = (seq[kind] + 1) & 0xFFFF
        if k % 37 == 0:
            none = np.zeros((0, 0), np.int16)
            payload = diy_v1.encode(diy_v1.Packet(StreamKind.MARK, k, 1000 * k, 2000, none, 0, k))
        if k % 41 == 0:
            payload = payload[:-2]  # wrong length
        if k % 43 == 0:
            payload = b"\x02" + payload[1:]  # wrong version
        if k % 47 == 0:
            payload = payload[:5]  # shorter than the header
        out.append(RawPacket(10**9 + k * 10**6, dev, 0, payload))
    return out


_OTHER = [Role.GLUTE_MED_L, Role.GLUTE_MED_R, Role.ERECTOR_L, Role.ERECTOR_R]
META = {
    "start_ns": 10**9,
    "devices": [
        {"profile": "diy-v1"},
        {
            "profile": "diy-v1",
            "channels": {
                "emg": [ChannelSpec(f"emg{i}", SignalKind.EMG, r).to_json() for i, r in enumerate(_OTHER)],
                "imu": [dataclasses.replace(c, role=None).to_json() for c in diy_v1.IMU_CHANNELS],
            },
        },
    ],
}


def _same(a: tuple[DecodedBlock, ...], b: tuple[DecodedBlock, ...]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert (x.device, x.t_rx_ns) == (y.device, y.t_rx_ns)
        bx, by = x.block, y.block
        assert (bx.stream, bx.seq, bx.device_t_us, bx.fs_hz, bx.marker, bx.flags) == (
            by.stream,
            by.seq,
            by.device_t_us,
            by.fs_hz,
            by.marker,
            by.flags,
        )
        assert bx.data.dtype == by.data.dtype == np.float64
        np.testing.assert_array_equal(bx.data, by.data)


@pytest.mark.parametrize("batch", [True, False])
def test_push_many_equals_push_one_by_one(batch: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not batch:  # a decoder without decode_many goes packet by packet
        monkeypatch.delattr(diy_v1.DiyV1Decoder, "decode_many")
    packets = _packets(np.random.default_rng(1))
    one, many = SessionDecoder(META), SessionDecoder(META)
    singles = [one.push(p) for p in packets]
    batched = many.push_many(packets[:150]) + many.push_many(packets[150:])
    for a, b in zip(singles, batched, strict=True):
        _same(a, b)
    assert (many.n_packets, many.n_malformed, many.malformed_examples) == (
        one.n_packets,
        one.n_malformed,
        one.malformed_examples,
    )
    assert one.n_malformed > 10
    rec_one, rec_many = one.recording(), many.recording()
    for s1, s2 in zip(rec_one.streams, rec_many.streams, strict=True):
        assert (s1.name, s1.fs_hz, s1.t0_s, s1.roles) == (s2.name, s2.fs_hz, s2.t0_s, s2.roles)
        np.testing.assert_array_equal(s1.data, s2.data)
    assert rec_one.packets == rec_many.packets


def test_decode_many_reads_boundary_codes_as_decode_does() -> None:
    counts = np.array([[0x7FFF, -0x8000, 0, -1], [1, -2, 0x7FFE, -0x7FFF]], dtype=np.int16)
    packets = [diy_v1.Packet(StreamKind.EMG, s, 10 * s, 1000, counts * (s % 2 or 1)) for s in range(5)]
    payloads = [diy_v1.encode(p) for p in packets]
    dec = diy_v1.DiyV1Decoder()
    got = dec.decode_many([0] * 5, payloads)
    for p, g in zip(payloads, got, strict=True):
        assert not isinstance(g, Exception)
        np.testing.assert_array_equal(g[0].data, dec.decode(0, p)[0].data)
    assert got[1][0].data[0, 1] == -0x8000 * diy_v1.EMG_UV_PER_COUNT  # type: ignore[index]


def test_stream_buffer_gives_back_the_blocks_it_was_given() -> None:
    from glutesense.decode.buffer import CHUNK_BLOCKS, StreamBuffer
    from glutesense.model.records import SampleBlock

    rng = np.random.default_rng(4)
    buf = StreamBuffer(StreamKind.EMG)
    given = []
    for k in range(3 * CHUNK_BLOCKS + 17):
        width = 3 if 300 <= k < 310 else 4
        block = SampleBlock(
            StreamKind.EMG,
            None if k % 5 == 0 else k,
            None if k % 7 == 0 else 2**40 + k,
            1000.0 + (k == 9),
            rng.standard_normal((int(rng.integers(1, 30)), width)),
            marker=k if k % 100 == 3 else None,
            flags=k % 4,
        )
        buf.append(block, 10**12 + k)
        given.append(block)
    assert len(buf) == len(given)
    assert buf.t_rx_ns() == [10**12 + k for k in range(len(given))]
    assert buf.nbytes == sum(b.data.nbytes for b in given) + 41 * len(given)  # 5 x 8-byte fields + 1
    for a, b in zip(buf.blocks(), given, strict=True):
        assert (a.stream, a.seq, a.device_t_us, a.fs_hz, a.marker, a.flags) == (
            b.stream,
            b.seq,
            b.device_t_us,
            b.fs_hz,
            b.marker,
            b.flags,
        )
        np.testing.assert_array_equal(a.data, b.data)
    from glutesense.decode.timeline import Packets

    a, b = buf.packets(), Packets.from_blocks(given)
    assert (a.kind, a.has_seq, a.has_clock) == (b.kind, b.has_seq, b.has_clock)
    assert (a.kind, a.has_seq, a.has_clock) == (StreamKind.EMG, False, False)
    for name in ("fs_hz", "seq", "device_t_us", "flags", "n_samples"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for x, y in zip(a.data, b.data, strict=True):
        np.testing.assert_array_equal(x, y)
