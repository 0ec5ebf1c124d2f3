"""Decoders never raise on arbitrary bytes except MalformedPacket, and what they return fits
the profile's channel specs.  Thousands of payloads per profile, random and structured."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glutesense.model.records import SampleBlock
from glutesense.profiles import get_profile
from glutesense.profiles.base import DeviceProfile, MalformedPacket

N_EXAMPLES = 200


def _polar_payloads() -> st.SearchStrategy[bytes]:
    header = st.builds(
        lambda m, ts, ft: bytes([m]) + ts.to_bytes(8, "little") + bytes([ft]),
        st.sampled_from([0, 2, 0x42, 1, 63]),
        st.integers(0, 2**64 - 1),
        st.sampled_from([0, 1, 2, 0x80, 0x81, 0x82, 0x7F]),
    )
    # well-formed delta blocks (3 channels) as often as broken ones
    good_block = st.integers(0, 32).flatmap(
        lambda bits: st.integers(0, 20).flatmap(
            lambda n: st.binary(min_size=(bits * n * 3 + 7) // 8, max_size=(bits * n * 3 + 7) // 8).map(
                lambda body: bytes([bits, n]) + body
            )
        )
    )
    bad_block = st.builds(
        lambda b, n, body: bytes([b, n]) + body,
        st.integers(0, 255),
        st.integers(0, 255),
        st.binary(max_size=40),
    )
    compressed = st.builds(
        lambda ts, ft, ref, blocks: (
            bytes([2]) + ts.to_bytes(8, "little") + bytes([ft]) + ref + b"".join(blocks)
        ),
        st.integers(0, 2**64 - 1),
        st.sampled_from([0x80, 0x81]),
        st.binary(min_size=6, max_size=6),
        st.lists(st.one_of(good_block, good_block, bad_block), max_size=4),
    )
    raw = st.builds(
        lambda m, ts, ft, k, body: bytes([m]) + ts.to_bytes(8, "little") + bytes([ft]) + body[: k * 6],
        st.sampled_from([0, 2]),
        st.integers(0, 2**64 - 1),
        st.sampled_from([0, 1, 2]),
        st.integers(0, 8),
        st.binary(min_size=48, max_size=48),
    )
    loose = st.builds(lambda h, b: h + b, header, st.binary(max_size=60))
    return st.one_of(st.binary(max_size=80), loose, compressed, raw)


def _control_point_payloads() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=24),
        st.builds(lambda tail: bytes([0xF0, 0x02, 0x02, 0x00, 0x00]) + tail, st.binary(max_size=20)),
        st.builds(lambda s: bytes([0xF0, 0x02, 0x02, s]), st.integers(0, 255)),
    )


def _ganglion_payloads() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=24),
        st.builds(
            lambda pid, body: bytes([pid]) + body, st.integers(0, 255), st.binary(min_size=19, max_size=19)
        ),
    )


def _ascii_payloads() -> st.SearchStrategy[bytes]:
    text = st.text(alphabet="0123456789,.-+e \r\nnaifNA", max_size=60).map(lambda t: t.encode("ascii"))
    number = st.one_of(st.integers(-5000, 5000).map(str), st.floats(allow_nan=False, width=32).map(repr))
    lines = st.lists(st.lists(number, min_size=1, max_size=3).map(",".join), max_size=4).map(
        lambda ls: ("\n".join(ls) + "\n").encode("ascii")
    )
    return st.one_of(text, lines, lines, st.binary(max_size=40))


def _myo_payloads() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(min_size=16, max_size=16), st.binary(min_size=20, max_size=20), st.binary(max_size=24)
    )


def _packets(profile: DeviceProfile) -> st.SearchStrategy[list[tuple[int, bytes]]]:
    n_chars = len(profile.notify_chars)
    name = profile.name
    if name.startswith("polar"):
        one = st.one_of(
            st.tuples(st.just(0), _polar_payloads()),
            st.tuples(st.just(1), _control_point_payloads()),
            st.tuples(st.integers(-1, 3), st.binary(max_size=8)),
        )
    elif name.startswith("ganglion"):
        one = st.tuples(st.integers(-1, 1), _ganglion_payloads())
    elif name == "myo":
        one = st.tuples(st.integers(-1, n_chars), _myo_payloads())
    else:
        one = st.tuples(st.integers(-1, 1), _ascii_payloads())
    return st.lists(one, min_size=10, max_size=40)


def _check_block(profile: DeviceProfile, block: SampleBlock) -> None:
    assert isinstance(block, SampleBlock)
    specs = profile.channels[block.stream]
    assert block.data.dtype == np.float64
    assert block.data.ndim == 2
    assert block.data.shape[1] == len(specs)
    assert block.fs_hz > 0
    assert not np.isinf(block.data).any()
    assert block.seq is None or block.seq >= 0
    assert block.device_t_us is None or block.device_t_us >= 0


@pytest.mark.parametrize(
    "name",
    [
        "myoware-ble-uart",
        "polar-h10",
        "polar-h10-ecg",
        "polar-verity-sense",
        "ganglion",
        "ganglion-fw2",
        "myo",
    ],
)
def test_decoders_only_raise_malformed(name: str) -> None:
    profile = get_profile(name)

    @settings(max_examples=N_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(packets=_packets(profile))
    def run(packets: list[tuple[int, bytes]]) -> None:
        decoder = profile.new_decoder()
        for char, payload in packets:
            try:
                blocks = decoder.decode(char, payload)
            except MalformedPacket:
                continue
            assert isinstance(blocks, tuple)
            for block in blocks:
                _check_block(profile, block)

    run()
