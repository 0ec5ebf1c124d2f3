"""The public API: same answers as the command line, and every docstring example runs."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import glutesense as gs
from glutesense.cli.main import main

DOCTEST_MODULES = ["glutesense", "glutesense.api", "glutesense.detect.array", "glutesense.io.frames"]


@pytest.mark.parametrize("name", DOCTEST_MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def _csv_and_frame(tmp_path: Path) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    samples, events = gs.to_frame(gs.simulate("bridge", n_reps=3, lag_ms=70.0, seed=4))
    samples = samples.drop(columns=[c for c in samples.columns if c.startswith("acc_")])  # reps from cues
    csv = tmp_path / "bridge.csv"
    samples.to_csv(csv, index=False, float_format="%.10g")
    events.to_csv(tmp_path / "bridge_events.tsv", sep="\t", index=False, na_rep="n/a")
    return csv, pd.read_csv(csv), events


def test_dataframe_gives_the_cli_reps(tmp_path: Path) -> None:
    csv, df, events = _csv_and_frame(tmp_path)
    assert main(["analyze", str(csv), "--protocol", "bridge", "--out", str(tmp_path / "cli")]) == 0
    cli = pd.read_csv(tmp_path / "cli" / "reps.csv")
    res = gs.analyze(df.drop(columns="time_s"), protocol="bridge", fs_hz=1000.0, events=events)
    api = res.reps
    assert list(api.columns) == list(cli.columns)
    assert len(api) == 6
    for col in api.columns:
        a, c = api[col], cli[col]
        if pd.api.types.is_numeric_dtype(c):
            got = pd.to_numeric(a.replace("", np.nan), errors="raise").to_numpy(float)
            np.testing.assert_allclose(got, c.to_numpy(float), atol=1e-4, equal_nan=True, err_msg=col)
        else:
            assert a.astype(str).tolist() == c.astype(str).tolist(), col
    assert (api["glute_lag_ms"].between(20.0, 120.0)).all()  # the simulated 70 ms, glute later


def test_report_writes_what_the_cli_writes(tmp_path: Path) -> None:
    res = gs.analyze(gs.simulate(n_reps=2), protocol="bridge")
    html = res.report(tmp_path / "r")
    assert html == tmp_path / "r" / "report.html"
    assert {p.name for p in (tmp_path / "r").iterdir()} >= {
        "reps.csv",
        "onsets.csv",
        "summary.json",
        "report.html",
    }
    assert len(res.onsets) >= 8
    assert res.summary["verdict"] == list(res.verdict)


def test_events_from_a_frame_a_list_and_a_file_agree(tmp_path: Path) -> None:
    rec = gs.simulate(n_reps=2)
    _, events = gs.to_frame(rec)
    path = tmp_path / "ev.tsv"
    events.to_csv(path, sep="\t", index=False, na_rep="n/a")
    samples, _ = gs.to_frame(rec)
    a = gs.read(samples, events=events).events
    b = gs.read(samples, events=[e.to_json() for e in rec.events]).events
    c = gs.read(samples, events=path).events
    assert a == b == c == tuple(sorted(rec.events, key=lambda e: e.onset_s))
    assert gs.read(samples, events=[(1.5, "cue")]).events == (gs.Event(1.5, 0.0, "cue"),)


def test_array_input_and_its_errors() -> None:
    x = np.random.default_rng(0).normal(0, 5, (2, 3000))
    rec = gs.read(x, fs_hz=1000, roles=["glute_max_l", "hamstring_l"])
    np.testing.assert_array_equal(rec.signal(gs.Role.HAMSTRING_L)[0], x[1])
    with pytest.raises(gs.InputError, match="transpose"):
        gs.read(x.T, fs_hz=1000, roles=["glute_max_l", "hamstring_l"])
    with pytest.raises(gs.InputError, match="fs_hz"):
        gs.read(x, roles=["glute_max_l", "hamstring_l"])
    with pytest.raises(ValueError, match="unknown role"):
        gs.read(x, fs_hz=1000, roles=["glute", "hamstring_l"])


def test_detect_onsets_matches_known_onsets() -> None:
    rng = np.random.default_rng(3)
    fs = 2000.0
    t = np.arange(int(12 * fs)) / fs
    on = [3.0, 7.5]
    amp = sum(np.clip((t - o) / 0.08, 0, 1) * (t < o + 2.0) for o in on)
    emg = rng.normal(0, 4, t.size) + 50.0 * amp * rng.normal(0, 1, t.size)
    bursts = gs.detect.onsets(emg, fs_hz=fs, rest=(0.0, 2.5))
    assert [round(b.onset_s, 1) for b in bursts] == on
    assert all(abs(b.onset_s - o) < 0.03 for b, o in zip(bursts, on, strict=True))
    with pytest.raises(ValueError, match="one channel"):
        gs.detect.onsets(np.zeros((2, 100)), fs_hz=fs)
