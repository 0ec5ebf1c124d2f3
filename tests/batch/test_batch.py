"""``glutesense batch``: 200 small recordings on a local Dask cluster give the table that running
them one by one gives; a bad file is reported and the rest go on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from glutesense.batch import Job, analyze_one, combined_table, expand, session_labels
from glutesense.cli.main import main
from glutesense.export import write_edf
from glutesense.virtual.synth import SynthSpec, make_recording

N_FILES = 200
DETECTOR = "bonato"  # the fastest detector: the test is about scheduling, not onsets


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("season")
    for i in range(N_FILES):
        spec = SynthSpec(
            n_reps=1, fs_hz=500.0, rest_s=2.0, hold_s=1.5, between_s=1.0, lag_ms=-100.0 + i, seed=i
        )
        folder = root / f"athlete{i % 7:02d}"
        folder.mkdir(exist_ok=True)
        write_edf(make_recording(spec)[0], folder / f"s{i:03d}.edf")
    (root / "athlete00" / "broken.edf").write_bytes(b"0       not really an EDF header")
    return root


def _one_by_one(paths: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return combined_table([analyze_one(Job(p, "bridge", DETECTOR)) for p in paths])


def test_dask_batch_equals_one_by_one(
    season: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("dask.distributed")
    pattern = str(season / "**" / "*.edf")
    paths = expand([pattern])
    assert len(paths) == N_FILES + 1
    code = main(
        [
            "batch",
            pattern,
            "--protocol",
            "bridge",
            "--detector",
            DETECTOR,
            "--out",
            str(tmp_path),
            "--workers",
            "2",
        ]
    )
    captured = capsys.readouterr()
    assert code == 2  # one file failed
    assert f"{N_FILES} of {N_FILES + 1} recordings analyzed (dask)" in captured.out
    assert "broken.edf" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    batch = pd.read_parquet(tmp_path / "reps.parquet")
    expected, failures = _one_by_one(paths)
    assert len(batch) == 2 * N_FILES
    pd.testing.assert_frame_equal(batch, expected, check_dtype=False)
    csv = pd.read_csv(tmp_path / "reps.csv")
    assert csv["recording"].tolist() == expected["recording"].tolist()
    pd.testing.assert_series_equal(csv["glute_lag_ms"], expected["glute_lag_ms"].astype(float), atol=1e-4)
    assert pd.read_csv(tmp_path / "failures.csv")["recording"].tolist() == failures["recording"].tolist()


def test_process_pool_gives_the_same_table(season: Path, tmp_path: Path) -> None:
    paths = expand([str(season / "athlete03" / "*.edf")])
    assert (
        main(
            [
                "batch",
                *paths,
                "--protocol",
                "bridge",
                "--detector",
                DETECTOR,
                "--out",
                str(tmp_path),
                "--processes",
                "--workers",
                "2",
            ]
        )
        == 0
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "reps.parquet"), _one_by_one(paths)[0], check_dtype=False
    )


def test_batch_writes_one_bids_dataset(season: Path, tmp_path: Path) -> None:
    paths = expand([str(season / "athlete05" / "*.edf")])[:3]
    bids = tmp_path / "bids"
    assert (
        main(
            [
                "batch",
                *paths,
                "--protocol",
                "bridge",
                "--detector",
                DETECTOR,
                "--out",
                str(tmp_path / "t"),
                "--processes",
                "--bids",
                str(bids),
            ]
        )
        == 0
    )
    assert sorted(p.name for p in (bids / "sub-01").iterdir()) == ["ses-s005", "ses-s012", "ses-s019"]
    assert (bids / "participants.tsv").read_text() == "participant_id\nsub-01\n"
    assert (bids / "dataset_description.json").exists()


def test_no_match_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["batch", str(tmp_path / "*.edf"), "--protocol", "bridge", "--out", str(tmp_path / "o")]) == 2


def test_session_labels_are_unique() -> None:
    assert session_labels(["a/s-1.edf", "b/s_1.edf", "c/x.edf"]) == ["s1", "s12", "x"]


def test_dask_batch_runs_beside_another_dask(season: Path, tmp_path: Path) -> None:
    """A busy 8787 (another cluster's dashboard, a notebook, a second batch) neither breaks the
    batch nor warns (warnings are errors here): the cluster's web server takes a free loopback port."""
    pytest.importorskip("dask.distributed")
    import socket

    with socket.socket() as busy:
        try:
            busy.bind(("127.0.0.1", 8787))
            busy.listen()
        except OSError:
            pass  # already taken by someone else: busy either way
        pattern = str(season / "athlete01" / "*.edf")
        out = tmp_path / "out"
        code = main(["batch", pattern, "--protocol", "bridge", "--detector", DETECTOR, "--out", str(out)])
    assert code == 0
    expected, _ = _one_by_one(expand([pattern]))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "reps.parquet"), expected, check_dtype=False)
