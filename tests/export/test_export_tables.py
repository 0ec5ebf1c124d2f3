"""CSV and Parquet export: round trips through the importers and independent readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from support.recordings import EMG_ROLES, EVENTS, GAP, IMU_ROLES, make_recording

from glutesense.export import EXPORTERS, ExportError, export_recording, recording_table
from glutesense.io import load_recording, read_csv
from glutesense.io.common import read_events_table
from glutesense.model.records import Recording, Stream
from glutesense.model.roles import Role


@pytest.fixture(scope="module")
def rec() -> Recording:
    return make_recording()


def imu_on_emg_grid(rec: Recording, role: Role) -> np.ndarray:
    x, _, _ = rec.signal(role)
    s = rec.stream_of(role)
    t_s = rec.stream_of(EMG_ROLES[0]).t_s
    return np.interp(t_s, s.t_s, x, left=np.nan, right=np.nan)


def test_registry_lists_the_cli_formats() -> None:
    assert tuple(EXPORTERS) == ("edf", "bdf", "csv", "parquet")


def test_table_is_on_the_emg_grid(rec: Recording) -> None:
    table, notes = recording_table(rec)
    assert list(table.columns) == ["time_s", *(r.value for r in (*EMG_ROLES, *IMU_ROLES))]
    assert len(table) == 4000
    np.testing.assert_array_equal(table["time_s"], np.arange(4000) / 1000.0)
    np.testing.assert_array_equal(table["glute_max_l"], rec.signal(Role.GLUTE_MAX_L)[0])
    # 100 Hz IMU on the 1000 Hz grid: exact at its own samples, linear between, empty after its last one
    acc = table["acc_x"].to_numpy()
    np.testing.assert_array_equal(acc[::10], rec.signal(Role.ACC_X)[0])
    assert np.isnan(acc[-9:]).all()
    assert notes == ("imu (100 Hz) linearly interpolated onto the 1000 Hz time grid of emg",)


def test_csv_round_trip_through_load_recording(rec: Recording, tmp_path: Path) -> None:
    path = tmp_path / "s01.csv"
    result = export_recording(rec, path, "csv")
    assert result.paths == (path, tmp_path / "s01_events.tsv")
    back = load_recording(path)
    assert back.events == EVENTS  # picked up from s01_events.tsv beside the file
    _, fs_hz, t0_s = back.signal(Role.GLUTE_MAX_L)
    assert fs_hz == pytest.approx(1000.0, rel=1e-9)
    assert t0_s == 0.0
    for role in EMG_ROLES:
        x = back.signal(role)[0]
        assert np.isnan(x[GAP]).all()  # lost samples are empty cells, read back as NaN
        np.testing.assert_allclose(x, rec.signal(role)[0], rtol=1e-9, equal_nan=True)
    for role in IMU_ROLES:
        want = imu_on_emg_grid(rec, role)
        got = back.signal(role)[0]
        ok = ~np.isnan(want)
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got[~ok], want[ok][-1], rtol=1e-9)  # read_csv holds the last value


def test_csv_text_is_plain(rec: Recording, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    export_recording(rec, path, "csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "time_s,glute_max_l,hamstring_l,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"
    assert lines[1 + GAP.start].split(",")[1:3] == ["", ""]
    events = (tmp_path / "plain_events.tsv").read_text().splitlines()
    assert events[0] == "onset\tduration\ttrial_type\tside\trep"
    assert events[2] == "1.25\t0.0\tcue\tleft\t1"
    assert events[1] == "0.0\t1.0\trest\tn/a\tn/a"


def test_parquet_is_the_exact_table(rec: Recording, tmp_path: Path) -> None:
    path = tmp_path / "s01.parquet"
    result = export_recording(rec, path, "parquet")
    assert result.paths == (path, tmp_path / "s01_events.tsv")
    table, _ = recording_table(rec)
    back = pq.read_table(path).to_pandas()  # pyarrow, not pandas' reader
    pd.testing.assert_frame_equal(back, table, check_exact=True)
    assert all(back[c].dtype == np.float64 for c in back.columns)
    assert read_events_table(tmp_path / "s01_events.tsv") == EVENTS


def test_parquet_table_read_as_csv_input_matches(rec: Recording, tmp_path: Path) -> None:
    """The Parquet table, handed to the CSV importer, gives the same recording as the CSV export."""
    path = tmp_path / "p.parquet"
    export_recording(rec, path, "parquet")
    csv_path = tmp_path / "p.csv"
    pd.read_parquet(path).to_csv(csv_path, index=False, float_format="%.17g")
    back = read_csv(csv_path)
    assert back.events == EVENTS
    for role in EMG_ROLES:
        np.testing.assert_array_equal(back.signal(role)[0], rec.signal(role)[0])


def test_unknown_format_and_bad_paths(rec: Recording, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unknown export format 'xls'"):
        export_recording(rec, tmp_path / "x.xls", "xls")
    with pytest.raises(ExportError, match="does not exist"):
        export_recording(rec, tmp_path / "no" / "x.csv", "csv")
    with pytest.raises(ExportError, match="is a folder"):
        export_recording(rec, tmp_path, "edf")


def test_empty_recording_is_refused(tmp_path: Path) -> None:
    empty = Recording((Stream("emg", 1000.0, 0.0, (Role.GLUTE_MAX_L,), np.zeros((1, 0))),), source="empty")
    for fmt in EXPORTERS:
        with pytest.raises(ExportError, match="nothing to write"):
            export_recording(empty, tmp_path / f"e.{fmt}", fmt)
