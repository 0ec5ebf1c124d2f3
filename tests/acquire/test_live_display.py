"""The plain live display: timestamped lines for cues, link notices, gaps and counters."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from glutesense.acquire.status import RecorderStatus
from glutesense.cli.display import PlainView
from glutesense.cli.main import main
from glutesense.session import read_session

LINE = re.compile(r"^\[\s*(\d+\.\d) s\] (.*)$")


def _lines(text: str) -> list[tuple[float, str]]:
    return [(float(m[1]), m[2]) for m in map(LINE.match, text.splitlines()) if m]


def test_record_without_a_terminal_prints_one_line_per_cue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.gses"
    argv = ["record", "--device", "sim", "--speed", "inf", "--reps", "3", "--rest-s", "3", "--out", str(out)]
    assert main(argv) == 0  # no --plain: standard output is not a terminal under pytest
    lines = _lines(capsys.readouterr().out)
    cues = [(t, text) for t, text in lines if text.startswith("cue ") and not text.startswith("cue gate_")]
    events = [e for e in read_session(out).events if e.trial_type in ("rest", "cue", "lower")]
    assert len(cues) == len(events) == 1 + 2 * 3
    for (t, text), e in zip(cues, events, strict=True):
        assert text.startswith(f"cue {e.trial_type}")
        assert abs(t - e.onset_s) < 0.25  # printed at the status right after the cue was given
    assert [text for _, text in cues if text.startswith("cue cue")] == [
        f"cue cue rep {r}: Lift your hips" for r in (1, 2, 3)
    ]
    times = [t for t, _ in lines]
    assert times == sorted(times)
    end = [text for _, text in lines if text.startswith("end: ")]
    assert len(end) == 1 and "lost 0, gaps 0" in end[0]
    assert re.search(r"EMG rate device 0 (99\d|100\d) Hz", end[0])  # diy-v1 at 1 kHz


def test_plain_lines_show_gaps_and_link_notices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.gses"
    argv = ["record", "--device", "sim", "--speed", "inf", "--reps", "2", "--rest-s", "3", "--plain"]
    argv += ["--sim-drop", "0.05", "--sim-disconnect-at-s", "8", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    lines = [t for _, t in _lines(text)]
    assert "link: disconnect" in lines and "link: reconnect" in lines
    gaps = [t for t in lines if t.startswith("gap: ")]
    assert gaps
    lost = int(re.search(r"(\d+) packets lost in all", gaps[-1])[1])  # type: ignore[index]
    meta = read_session(out).meta["recorder"]
    assert lost <= meta["lost_packets"]
    assert f"lost {meta['lost_packets']}, gaps {meta['n_gaps']}" in text.splitlines()[-3]


def test_plain_view_counts_only_new_cues_and_gaps() -> None:
    buf = io.StringIO()
    base = dict(
        duration_s=30.0, label="cue", next_text=None, countdown_s=None, connected=True, lost_packets=0
    )
    with PlainView("t", buf, counters_every_s=100.0) as view:
        view.on_status(RecorderStatus(t_s=1.0, text="Lift", n_packets=1, n_cues=1, rep=1, **base), None)
        view.on_status(RecorderStatus(t_s=1.2, text="Lift", n_packets=2, n_cues=1, rep=1, **base), None)
        view.on_status(
            RecorderStatus(
                t_s=1.4, text="Lift", n_packets=3, n_cues=1, rep=1, n_gaps=2, **{**base, "lost_packets": 5}
            ),
            None,
        )
        view.line(1.5, "rep 1: hamstring first")
    got = [t for _, t in _lines(buf.getvalue())]
    assert got == [
        "cue cue rep 1: Lift",
        "gap: 2 new, 5 packets lost in all",
        "rep 1: hamstring first",
        "end: packets 3, lost 5, gaps 2",
    ]
