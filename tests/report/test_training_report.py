"""The training set in the report and in a trend: files written, read back, user strings escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from glutesense.acquire.training import Exercise, SetPlan, build_set_schedule
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import Protocol, Role
from glutesense.report.training import training_outputs
from glutesense.report.training_trend import training_trend_row
from glutesense.virtual.offline import simulate
from glutesense.virtual.params import PersonParams


def _recording(drop: float, seed: int, exercise: str = "hip-thrust") -> Recording:
    plan = SetPlan(Exercise.HIP_THRUST, 8)
    params = PersonParams.glute_first(
        emg_spectrum="surface", fatigue_per_active_s=drop / plan.active_span_s(), seed=seed
    )
    schedule = build_set_schedule(plan)
    emg, _, truth = simulate(Protocol.BRIDGE, schedule, params)
    roles = tuple(Role(r) for r in truth["emg_roles"])
    events = tuple(Event(c.t_s, c.duration_s, c.label, c.side, c.rep) for c in schedule if c.is_event)
    meta = {
        "protocol": "bridge",
        "training": {"exercise": exercise, "target_share": 0.4, "tired_drop_pct": 10.0},
    }
    return Recording((Stream("emg", params.emg_fs_hz, 0.0, roles, emg.T.copy()),), events, meta, "set")


def test_training_outputs_are_written_and_escaped(tmp_path: Path) -> None:
    rec = _recording(0.25, 5, exercise="<script>alert(1)</script>")
    sections = training_outputs(rec, tmp_path)
    assert len(sections) == 1
    title, body = sections[0]
    assert "Training set" in title
    assert "<script>" not in body and "&lt;script&gt;" in body
    table = pd.read_csv(tmp_path / "training.csv")
    assert set(table["rep"]) == set(range(1, 9))
    assert set(table["muscle"]) == {"glute_max_l", "glute_max_r", "hamstring_l", "hamstring_r"}
    doc = json.loads((tmp_path / "training.json").read_text(encoding="utf-8"))
    assert doc["n_reps"] == 8 and doc["glutes"]["tired"] and doc["glutes"]["mdf_hz"]["slope_per_rep"] < 0
    assert (tmp_path / "figures" / "training_fatigue.png").read_bytes()[:4] == b"\x89PNG"
    assert training_outputs(Recording(rec.streams, rec.events, {"protocol": "bridge"}), tmp_path / "x") == ()


def test_trend_rows_tell_a_tiring_set_from_a_fresh_one() -> None:
    tired = training_trend_row("week1", _recording(0.25, 6))
    fresh = training_trend_row("week4", _recording(0.0, 7))
    assert tired["tired"] and tired["fatigue_onset_rep"] is not None and tired["mdf_drop_pct"] > 15
    assert not fresh["tired"] and fresh["fatigue_onset_rep"] is None and abs(fresh["mdf_drop_pct"]) < 6
    for row in (tired, fresh):
        assert row["glute_first_share"] == 1.0 and row["reps"] == 8
        assert 80.0 < row["glute_activation_pct"] < 125.0  # bridge plateau 0.85-1.15 of the reference


def test_no_report_writes_the_same_training_tables(tmp_path: Path) -> None:
    from glutesense.analysis.pipeline import analyze
    from glutesense.report import write_outputs

    rec = _recording(0.2, 8)
    result = analyze(rec, Protocol.BRIDGE)
    tables = write_outputs(result, rec, tmp_path / "tables", report=False)
    full = write_outputs(result, rec, tmp_path / "full")
    assert {"training", "training_json"} <= set(tables) and "report" not in tables
    assert not (tmp_path / "tables" / "figures").exists()
    assert (tmp_path / "full" / "figures" / "training_fatigue.png").exists()
    pd.testing.assert_frame_equal(pd.read_csv(tables["training"]), pd.read_csv(full["training"]))
    assert tables["training_json"].read_text() == full["training_json"].read_text()
    assert "Training set: activation and fatigue" in full["report"].read_text(encoding="utf-8")


def test_training_trend_section_compares_first_and_last_session(tmp_path: Path) -> None:
    from glutesense.report.training_trend import write_training_trend

    rows = [
        training_trend_row("<b>wk1</b>", _recording(0.25, 9)),
        training_trend_row("wk6", _recording(0.0, 10)),
    ]
    csv, (title, body) = write_training_trend(rows, tmp_path)
    table = pd.read_csv(csv)
    assert list(table["session"]) == ["<b>wk1</b>", "wk6"] and table["reps"].tolist() == [8, 8]
    assert table["fatigue_onset_rep"].isna().tolist() == [False, True]
    assert title == "Training over time"
    assert "<b>" not in body and "&lt;b&gt;wk1&lt;/b&gt; -&gt; wk6 (2 sessions)" in body
    onset = int(table["fatigue_onset_rep"].iloc[0])
    assert f"fatigue: tired at rep {onset} (MDF -" in body and "-&gt; no fatigue within 8 reps" in body
    assert (tmp_path / "figures" / "trend_training.png").read_bytes()[:4] == b"\x89PNG"
