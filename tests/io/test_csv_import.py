"""CSV import: roles by name, --map, units, time column, events beside the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glutesense.io import InputError, load_recording, parse_map
from glutesense.model.roles import Role


def _write_csv(path: Path, header: str, rows: np.ndarray) -> None:
    path.write_text(header + "\n" + "\n".join(",".join(f"{v:.6g}" for v in r) for r in rows) + "\n")


def test_roles_by_name_time_and_events(tmp_path: Path) -> None:
    t = np.arange(2000) / 500.0
    rows = np.column_stack([t, np.sin(t), np.cos(t), t * 0 + 1.0])
    p = tmp_path / "bridge.csv"
    _write_csv(p, "time_s,glute_max_l,hamstring_l,acc_z", rows)
    (tmp_path / "bridge_events.tsv").write_text("onset\tduration\ttrial_type\n1.5\t0\tcue\n0\t1.0\trest\n")
    rec = load_recording(p)
    emg = rec.stream_of(Role.GLUTE_MAX_L)
    assert emg.fs_hz == pytest.approx(500.0)
    assert emg.roles == (Role.GLUTE_MAX_L, Role.HAMSTRING_L)
    np.testing.assert_allclose(emg.row(Role.HAMSTRING_L), np.cos(t), atol=1e-5)
    assert rec.has(Role.ACC_Z)
    assert [(e.onset_s, e.trial_type) for e in rec.events] == [(0.0, "rest"), (1.5, "cue")]


def test_map_units_and_fs(tmp_path: Path) -> None:
    rows = np.column_stack([np.full(100, 0.5), np.full(100, -0.25)])
    p = tmp_path / "raw.csv"
    _write_csv(p, "ch1,ch2 (mV)", rows)
    rec = load_recording(
        p, fs_hz=1000, mapping=parse_map("glute_max_r=ch1,hamstring_r=ch2 (mV)"), emg_unit="mV"
    )
    np.testing.assert_allclose(rec.signal(Role.GLUTE_MAX_R)[0], 500.0)
    np.testing.assert_allclose(rec.signal(Role.HAMSTRING_R)[0], -250.0)
    assert rec.signal(Role.GLUTE_MAX_R)[1] == 1000


def test_unit_in_header(tmp_path: Path) -> None:
    t = np.arange(10) / 1000
    p = tmp_path / "u.csv"
    _write_csv(p, "time_s,glute_max_l_mv,hamstring_l (V)", np.column_stack([t, t * 0 + 1, t * 0 + 1e-3]))
    rec = load_recording(p)
    assert rec.signal(Role.GLUTE_MAX_L)[0][0] == pytest.approx(1000.0)
    assert rec.signal(Role.HAMSTRING_L)[0][0] == pytest.approx(1000.0)


@pytest.mark.parametrize(
    ("header", "kwargs", "message"),
    [
        ("glute_max_l,hamstring_l", {}, "no time column"),
        ("time_s,foo,bar", {}, "no EMG column"),
        ("time_s,glute_max_l", {"mapping": {Role.HAMSTRING_L: "nope"}}, "not in the file"),
    ],
)
def test_bad_csv_names_file_and_problem(tmp_path: Path, header: str, kwargs: dict, message: str) -> None:
    p = tmp_path / "bad.csv"
    _write_csv(p, header, np.column_stack([np.arange(5) / 100.0] * len(header.split(","))))
    with pytest.raises(InputError, match=message) as e:
        load_recording(p, **kwargs)
    assert str(p) in str(e.value)


def test_unknown_role_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown role 'glute_maxx'"):
        parse_map("glute_maxx=ch1")
    with pytest.raises(InputError, match="no such file"):
        load_recording(tmp_path / "missing.csv")
    (tmp_path / "x.xyz").write_text("hello")
    with pytest.raises(InputError, match="unrecognised input format"):
        load_recording(tmp_path / "x.xyz")


def test_parquet_round_trip_through_load_recording(tmp_path: Path) -> None:
    from glutesense.export import export_recording
    from glutesense.model.records import Event, Recording, Stream

    rng = np.random.default_rng(3)
    emg = rng.normal(0, 20, (2, 3000))
    rec = Recording(
        (Stream("emg", 1000.0, 0.0, (Role.GLUTE_MAX_L, Role.HAMSTRING_L), emg),),
        (Event(0.0, 1.0, "rest"), Event(1.5, 0.0, "cue", rep=1)),
    )
    out = tmp_path / "r.parquet"
    export_recording(rec, out, "parquet")
    back = load_recording(out)
    np.testing.assert_allclose(back.stream_of(Role.GLUTE_MAX_L).data, emg)
    assert back.stream_of(Role.GLUTE_MAX_L).fs_hz == pytest.approx(1000.0)
    assert [(e.onset_s, e.trial_type, e.rep) for e in back.events] == [(0.0, "rest", None), (1.5, "cue", 1)]


@pytest.mark.parametrize(
    ("fs_hz", "decimals", "noted"),
    [(1024.0, 4, True), (1500.0, 4, True), (1024.0, 6, False), (200.0, 3, False)],
)
def test_rate_from_a_rounded_time_column(tmp_path: Path, fs_hz: float, decimals: int, noted: bool) -> None:
    # 1024 Hz written to 4 decimals has spacings of 0.0010 and 0.0009 s: their median says 1000 Hz
    n = int(30 * fs_hz)
    t = np.arange(n) / fs_hz
    p = tmp_path / "rounded.csv"
    p.write_text("time_s,glute_max_l\n" + "\n".join(f"{v:.{decimals}f},{i % 7}" for i, v in enumerate(t)))
    rec = load_recording(p)
    emg = rec.stream_of(Role.GLUTE_MAX_L)
    assert emg.fs_hz == fs_hz
    assert emg.data.shape == (1, n)
    np.testing.assert_array_equal(emg.data[0], np.arange(n) % 7)  # rows kept as they are, not resampled
    rounded_notes = [m for m in rec.meta["import_notes"] if "rounded" in m]
    assert bool(rounded_notes) == noted  # said when the median spacing would have been wrong


def test_missing_rows_stay_lost(tmp_path: Path) -> None:
    fs_hz = 250.0
    t = np.arange(5000) / fs_hz
    keep = np.ones(t.size, dtype=bool)
    keep[1000:1100] = False  # 0.4 s of rows missing
    rows = np.column_stack([t, np.sin(2 * np.pi * 3 * t)])[keep]
    p = tmp_path / "holes.csv"
    _write_csv(p, "time_s,glute_max_l", rows)
    rec = load_recording(p)
    x = rec.signal(Role.GLUTE_MAX_L)[0]
    assert rec.stream_of(Role.GLUTE_MAX_L).fs_hz == fs_hz
    assert x.size == t.size
    lost = np.flatnonzero(np.isnan(x))
    assert lost.min() >= 1000 and lost.max() < 1100 and lost.size >= 98  # no made-up samples
    np.testing.assert_allclose(x[:1000], np.sin(2 * np.pi * 3 * t[:1000]), atol=1e-5)
