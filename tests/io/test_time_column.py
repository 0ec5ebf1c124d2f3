"""A CSV's time column taken for what it is (issue 11, item 4): rounded, jittery, with gaps.

``%g``-style writers keep six significant digits, so past 100 s a 2 kHz column holds pairs of one
value, and past 1000 s a 1 kHz column runs of ten; a host clock stamps rows with jitter.  Each is
read at the rate of the whole column with every row on its own sample and a note; a real gap stays
a gap, and time going back is refused with one line naming the file and the column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glutesense.io import InputError, load_recording
from glutesense.model.roles import Role


def _write(path: Path, times: list[str] | np.ndarray, x: np.ndarray) -> Path:
    rows = (f"{t},{v:.6g}" for t, v in zip(times, x, strict=True))
    path.write_text("time_s,glute_max_l\n" + "\n".join(rows) + "\n")
    return path


def _values(x: np.ndarray) -> np.ndarray:
    return np.array([float(f"{v:.6g}") for v in x])


def _signal(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 20, n)


def _notes(rec: object) -> str:
    return " | ".join(rec.info.import_notes)  # type: ignore[attr-defined]


def test_six_significant_digits_at_2_khz_past_100_s(tmp_path: Path) -> None:
    fs_hz, n = 2000.0, 220_000  # 110 s: from 100 s on, 100.0005 is written 100 or 100.001
    t = np.arange(n) / fs_hz
    x = _signal(n)
    p = _write(tmp_path / "g6.csv", np.char.mod("%.6g", t), x)
    assert np.count_nonzero(np.diff([float(v) for v in np.char.mod("%.6g", t)]) == 0) > 5000
    rec = load_recording(p)
    s = rec.stream_of(Role.GLUTE_MAX_L)
    assert (s.fs_hz, s.t0_s, s.data.shape) == (2000.0, 0.0, (1, n))
    np.testing.assert_array_equal(s.data[0], _values(x))  # every row on its own sample, none moved
    notes = _notes(rec)
    assert "holds repeated values" in notes and "written with 6 significant digits?" in notes
    assert "sample rate 2000 Hz taken from the whole column" in notes


def test_g_at_1_khz_past_1000_s(tmp_path: Path) -> None:
    # a device clock that reads 990 s at the start: from 1000 s on "%g" keeps two decimals
    fs_hz, n = 1000.0, 30_000
    t = 990.0 + np.arange(n) / fs_hz
    x = _signal(n, 1)
    rec = load_recording(_write(tmp_path / "g1k.csv", np.char.mod("%g", t), x))
    s = rec.stream_of(Role.GLUTE_MAX_L)
    assert (s.fs_hz, s.t0_s, s.data.shape) == (1000.0, 990.0, (1, n))
    np.testing.assert_array_equal(s.data[0], _values(x))
    assert "6 significant digits?" in _notes(rec)


def test_fixed_decimals_too_few_for_the_rate(tmp_path: Path) -> None:
    fs_hz, n = 2000.0, 20_000
    rec = load_recording(_write(tmp_path / "f3.csv", np.char.mod("%.3f", np.arange(n) / fs_hz), _signal(n)))
    s = rec.stream_of(Role.GLUTE_MAX_L)
    assert (s.fs_hz, s.t0_s, s.data.shape) == (2000.0, 0.0, (1, n))
    assert "written to 0.001 s?" in _notes(rec)


@pytest.mark.parametrize("fmt", ["%.9f", "%.6g"])
def test_jittery_clock(tmp_path: Path, fmt: str) -> None:
    fs_hz, n = 2000.0, 240_000
    rng = np.random.default_rng(4)
    t = np.arange(n) / fs_hz + rng.uniform(-0.2, 0.2, n) / fs_hz  # ±20 % of a sample period
    x = _signal(n, 2)
    rec = load_recording(_write(tmp_path / "jitter.csv", np.char.mod(fmt, t), x))
    s = rec.stream_of(Role.GLUTE_MAX_L)
    assert s.fs_hz == 2000.0 and s.data.shape == (1, n)
    assert abs(s.t0_s) < 0.2 / fs_hz
    np.testing.assert_array_equal(s.data[0], _values(x))
    notes = _notes(rec)
    assert ("jitters by up to" in notes) if fmt == "%.9f" else ("repeated values" in notes), notes


@pytest.mark.parametrize("missing", [10, 1000])
def test_a_gap_in_a_rounded_column_stays_a_gap(tmp_path: Path, missing: int) -> None:
    fs_hz, n, at = 2000.0, 240_000, 220_000  # rows missing from 110 s on, where values repeat
    keep = np.ones(n, dtype=bool)
    keep[at : at + missing] = False
    t = np.arange(n) / fs_hz
    x = _signal(n, 3)
    rec = load_recording(_write(tmp_path / "gap.csv", np.char.mod("%.6g", t[keep]), x[keep]))
    s = rec.stream_of(Role.GLUTE_MAX_L)
    assert s.fs_hz == 2000.0 and s.data.shape == (1, n)
    lost = np.flatnonzero(np.isnan(s.data[0]))
    np.testing.assert_array_equal(lost, np.arange(at, at + missing))
    np.testing.assert_array_equal(s.data[0, keep], _values(x[keep]))
    assert "jumps over 1 gap(s)" in _notes(rec)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda t: np.where(t >= 75.0, t - 3.0, t), "goes back from 74.9995 to 72 s at data row 150001"),
        (lambda t: np.r_[t[:100], t[101], t[100], t[102:]], "back from 0.0505 to 0.05 s at data row 102"),
    ],
)
def test_time_going_back_is_refused(tmp_path: Path, make: object, said: str) -> None:
    t = make(np.arange(240_000) / 2000.0)  # type: ignore[operator]
    p = _write(tmp_path / "back.csv", np.char.mod("%.6g", t), _signal(t.size))
    with pytest.raises(InputError) as e:
        load_recording(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: column 'time_s' must hold increasing numbers") and said in msg, msg
    assert len(msg.splitlines()) == 1


def test_a_time_column_of_one_value_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path / "flat.csv", ["0.000"] * 50, _signal(50))
    with pytest.raises(InputError, match="must hold increasing numbers"):
        load_recording(p)


ROWS = "".join(f"{i / 1000},{i % 5},{i % 3}\n" for i in range(300))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (ROWS, "the first line holds numbers (0.0, 0"),
        ("Exported by EMGworks 4.7\ntime_s,glute_max_l,hamstring_l\n" + ROWS, "a title above the header?"),
        ("time_s:glute_max_l:hamstring_l\n" + ROWS.replace(",", ":"), "the header was read as one column"),
    ],
)
def test_a_misread_header_names_the_file_and_what_was_expected(tmp_path: Path, text: str, said: str) -> None:
    p = tmp_path / "odd.csv"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        load_recording(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: ") and said in msg, msg
    if "one column" in said:
        assert "expected columns separated by" in msg
    else:
        assert "expected a first line (after '#' comments) naming the columns: time_s" in msg


def test_decimal_commas_with_semicolons(tmp_path: Path) -> None:
    p = tmp_path / "de.csv"
    rows = "".join(f"{i / 1000:.3f};{i % 5}.25;-{i % 3}.5\n".replace(".", ",") for i in range(300))
    p.write_text("time_s;glute_max_l;hamstring_l\n" + rows)
    rec = load_recording(p)
    s = rec.stream_of(Role.GLUTE_MAX_L)
    assert s.fs_hz == 1000.0
    np.testing.assert_allclose(s.data[:, :3], [[0.25, 1.25, 2.25], [-0.5, -1.5, -2.5]])


def test_whole_milliseconds_at_2_khz(tmp_path: Path) -> None:
    fs_hz, n = 2000.0, 20_000
    x = _signal(n, 5)
    ms = np.char.mod("%.0f", np.arange(n) * 1000 / fs_hz)  # rounded, half to even: 0 0 1 2 2 2 3 4 ...
    rows = (f"{t},{v:.6g}" for t, v in zip(ms, x, strict=True))
    p = tmp_path / "ms.csv"
    p.write_text("time_ms,glute_max_l\n" + "\n".join(rows) + "\n")
    rec = load_recording(p)
    s = rec.stream_of(Role.GLUTE_MAX_L)
    assert (s.fs_hz, s.data.shape) == (2000.0, (1, n)) and abs(s.t0_s) < 1e-5
    np.testing.assert_array_equal(s.data[0], _values(x))
    assert "column 'time_ms' holds repeated values" in _notes(rec) and "written to 0.001 s?" in _notes(rec)
