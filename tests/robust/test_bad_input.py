"""The bad-input table: every case exits 2 with one line naming the file and the problem.

No traceback, no "internal error", no verdict.  Cases from issue 16.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import edfio
import numpy as np
import pytest

from glutesense.cli.main import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from test_edf_errors import good_edf_bytes, header_with

FS_HZ = 1000
N = 3000


def _rows(n: int = N) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.normal(0, 20, (n, 2))


def _csv(path: Path, header: str, rows: np.ndarray) -> Path:
    path.write_text(header + "\n" + "\n".join(",".join(f"{v:.9g}" for v in r) for r in rows) + "\n")
    return path


def plain_csv(tmp: Path) -> Path:
    return _csv(tmp / "raw.csv", "ch1,ch2", _rows())


def timed_csv(tmp: Path, t: np.ndarray | None = None, x: np.ndarray | None = None) -> Path:
    t = np.arange(N) / FS_HZ if t is None else t
    x = _rows(t.size) if x is None else x
    return _csv(tmp / "timed.csv", "time_s,glute_max_l,hamstring_l", np.column_stack([t, x]))


def _edf_plus_d(start: bytes) -> bytes:
    x = np.arange(4000.0) % 1000 - 500
    sig = edfio.EdfSignal(x, 1000, label="glute_max_l", physical_dimension="uV", physical_range=(-600, 600))
    raw = bytearray(edfio.Edf([sig], annotations=[edfio.EdfAnnotation(0.5, None, "cue")]).to_bytes())
    raw[192:197] = b"EDF+D"
    old = b"+3\x14\x14" + bytes(len(start) - 2)  # last record; the TAL's padding takes the digits
    assert raw.count(old) == 1
    return bytes(raw).replace(old, start + b"\x14\x14")


def _events(tmp: Path, text: str) -> str:
    p = tmp / "ev.tsv"
    p.write_text("onset\tduration\ttrial_type\n" + text)
    return str(p)


def _outlier_row(tmp: Path) -> Path:
    return timed_csv(tmp, np.append(np.arange(N - 1) / FS_HZ, 1e6))


def _unsorted(tmp: Path) -> Path:
    t = np.arange(N) / FS_HZ
    t[100], t[101] = t[101], t[100]
    return timed_csv(tmp, t)


def _edf(tmp: Path, raw: bytes) -> Path:
    p = tmp / "in.edf"
    p.write_bytes(raw)
    return p


_NS = 2  # good_edf_bytes: the EMG and the annotation signal
_PHYS_MIN_AT = 256 + _NS * (16 + 80 + 8)

# case: (make the input file -> path, extra CLI args (tmp -> list), text the one line must hold)
MAP = ["--map", "glute_max_l=ch1,hamstring_l=ch2"]
Case = tuple[Callable[[Path], Path], Callable[[Path], list[str]], str]
CASES: dict[str, Case] = {
    "fs_inf": (plain_csv, lambda t: ["--fs", "inf", *MAP], "--fs inf Hz"),
    "fs_nan": (plain_csv, lambda t: ["--fs", "nan", *MAP], "--fs nan Hz"),
    "fs_huge": (plain_csv, lambda t: ["--fs", "1e12", *MAP], "--fs 1e+12"),
    "fs_zero": (plain_csv, lambda t: ["--fs", "0", *MAP], "not a usable"),
    "fs_negative": (plain_csv, lambda t: ["--fs=-500", *MAP], "not a usable"),
    "empty_csv": (
        lambda t: _csv(t / "e.csv", "", np.zeros((0, 0))).write_text("") or t / "e.csv",
        lambda t: [],
        "the file is empty",
    ),
    "header_only_csv": (
        lambda t: _csv(t / "h.csv", "time_s,glute_max_l", np.zeros((0, 2))),
        lambda t: [],
        "no rows",
    ),
    "outlying_time_row": (_outlier_row, lambda t: [], "the time column span"),
    "unsorted_time": (_unsorted, lambda t: [], "must hold increasing numbers"),
    "same_column_twice": (
        plain_csv,
        lambda t: ["--fs", "1000", "--map", "glute_max_l=ch1,hamstring_l=ch1"],
        "mapped to both glute_max_l and hamstring_l",
    ),
    "emg_times_1e30": (lambda t: timed_csv(t, x=_rows() * 1e30), lambda t: [], "beyond any recorder's range"),
    "event_nan": (timed_csv, lambda t: ["--events", _events(t, "nan\t0\tcue\n")], "must be finite"),
    "event_inf": (timed_csv, lambda t: ["--events", _events(t, "inf\t0\tcue\n")], "must be finite"),
    "event_after_end": (
        timed_csv,
        lambda t: ["--events", _events(t, "1.0\t0\tcue\n1e9\t0\tcue\n")],
        "outside the recording",
    ),
    "event_before_start": (
        timed_csv,
        lambda t: ["--events", _events(t, "-50\t0\tcue\n")],
        "outside the recording",
    ),
    "event_negative_duration": (
        timed_csv,
        lambda t: ["--events", _events(t, "1.0\t-3\tcue\n")],
        "not negative",
    ),
    "edf_truncated_header": (lambda t: _edf(t, good_edf_bytes()[:300]), lambda t: [], "truncated EDF header"),
    "edf_wrong_magic": (lambda t: _edf(t, b"1       " + good_edf_bytes()[8:]), lambda t: [], "not an EDF"),
    "edf_no_signals": (
        lambda t: _edf(t, header_with(good_edf_bytes()[:256], 252, b"0   ")),
        lambda t: [],
        "declares 0 signals",
    ),
    "edf_no_emg": (lambda t: _edf(t, good_edf_bytes(label="acc_x", unit="g")), lambda t: [], "no EMG signal"),
    "edf_record_duration_0": (
        lambda t: _edf(t, header_with(good_edf_bytes(), 244, b"0       ")),
        lambda t: [],
        "data record duration is '0'",
    ),
    "edf_physical_min_abc": (
        lambda t: _edf(t, header_with(good_edf_bytes(), _PHYS_MIN_AT, b"abc     ")),
        lambda t: [],
        "physical minimum 'abc', not a number",
    ),
    "edf_plus_d_start_far": (lambda t: _edf(t, _edf_plus_d(b"+2000000")), lambda t: [], "record times span"),
    "session_garbage": (
        lambda t: (t / "s.gses").write_bytes(b"GLUTESNS\x02\x00\x00\x00junk") and t / "s.gses",
        lambda t: [],
        "metadata is missing or damaged",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_with_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, extra, expected = CASES[case]
    path = make(tmp_path)
    rc = main(
        ["analyze", str(path), "--protocol", "bridge", "--out", str(tmp_path / "out"), *extra(tmp_path)]
    )
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert rc == 2, err
    assert len(err.splitlines()) == 1, err
    assert str(path) in err and expected in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert not (tmp_path / "out" / "report.html").exists() and "fires" not in captured.out
