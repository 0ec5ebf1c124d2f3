"""Sinusoid subtraction in blocks equals the whole-record least squares (issue 18: bounded memory)."""

from __future__ import annotations

import numpy as np
import pytest

from glutesense.signal.mains import harmonics_below, subtract_sinusoids


def _whole_record(x: np.ndarray, fs_hz: float, freqs_hz: tuple[float, ...]) -> np.ndarray:
    """The former implementation: one least squares over an n x 2k basis."""
    t_s = np.arange(x.size) / fs_hz
    basis = np.column_stack([f(2 * np.pi * fr * t_s) for fr in freqs_hz for f in (np.sin, np.cos)])
    coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
    return np.asarray(x - basis @ coef)


def _signal(n: int, fs_hz: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fs_hz
    return (30.0 * rng.standard_normal(n) + 50.0 * np.sin(2 * np.pi * 50.0 * t + 0.3)
            + 5.0 * np.cos(2 * np.pi * 150.0 * t) + 100.0 * np.sin(2 * np.pi * 0.3 * t))


@pytest.mark.parametrize("block_n", [1, 7, 1000, 4096, 16384, 10**6])
def test_blocks_equal_the_whole_record_fit(block_n: int) -> None:
    fs = 2000.0
    x = _signal(20_011, fs, 1)
    f = harmonics_below(50.0, fs)
    got = subtract_sinusoids(x, fs, f, block_n=block_n)
    np.testing.assert_allclose(got, _whole_record(x, fs, f), rtol=0, atol=1e-9)
    # and it removed the mains: what is left at 50 Hz is at the noise's level
    t = np.arange(x.size) / fs
    amp = 2.0 * abs(np.mean(got * np.exp(-2j * np.pi * 50.0 * t)))
    assert amp < 1.0


def test_long_record_within_the_phase_precision() -> None:
    # 200 s at 2 kHz: the whole-record basis itself is only about 1e-10 precise in phase at the end
    fs = 2000.0
    x = _signal(400_000, fs, 2)
    f = harmonics_below(60.0, fs)
    got = subtract_sinusoids(x, fs, f)
    assert float(np.max(np.abs(got - _whole_record(x, fs, f)))) < 1e-7 * float(np.std(x))


def test_short_and_empty_inputs() -> None:
    x = _signal(9, 1000.0, 3)
    f = harmonics_below(50.0, 1000.0)  # 9 harmonics: more columns than samples (minimum-norm fit)
    np.testing.assert_allclose(subtract_sinusoids(x, 1000.0, f), _whole_record(x, 1000.0, f), atol=1e-9)
    np.testing.assert_array_equal(subtract_sinusoids(x[:5], 1000.0, f), x[:5])
    np.testing.assert_array_equal(subtract_sinusoids(x, 1000.0, ()), x)
