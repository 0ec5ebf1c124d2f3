"""The signal-quality gate before a guided test (issue 17): a clean virtual person passes; a loose
electrode, swapped leads and a dead channel fail, each with its own fix; strong mains warns."""

from __future__ import annotations

from pathlib import Path

import pytest

from glutesense.cli.main import main
from glutesense.io.native import read_native
from glutesense.model.gate import CheckKind, GateReport, Level
from glutesense.model.meta import RecordingInfo
from glutesense.virtual.electrodes import FaultKind, parse_fault

BASE = ["record", "--device", "sim", "--speed", "inf", "--reps", "1", "--plain"]


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, GateReport, str, str]:
    out = tmp_path / "s.gses"
    code = main([*BASE, "--out", str(out), *extra])
    captured = capsys.readouterr()
    report = read_native(out).info.gate
    assert report is not None, "the gate's report is stored in the session"
    return code, report, captured.out, captured.err


def _failed(report: GateReport) -> set[tuple[str, CheckKind]]:
    return {(c.channel, c.kind) for c in report.checks if c.level is Level.FAIL}


def test_a_clean_person_passes_and_the_test_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, out, err = _run(tmp_path, capsys)
    assert code == 0, err
    assert report.level is Level.PASS
    kinds = {c.kind for c in report.checks if c.channel == "glute_max_l"}
    assert kinds == {
        CheckKind.SIGNAL,
        CheckKind.NOISE,
        CheckKind.MAINS,
        CheckKind.MOTION,
        CheckKind.CONTRACTION,
        CheckKind.LEADS,
    }
    assert "signal check: pass (8 channels)" in out
    cues = [line for line in out.splitlines() if "cue gate_" in line]
    assert any("Squeeze your left glute" in c for c in cues)
    assert any("Press your left heel into the floor" in c for c in cues)
    assert any("Press your right heel into the floor" in c for c in cues)
    events = [e.trial_type for e in read_native(tmp_path / "s.gses").events]
    assert events.index("gate") < events.index("rest") < events.index("cue")  # the gate comes first


CASES = {
    "loose:glute_max_l": ({("glute_max_l", CheckKind.NOISE)}, "press the electrode down"),
    "swapped:left": ({("glute_max_l", CheckKind.LEADS)}, "glute and hamstring channels look swapped"),
    "dead:hamstring_r": ({("hamstring_r", CheckKind.SIGNAL)}, "no signal: check the lead"),
}


@pytest.mark.parametrize("fault", list(CASES))
def test_a_bad_electrode_fails_the_gate_with_its_own_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fault: str
) -> None:
    must_fail, fix = CASES[fault]
    code, report, out, err = _run(tmp_path, capsys, "--sim-fault", fault)
    assert code == 2, "a failed gate stops the test with exit 2"
    assert report.level is Level.FAIL
    assert must_fail <= _failed(report)
    others = {f for other, (fails, _) in CASES.items() if other != fault for f in fails}
    assert not (others & _failed(report)), "only this fault's checks fail"
    assert fix in err and "--skip-gate" in err and "Traceback" not in err
    assert any(fix in line for line in out.splitlines() if "signal check: FAIL" in line)
    events = [e.trial_type for e in read_native(tmp_path / "s.gses").events]
    assert "cue" not in events, "the test was not run"


def test_strong_mains_warns_and_the_test_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, out, err = _run(tmp_path, capsys, "--sim-fault", "mains")
    assert code == 0, err
    assert report.level is Level.WARN
    warned = {c.channel for c in report.checks if c.level is Level.WARN and c.kind is CheckKind.MAINS}
    assert {"glute_max_l", "hamstring_r"} <= warned
    assert not _failed(report)
    assert "move away from the charger" in out


def test_skip_gate_records_without_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.gses"
    assert main([*BASE, "--out", str(out), "--skip-gate", "--sim-fault", "dead:glute_max_l"]) == 0
    rec = read_native(out)
    assert rec.info.gate is None and not any(e.trial_type.startswith("gate") for e in rec.events)


def test_fault_syntax_and_old_files() -> None:
    assert parse_fault("loose:glute_max_l").text == "loose:glute_max_l"
    assert parse_fault("swapped").text == "swapped:left"
    assert parse_fault("mains").role is None and parse_fault("mains").kind is FaultKind.MAINS
    for bad in ("loose", "dead:acc_x", "swapped:up", "wet:glute_max_l"):
        with pytest.raises(ValueError, match=r"takes|unknown fault"):
            parse_fault(bad)
    assert RecordingInfo.from_meta({}).gate is None  # a file from before the gate
    assert RecordingInfo.from_meta({"gate": {"checks": [{"kind": "nonsense"}]}}).gate is None
