"""Streaming filters: chunk invariance (Hypothesis) and the zero-phase helper."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from glutesense.signal.filters import (
    SosFilter,
    design_bandpass,
    design_notch,
    zero_phase_lowpass,
)

FS_HZ = 1000.0
SIGNAL = np.random.default_rng(0).standard_normal(600) * 50.0 + 10.0


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=SIGNAL.size), max_size=12))
def test_any_chunking_gives_the_same_output(cuts: list[int]) -> None:
    sos = np.vstack([design_bandpass(20.0, 450.0, FS_HZ), design_notch(50.0, FS_HZ)])
    whole = SosFilter(sos).process(SIGNAL)
    f = SosFilter(sos)
    bounds = [0, *sorted(cuts), SIGNAL.size]
    pieces = [f.process(SIGNAL[a:b]) for a, b in itertools.pairwise(bounds)]
    np.testing.assert_allclose(np.concatenate(pieces), whole, rtol=0, atol=1e-9)


def test_reset_restarts_from_rest() -> None:
    sos = design_bandpass(20.0, 90.0, 200.0)
    f = SosFilter(sos)
    first = f.process(SIGNAL[:100])
    f.reset()
    np.testing.assert_allclose(f.process(SIGNAL[:100]), first)


def test_zero_phase_lowpass_has_no_delay() -> None:
    t = np.arange(2000) / FS_HZ
    x = np.sin(2 * np.pi * 2.0 * t)
    y = zero_phase_lowpass(x, 20.0, FS_HZ)
    lag = int(np.argmax(np.correlate(y, x, mode="full"))) - (x.size - 1)
    assert lag == 0
    np.testing.assert_allclose(y[200:-200], x[200:-200], atol=1e-2)


def test_zero_phase_lowpass_clips_cutoff_below_nyquist() -> None:
    y = zero_phase_lowpass(SIGNAL, 450.0, 200.0)  # 450 Hz cannot exist at 200 Hz: clipped, no error
    assert np.all(np.isfinite(y))
