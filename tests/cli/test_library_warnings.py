"""Library warnings reach the user as notes, never as raw ``RuntimeWarning`` lines (issue 16)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.paths import SAMPLES

from glutesense.cli.library_notes import notes_on_stderr
from glutesense.cli.main import main
from glutesense.model.warning_notes import collected, note_text

RAW = ("RuntimeWarning", "UserWarning", "Warning:", "warnings.warn", "Traceback")


@pytest.fixture(scope="module")
def imu_lost(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bridge sample as CSV with every IMU sample lost: numpy meets all-NaN slices."""
    tmp = tmp_path_factory.mktemp("imu")
    assert main(["export", str(SAMPLES / "bridge_glute_first.gses"), "--to", "csv", str(tmp / "b.csv")]) == 0
    df = pd.read_csv(tmp / "b.csv")
    df.loc[:, [c for c in df.columns if c.startswith(("acc_", "gyr_"))]] = np.nan
    df.to_csv(tmp / "b.csv", index=False)
    return tmp / "b.csv"


@pytest.mark.filterwarnings("default")  # as a user's Python runs: warnings shown, not errors
def test_all_nan_channel_gives_a_note_not_a_raw_warning(
    imu_lost: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["analyze", str(imu_lost), "--protocol", "bridge", "--out", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert not any(r in captured.err or r in captured.out for r in RAW), captured
    notes = json.loads((tmp_path / "o" / "summary.json").read_text())["notes"]
    nan_notes = [n for n in notes if "All-NaN slice encountered" in n]
    assert len(nan_notes) == 1 and "lost samples" in nan_notes[0], notes  # deduplicated, explained
    html = (tmp_path / "o" / "report.html").read_text()
    assert "All-NaN slice encountered" in html


def test_collected_dedupes_and_counts() -> None:
    with collected() as notes:
        for _ in range(3):
            np.nanmedian(np.array([np.nan]))
        np.float32(3e38) * np.float32(10)
    assert len(notes) == 2 and notes[0].endswith("3 times") and "All-NaN" in notes[0]
    assert "overflow" in notes[1]


def test_a_warning_elsewhere_is_one_clean_note_line(capsys: pytest.CaptureFixture[str]) -> None:
    with notes_on_stderr():
        for _ in range(2):
            warnings.warn("No artists with labels found to put in legend.", UserWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err.count("note: ") == 1 and "No artists with labels" in err
    assert not any(r in err for r in RAW), err


def test_note_names_the_library() -> None:
    text = note_text(RuntimeWarning("overflow encountered in multiply"), "/x/site-packages/numpy/core/a.py")
    assert text.startswith("numpy: overflow encountered in multiply (")
