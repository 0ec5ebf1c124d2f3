"""``glutesense trend``: a virtual person whose glute lag shrinks is reported as improving; repeated
sessions of an unchanged person are reported as no change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glutesense.acquire.recorder import build_schedule
from glutesense.analysis.pipeline import analyze
from glutesense.cli import cmd_trend
from glutesense.cli.errors import UsageError
from glutesense.cli.main import main
from glutesense.clinical import assess
from glutesense.clinical.trend import SessionInput, trend
from glutesense.export import export_recording
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import IMU_ROLES, Protocol
from glutesense.virtual import BASIC_EMG_ROLES, PersonParams, simulate

DET = "changepoint"  # fast; onset accuracy is tested elsewhere


def session(lag_ms: float, seed: int, month: int) -> Recording:
    """Six bridges of a glute-late virtual person (glute max and hamstring, both sides, thigh IMU)."""
    sch = build_schedule(Protocol.BRIDGE, reps=6, rest_s=4.0, rep_period_s=5.0, hold_s=2.5)
    p = PersonParams.glute_late(lag_ms, emg_roles=BASIC_EMG_ROLES, seed=seed, lag_jitter_ms=15.0)
    emg, imu, _ = simulate(Protocol.BRIDGE, sch, p)
    streams = (
        Stream("emg", p.emg_fs_hz, 0.0, BASIC_EMG_ROLES, emg.T.copy()),
        Stream("imu", p.imu_fs_hz, 0.0, IMU_ROLES, imu.T.copy()),
    )
    events = tuple(Event(c.t_s, c.duration_s, c.label, c.side, c.rep) for c in sch if c.is_event)
    meta = {"protocol": "bridge", "created_utc": f"2026-{month:02d}-01T09:00:00+00:00"}
    return Recording(streams, events, meta, f"month{month}")


def _clinical(rec: Recording) -> SessionInput:
    return SessionInput(
        rec.source, str(rec.meta["created_utc"]), assess(analyze(rec, "bridge", detector=DET), rec)
    )


def test_cli_reports_a_shrinking_lag_as_improvement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = []
    for month, (lag, seed) in enumerate([(260.0, 1), (160.0, 2), (60.0, 3)], start=1):
        f = tmp_path / f"month{month}.csv"
        export_recording(session(lag, seed, month), f, "csv")
        files.append(str(f))
    out = tmp_path / "trend"
    # CSV files carry no protocol (and no date: they stay in the order given): --protocol is needed
    assert main(["trend", *files, "--out", str(out), "--detector", DET]) == 2
    assert "pass --protocol" in capsys.readouterr().err
    code = main(["trend", *files, "--protocol", "bridge", "--out", str(out), "--detector", DET])
    assert code == 0
    printed = capsys.readouterr().out
    for name in ("trend.csv", "trend.json", "trend.html", "figures/trend_lag.png", "figures/trend_ratio.png"):
        assert (out / name).is_file(), name
    data = json.loads((out / "trend.json").read_text())
    lag_changes = [c for c in data["changes"] if c["quantity"] == "glute_lag_ms"]
    assert {c["side"] for c in lag_changes} == {"left", "right"}
    for c in lag_changes:
        assert (c["first_label"], c["last_label"]) == ("month1", "month3")
        assert c["exceeds_noise"] is True
        assert c["change"] == pytest.approx(-200.0, abs=70.0)
        assert c["ci95"][1] < 0
        assert "an improvement: the glute lag shrank" in c["text"]
    assert "improvement" in printed
    html = (out / "trend.html").read_text()
    assert "data:image/png;base64," in html and "improvement" in html


def test_repeated_sessions_show_no_change() -> None:
    same = [_clinical(session(150.0, seed, month)) for month, seed in ((1, 11), (2, 12), (3, 13))]
    tr = trend(same)
    lag = [c for c in tr.changes if c.quantity == "glute_lag_ms"]
    assert len(lag) == 2
    for c in lag:
        assert not c.exceeds_noise, c.text
        assert "no change in the glute lag beyond the measurement's noise" in c.text
        assert c.mdc95 is not None and c.mdc95 > 0


def test_identical_sessions_change_by_exactly_nothing() -> None:
    a = _clinical(session(150.0, 5, 1))
    tr = trend([a, SessionInput("again", a.when, a.clinical)])
    for c in tr.changes:
        assert c.change == pytest.approx(0.0)
        assert not c.exceeds_noise


def test_protocol_defaults_to_the_sessions() -> None:
    rec = session(150.0, 1, 1)
    assert cmd_trend._protocol_of(rec, "x.gses", None) is Protocol.BRIDGE
    assert cmd_trend._protocol_of(rec, "x.gses", "single-leg-stand") is Protocol.SINGLE_LEG_STAND
    bare = Recording(rec.streams, rec.events, {}, "x.csv")
    with pytest.raises(UsageError, match="pass --protocol"):
        cmd_trend._protocol_of(bare, "x.csv", None)


def test_trend_needs_two_sessions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "one.csv"
    f.write_text("time_s,glute_max_l\n0,1\n")
    assert main(["trend", str(f), "--out", str(tmp_path / "o")]) == 2
    assert "at least two sessions" in capsys.readouterr().err
