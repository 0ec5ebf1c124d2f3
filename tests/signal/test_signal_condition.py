"""Conditioning adapted to the sample rate, mains detection, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from glutesense.signal.condition import condition_emg
from glutesense.signal.mains import detect_mains_hz, harmonics_below


def _noise_with_hum(fs_hz: float, mains_hz: float | None, seconds: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * fs_hz)) / fs_hz
    x = 5.0 * rng.standard_normal(t.size) + 40.0 * np.sin(2 * np.pi * 0.2 * t) + 25.0
    if mains_hz is not None:
        x += 30.0 * np.sin(2 * np.pi * mains_hz * t)
    return x


def test_200_hz_adapts_band_and_says_so() -> None:
    c = condition_emg(_noise_with_hum(200.0, 50.0), 200.0, label="glute_max_l")
    assert c.band_hz == (20.0, 90.0)
    assert any("90 Hz" in n and "glute_max_l" in n for n in c.notes)
    assert c.mains_hz == 50.0
    assert c.notch_hz == (50.0,)
    assert np.all(np.isfinite(c.signal_uv))


def test_absurd_rate_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="too low for surface EMG"):
        condition_emg(np.zeros(100), 40.0, label="hamstring_r")


@pytest.mark.parametrize(
    ("fs_hz", "mains_hz"), [(1000.0, 50.0), (1000.0, 60.0), (2000.0, 60.0), (500.0, None)]
)
def test_mains_detected_from_the_data(fs_hz: float, mains_hz: float | None) -> None:
    assert detect_mains_hz(_noise_with_hum(fs_hz, mains_hz), fs_hz) == mains_hz


def test_harmonics_stay_below_nyquist() -> None:
    assert harmonics_below(50.0, 200.0) == (50.0,)
    assert harmonics_below(60.0, 1000.0) == (60.0, 120.0, 180.0, 240.0, 300.0, 360.0, 420.0)


def test_hum_wander_and_dc_removed() -> None:
    fs = 1000.0
    clean = condition_emg(_noise_with_hum(fs, None), fs, settings=None).signal_uv
    hum = condition_emg(_noise_with_hum(fs, 50.0), fs).signal_uv
    # the hum adds less than 5 % to the conditioned RMS, and the mean is ~0
    assert np.std(hum[1000:-1000]) < 1.05 * np.std(clean[1000:-1000])
    assert abs(np.mean(hum)) < 0.5


def test_nan_gap_stays_a_gap_and_does_not_poison() -> None:
    fs = 1000.0
    x = _noise_with_hum(fs, 50.0)
    x[3000:3200] = np.nan
    c = condition_emg(x, fs)
    assert np.all(np.isnan(c.signal_uv[3000:3200]))
    assert np.all(np.isfinite(c.signal_uv[:3000]))
    assert np.all(np.isfinite(c.signal_uv[3200:]))
    assert any("gap" in n for n in c.notes)
