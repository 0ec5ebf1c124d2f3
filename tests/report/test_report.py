"""write_outputs: files, contract columns, empty cells for missing values, a safe self-contained HTML."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from glutesense.analysis.pipeline import analyze
from glutesense.model.roles import Protocol
from glutesense.report import write_outputs
from glutesense.report.tables import ONSET_COLUMNS, REP_COLUMNS
from glutesense.virtual.synth import SynthSpec, make_recording


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    rec, _ = make_recording(
        SynthSpec(protocol=Protocol.SINGLE_LEG_STAND, n_reps=1, false_starts=1, glute_absent=False, seed=40)
    )
    rec = dataclasses.replace(rec, source="<script>alert('x')</script>.csv")
    res = analyze(rec, Protocol.SINGLE_LEG_STAND)
    out = tmp_path_factory.mktemp("out")
    return out, write_outputs(res, rec, out)


def test_files_written(outputs: tuple[Path, dict[str, Path]]) -> None:
    out, paths = outputs
    for name in ("reps.csv", "onsets.csv", "summary.json", "report.html"):
        assert (out / name).is_file()
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == [
        "lag_per_rep.png",
        "left_right.png",
        "overlay_left.png",
        "overlay_right.png",
        "reps_left.png",
        "reps_right.png",
        "session.png",
        "squeeze.png",
    ]
    assert paths["report"] == out / "report.html"


def test_tables_have_contract_columns_and_empty_missing_cells(outputs: tuple[Path, dict[str, Path]]) -> None:
    out, _ = outputs
    reps = pd.read_csv(out / "reps.csv", keep_default_na=False)
    assert tuple(reps.columns[: len(REP_COLUMNS)]) == REP_COLUMNS
    assert "squeeze_latency_ms" in reps.columns
    assert "false_starts" in reps.columns
    assert set(reps["movement_onset_s"]) == {""}  # no IMU reading in a single-leg stand: empty, not 0/NaN
    assert list(reps["false_starts"]) == [1, 1]
    onsets = pd.read_csv(out / "onsets.csv")
    assert tuple(onsets.columns) == ONSET_COLUMNS
    assert len(onsets) >= 4


def test_summary_json_is_strict(outputs: tuple[Path, dict[str, Path]]) -> None:
    out, _ = outputs
    s = json.loads((out / "summary.json").read_text())
    assert s["detector"] == "default"
    assert s["protocol"] == "single-leg-stand"
    assert set(s["sides"]) == {"left", "right"}
    assert s["sides"]["left"]["squeeze_latency_median_ms"] > 0
    assert s["verdict"]


def test_html_is_self_contained_and_escaped(outputs: tuple[Path, dict[str, Path]]) -> None:
    out, _ = outputs
    html = (out / "report.html").read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "http://" not in html
    assert "https://" not in html
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', html)) == 8
    # phone-width copies of the multi-panel figures are inline too (<picture><source srcset=data:...>)
    assert html.count("srcset=") == html.count('srcset="data:image/png;base64,') >= 1
    assert "<meta name='viewport'" in html
