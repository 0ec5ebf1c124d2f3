"""A whole guided bridge through the virtual sensor in plain mode (issue 17): the signal check's
results, the cues, and a verdict after every rep that equals ``glutesense analyze`` on the saved
session (same order; the lag as printed, whole ms: tolerance 0.5 ms, the rounding)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from glutesense.cli.main import main
from glutesense.io.native import read_native
from glutesense.model.gate import Level

LINE = re.compile(r"^\[\s*(\d+\.\d) s\] (.*)$")
VERDICT = re.compile(r"^rep (\d+) (left|right): (.*)$")
ORDER_TEXT = {"hamstring first": "hamstring_first", "glute first": "glute_first", "together": "simultaneous"}


def _lines(text: str) -> list[tuple[float, str]]:
    return [(float(m[1]), m[2]) for m in map(LINE.match, text.splitlines()) if m]


@pytest.mark.parametrize(
    ("extra", "reps"),
    [((), 4), (("--sim-pattern", "glute-first", "--sim-seed", "5", "--sim-snr-db", "20"), 3)],
    ids=["glute-late", "glute-first-noisier"],
)
def test_live_rep_verdicts_equal_the_offline_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], reps: int
) -> None:
    session = tmp_path / "s.gses"
    argv = [
        "record",
        "--device",
        "sim",
        "--speed",
        "inf",
        "--reps",
        str(reps),
        "--plain",
        "--out",
        str(session),
    ]
    assert main([*argv, *extra]) == 0
    lines = _lines(capsys.readouterr().out)
    texts = [t for _, t in lines]
    # the signal check ran first, did not fail (the noisier person's weak squeeze may warn), is stored
    checks = [t for t in texts if re.match(r"signal check: (pass|warn) \(8 channels\)", t)]
    assert len(checks) == 1, [t for t in texts if t.startswith("signal check")]
    gate = read_native(session).info.gate
    assert gate is not None and gate.level is not Level.FAIL
    assert checks[0] == f"signal check: {gate.level.value} (8 channels)"
    assert texts.index(checks[0]) < texts.index("cue rest: Relax and keep still")
    # the cues, in order
    lifts = [t for t in texts if t.startswith("cue cue rep")]
    assert lifts == [f"cue cue rep {k}: Lift your hips" for k in range(1, reps + 1)]
    # a verdict after each rep: after its "lower" cue, before the next rep's lift
    verdicts = [(t, m) for t, text in lines if (m := VERDICT.match(text))]
    assert [(int(m[1]), m[2]) for _, m in verdicts] == [
        (k, s) for k in range(1, reps + 1) for s in ("left", "right")
    ]
    lowers = {int(text.split()[3].rstrip(":")): t for t, text in lines if text.startswith("cue lower rep")}
    for t, m in verdicts:
        assert lowers[int(m[1])] < t < lowers[int(m[1])] + 3.0
    # ... equal to the offline analysis of the saved session
    out = tmp_path / "report"
    assert main(["analyze", str(session), "--protocol", "bridge", "--out", str(out), "--no-report"]) == 0
    table = pd.read_csv(out / "reps.csv")
    offline = {(int(r.rep), r.side): r for r in table.itertuples()}
    assert len(offline) == 2 * reps
    for _, m in verdicts:
        row = offline[(int(m[1]), m[2])]
        said = m[3]
        if said.startswith("cannot tell"):
            assert row.order == "undetected"
            continue
        order, _, lag = said.partition(", glute ")
        assert ORDER_TEXT[order] == row.order
        assert abs(float(lag.removesuffix(" ms")) - row.glute_lag_ms) <= 0.5


def test_background_reads_give_the_same_lines_as_reading_in_place(tmp_path: Path) -> None:
    """In real time the reps are read on a worker thread (the live path never waits): same verdicts."""
    from glutesense.acquire.rep_verdicts import RepVerdicts
    from glutesense.decode.decoder import SessionDecoder
    from glutesense.model.roles import Protocol
    from glutesense.session import read_session

    session = tmp_path / "s.gses"
    argv = [
        "record",
        "--device",
        "sim",
        "--speed",
        "inf",
        "--reps",
        "2",
        "--skip-gate",
        "--out",
        str(session),
    ]
    assert main(argv) == 0
    data = read_session(session)
    got = []
    for background in (False, True):
        dec = SessionDecoder(data.meta)
        dec.push_all(data.packets)
        verdicts = RepVerdicts(Protocol.BRIDGE, background=background)
        for e in data.events:
            verdicts.on_event(e)
        lines = verdicts.tick(1e9, dec)
        assert bool(lines) is not background  # in the background: at a later tick, or at finish()
        lines += verdicts.finish()
        got.append(lines)
    assert got[0] == got[1] and [line.split(":")[0] for line in got[0]] == [
        "rep 1 left",
        "rep 1 right",
        "rep 2 left",
        "rep 2 right",
    ]
