"""The progress bar of long analyses: shown on a terminal, silent elsewhere (issue 18)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from glutesense.cli import progress


def test_bar_shows_each_stage_on_a_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with progress.stages(3, console=console) as step:
        for label in ("rec.edf: reading", "rec.edf: analyzing", "rec.edf: writing the report"):
            step(label)
            console.file.flush()
    text = buf.getvalue()
    for label in ("rec.edf: reading", "rec.edf: analyzing", "rec.edf: writing the report"):
        assert label in text


def test_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.stages(2) as step:  # stderr is captured: not a terminal
        step("a")
        step("b")
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
