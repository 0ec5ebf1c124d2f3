"""XDF samples on the grid: a device clock off its nominal rate makes no holes, a real break does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.xdf_writer import XdfStream, write_xdf

from glutesense.io.common import InputError
from glutesense.io.xdf import read_xdf

pytest.importorskip("pyxdf")

LABELS = ["glute_max_l", "hamstring_l"]


def _write(path: Path, ts: np.ndarray, fs_nominal: float = 1000.0) -> np.ndarray:
    values = np.column_stack([np.arange(ts.size, dtype=float), -np.arange(ts.size, dtype=float)])
    write_xdf(path, [XdfStream("emg", "EMG", fs_nominal, LABELS, ["uV", "uV"], ts, values.tolist())])
    return values


@pytest.mark.parametrize("true_hz", [998.3, 1000.0, 1001.7])
def test_clock_off_nominal_rate_leaves_no_hole(tmp_path: Path, true_hz: float) -> None:
    n = 30_000  # 30 s: at 0.17 % off, gridding at the nominal rate made ~50 empty slots
    ts = 100.0 + np.arange(n) / true_hz
    values = _write(tmp_path / "a.xdf", ts)
    (s,) = read_xdf(tmp_path / "a.xdf").streams
    assert s.data.shape == (2, n)
    assert not np.isnan(s.data).any()
    np.testing.assert_array_equal(s.data[0], values[:, 0])  # every sample, in order, none dropped
    assert s.fs_hz == pytest.approx(true_hz, rel=1e-6)


def test_a_real_break_is_lost_data_of_its_length(tmp_path: Path) -> None:
    fs = 999.0  # a little off nominal, so the grid rate is the measured one
    before, after, gap_s = 8000, 8000, 2.5
    ts = np.concatenate([np.arange(before) / fs, (before - 1) / fs + gap_s + np.arange(after) / fs])
    values = _write(tmp_path / "b.xdf", ts)
    (s,) = read_xdf(tmp_path / "b.xdf").streams
    lost = np.isnan(s.data[0])
    assert lost[:before].sum() == 0 and lost[-after:].sum() == 0
    assert abs(int(lost.sum()) - round((gap_s - 1 / fs) * s.fs_hz)) <= 1
    np.testing.assert_array_equal(s.data[0][~lost], values[:, 0])  # nothing else lost or moved


def test_one_outlying_stamp_is_refused_not_allocated(tmp_path: Path) -> None:
    ts = np.arange(2000) / 1000.0
    ts[-1] = 1e6
    _write(tmp_path / "c.xdf", ts)
    with pytest.raises(InputError, match="damaged time value"):
        read_xdf(tmp_path / "c.xdf")
