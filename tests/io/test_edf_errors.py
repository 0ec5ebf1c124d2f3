"""Damaged or unsuitable EDF/BDF files: one-line InputError naming the file, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import edfio
import numpy as np
import pytest

from glutesense.io import InputError, load_recording
from glutesense.io.edf import read_edf


def good_edf_bytes(label: str = "glute_max_l", unit: str = "uV") -> bytes:
    x = np.sin(np.arange(3000) / 7.0) * 100
    sig = edfio.EdfSignal(x, 1000, label=label, physical_dimension=unit, physical_range=(-200, 200))
    f = edfio.Edf([sig], annotations=[edfio.EdfAnnotation(1.0, None, "cue")])
    return f.to_bytes()


def header_with(raw: bytes, at: int, field: bytes) -> bytes:
    return raw[:at] + field + raw[at + len(field) :]


CASES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "empty": (lambda raw: b"", "the file is empty"),
    "garbage": (lambda raw: bytes(range(256)) * 4, "not an EDF or BDF file"),
    "csv_named_edf": (lambda raw: b"time_s,glute_max_l\n0,1\n", "not an EDF or BDF file"),
    "header_cut": (lambda raw: raw[:300], "truncated EDF header"),
    "fixed_header_only": (lambda raw: raw[:200], "truncated EDF header"),
    "signal_count_garbage": (lambda raw: header_with(raw, 252, b"ab  "), "damaged EDF header"),
    "record_duration_garbage": (lambda raw: header_with(raw, 244, b"x.y     "), "data record duration is"),
    "no_data_records": (lambda raw: raw[:768], "no complete data record"),
    "annotations_garbage": (lambda raw: raw.replace(b"+1\x14cue", b"\xff\xfe\xfdcue"),
                            "unreadable EDF+ annotations"),
    "no_emg": (lambda raw: good_edf_bytes(label="acc_x", unit="g"), "no EMG signal"),
    "bad_unit": (lambda raw: good_edf_bytes(unit="furlong"), "has unit 'furlong'"),
}


@pytest.mark.parametrize("case", CASES)
def test_damaged_file_gives_one_line_input_error(case: str, tmp_path: Path) -> None:
    damage, expected = CASES[case]
    path = tmp_path / f"{case}.edf"
    path.write_bytes(damage(good_edf_bytes()))
    with pytest.raises(InputError) as err:
        load_recording(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: ")
    assert expected in msg
    assert "\n" not in msg


def test_truncated_data_keeps_complete_records_and_says_so(tmp_path: Path) -> None:
    raw = good_edf_bytes()
    path = tmp_path / "cut.edf"
    path.write_bytes(raw[: len(raw) - 500])  # the last 1 s data record is incomplete
    rec = read_edf(path)
    assert rec.signal(rec.roles[0])[0].size == 2000
    assert any("truncated" in n for n in rec.meta["import_notes"])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_edf(tmp_path / "nope.edf")


def test_map_to_a_missing_label(tmp_path: Path) -> None:
    path = tmp_path / "ok.edf"
    path.write_bytes(good_edf_bytes())
    from glutesense.model.roles import Role

    with pytest.raises(InputError, match="not in the file"):
        read_edf(path, mapping={Role.HAMSTRING_L: "EMG9"})
