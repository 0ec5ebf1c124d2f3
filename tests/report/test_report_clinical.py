"""The report's clinical content: tables, summary.json, method section, figures, placement guide."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.paths import ROOT

from glutesense.analysis.pipeline import analyze
from glutesense.clinical import CLINICAL_COLUMNS
from glutesense.model.roles import Muscle, Protocol
from glutesense.report import write_outputs
from glutesense.report.figures import OKABE_ITO, minmax_decimate, nan_spans
from glutesense.report.placement import PLACEMENT_SVG, svg_document
from glutesense.report.tables import EXTRA_COLUMNS, REP_COLUMNS
from glutesense.report.verdict import verdict_lines
from glutesense.virtual.synth import SynthSpec, make_recording


@pytest.fixture(scope="module")
def bridge_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec, _ = make_recording(SynthSpec(n_reps=4, lag_ms=90.0, seed=51, gaps=((12.0, 0.4),)))
    rec = dataclasses.replace(rec, meta={**rec.meta, "subject": "S01 & <b>co</b>"}, source="week 0.gses")
    res = analyze(rec, Protocol.BRIDGE, detector="changepoint")
    out = tmp_path_factory.mktemp("bridge")
    write_outputs(res, rec, out)
    return out


def test_reps_csv_has_contract_then_clinical_columns(bridge_out: Path) -> None:
    reps = pd.read_csv(bridge_out / "reps.csv", keep_default_na=False)
    cols = tuple(reps.columns)
    assert cols[: len(REP_COLUMNS)] == REP_COLUMNS
    assert cols[len(REP_COLUMNS) : len(REP_COLUMNS) + len(EXTRA_COLUMNS)] == EXTRA_COLUMNS
    for c in ("glute_from_movement_ms", "glute_lag_sd_ms", "glute_hold_mean_pct", "glute_ham_ratio"):
        assert c in cols
    assert "glute_med_from_shift_ms" not in cols  # single-leg stand only
    assert set(cols) <= set(REP_COLUMNS + EXTRA_COLUMNS + CLINICAL_COLUMNS)
    assert len(reps) == 8


def test_summary_json_holds_cited_verdicts(bridge_out: Path) -> None:
    s = json.loads((bridge_out / "summary.json").read_text())
    clin = s["clinical"]
    assert clin["reference_kind"] == "session peak"
    left = clin["sides"]["left"]
    assert left["verdict"]["kind"] == "within_normal"
    assert "Lewis & Sahrmann 2009" in left["verdict"]["sources"]
    assert left["lag_median_ms"] == pytest.approx(90.0, abs=60.0)
    assert {t["source"] for t in clin["threshold_sources"]} >= {"judgement", "Suehiro et al. 2015"}
    assert s["verdict"][0] == left["verdict"]["headline"]
    lost = {q["role"]: q["lost_fraction"] for q in clin["quality"]}
    assert lost["glute_max_l"] == pytest.approx(0.4 / 29.0, rel=0.1)  # the 0.4 s gap


def test_html_says_how_it_was_measured(bridge_out: Path) -> None:
    html = (bridge_out / "report.html").read_text()
    for text in (
        "How this was measured",
        "Filtering actually used",
        "mains notch 50 Hz",
        "Onset detector",
        "changepoint",
        "session peak",
        "Signal quality",
        "Where the sensors go",
        "Lewis CL, Sahrmann SA",
        "Thresholds and where they come from",
    ):
        assert text in html, text
    assert "S01 &amp; &lt;b&gt;co&lt;/b&gt;" in html
    assert "<b>co</b>" not in html
    assert "<svg viewBox" in html


def test_cli_lines_match_the_report_verdict(bridge_out: Path) -> None:
    rec, _ = make_recording(SynthSpec(n_reps=4, lag_ms=90.0, seed=51, gaps=((12.0, 0.4),)))
    res = analyze(rec, Protocol.BRIDGE, detector="changepoint")
    s = json.loads((bridge_out / "summary.json").read_text())
    assert list(verdict_lines(res)) == s["verdict"]


def test_minmax_decimation_keeps_extremes_and_gaps() -> None:
    x = np.sin(np.linspace(0, 40 * np.pi, 100_000))
    x[500] = 7.0
    x[70_000:71_000] = np.nan
    idx, lo, hi = minmax_decimate(x, 1000)
    assert idx.size == lo.size == hi.size == 1000
    assert np.nanmax(hi) == 7.0
    assert np.isnan(lo[700:710]).all()
    assert nan_spans(x, 1000.0, 2.0) == [(72.0, 73.0)]


def test_figures_use_the_colour_blind_safe_palette() -> None:
    from glutesense.report import figures

    assert figures.MUSCLE_COLOR[Muscle.GLUTE_MAX] == OKABE_ITO["vermillion"]
    assert set(figures.SIDE_COLOR.values()) <= set(OKABE_ITO.values())


def test_placement_figure_in_docs_matches_the_report() -> None:
    assert (ROOT / "docs" / "placement.svg").read_text(encoding="utf-8") == svg_document()
    assert "http" not in PLACEMENT_SVG
    md = (ROOT / "docs" / "placement.md").read_text(encoding="utf-8")
    for muscle in (
        "Gluteus maximus",
        "Gluteus medius",
        "Semitendinosus",
        "Biceps femoris",
        "Erector spinae",
        "IMU",
    ):
        assert muscle.lower() in md.lower()
