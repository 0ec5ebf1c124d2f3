"""MyoWare 2.0 Wireless Shield ASCII decoder ("env,raw" lines over Nordic UART).

Units follow Advancer Technologies' MyoWare Arduino library (``MyoWare.h``: 12-bit ADC,
3.3 V, RAW gain 200); the line format is the official BLE UART example's.  The vectors are
our own: the vendor publishes no byte vectors for this format.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from glutesense.model.records import StreamKind
from glutesense.model.roles import Role
from glutesense.profiles import get_profile
from glutesense.profiles.base import MalformedPacket
from glutesense.profiles.myoware_ascii import RAW_UV_PER_COUNT, MyoWareAsciiDecoder


def test_raw_scale_is_adc_volts_over_gain() -> None:
    assert math.isclose(RAW_UV_PER_COUNT, 3.3 / 4096 / 200 * 1e6)
    assert math.isclose(RAW_UV_PER_COUNT, 4.0283203125)


def test_env_raw_lines() -> None:
    (block,) = MyoWareAsciiDecoder().decode(0, b"812,-35\n790,40\n")
    assert block.stream is StreamKind.EMG
    assert block.seq is None
    assert block.device_t_us is None
    np.testing.assert_allclose(block.data, [[-35 * RAW_UV_PER_COUNT, 812], [40 * RAW_UV_PER_COUNT, 790]])


def test_lines_split_across_notifications_and_crlf() -> None:
    decoder = MyoWareAsciiDecoder()
    assert decoder.decode(0, b"812,-3") == ()
    (block,) = decoder.decode(0, b"5\r\n79")
    np.testing.assert_allclose(block.data, [[-35 * RAW_UV_PER_COUNT, 812]])
    (block,) = decoder.decode(0, b"0,40\n")
    np.testing.assert_allclose(block.data, [[40 * RAW_UV_PER_COUNT, 790]])


def test_single_value_lines_are_raw_and_millivolt_option() -> None:
    (block,) = MyoWareAsciiDecoder().decode(0, b"-0.25000000000000000000\n")
    assert block.data[0, 0] == pytest.approx(-0.25 * RAW_UV_PER_COUNT)
    assert math.isnan(block.data[0, 1])
    (block,) = MyoWareAsciiDecoder(raw_unit="mV").decode(0, b"1.5,-0.25\n")
    assert block.data[0].tolist() == [-250.0, 1.5]


def test_column_order_is_configurable() -> None:
    (block,) = MyoWareAsciiDecoder(columns=("raw", "env", "ref")).decode(0, b"10,500,2048\n")
    assert block.data[0].tolist() == [10 * RAW_UV_PER_COUNT, 500.0]


@pytest.mark.parametrize(
    "payload", [b"12,abc\n", b"1,2,3\n", b"nan,1\n", b"\xff\xfe\n", b"1" * 200, b"inf\n"]
)
def test_malformed(payload: bytes) -> None:
    with pytest.raises(MalformedPacket):
        MyoWareAsciiDecoder().decode(0, payload)


def test_recovers_after_a_malformed_line() -> None:
    decoder = MyoWareAsciiDecoder()
    with pytest.raises(MalformedPacket):
        decoder.decode(0, b"x" * 200)
    (block,) = decoder.decode(0, b"1,2\n")
    assert block.n_samples == 1


def test_profile_says_timing_comes_from_arrival() -> None:
    profile = get_profile("myoware-ble-uart")
    assert not profile.has_device_clock
    assert "no device clock: timing from arrival only" in profile.description
    assert profile.default_roles() == {"raw": Role.GLUTE_MAX_L}
    assert profile.name_prefixes == ("MyoW",)


@pytest.mark.parametrize(
    ("payload", "raw_unit"),
    [
        (b"1e308\n", "adc"),  # finite, but x 4.028 uV is inf: issue 16
        (b"4097\n", "adc"),
        (b"-5000\n", "adc"),
        (b"5000,100\n", "adc"),  # ENV beyond 12 bits
        (b"16.6\n", "mV"),  # 3.3 V / gain 200 = 16.5 mV at most
    ],
)
def test_values_beyond_the_12_bit_range_are_malformed(payload: bytes, raw_unit: str) -> None:
    with pytest.raises(MalformedPacket, match="beyond the 12-bit ADC's range"):
        MyoWareAsciiDecoder(raw_unit=raw_unit).decode(0, payload)


def test_the_whole_12_bit_range_decodes() -> None:
    (block,) = MyoWareAsciiDecoder().decode(0, b"4096,-4096\n0,4095\n")
    np.testing.assert_allclose(block.data[:, 0], [-4096 * RAW_UV_PER_COUNT, 4095 * RAW_UV_PER_COUNT])
    (block,) = MyoWareAsciiDecoder(raw_unit="mV").decode(0, b"-16.5\n")
    assert block.data[0, 0] == pytest.approx(-16500.0)
