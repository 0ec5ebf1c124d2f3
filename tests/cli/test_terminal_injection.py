"""User text reaches neither the terminal nor the report with its hidden characters raw (issue 16).

A subject id, a file name and an event label each hold every direction and invisible character the
issue lists, a C1 control and an OSC escape (``ESC ] 0 ; ... BEL``, which retitles a terminal); the
terminal output (captured) and ``report.html`` show them as ``\\u202e``, ``\\x1b``, never raw.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from support.paths import SAMPLES

from glutesense.cli.main import main
from glutesense.cli.terminal import markup, safe
from glutesense.model.records import Event
from glutesense.model.text import visible
from glutesense.report.html import visible_page
from glutesense.session import SessionWriter, read_session

HIDDEN = tuple("\u202e\u200f\u2066\u2067\u2068\u2069\u200b\ufeff\x9b\x1b\x07")
HOSTILE = "S\u202e10\u200f\u2066x\u2067\u2068\u2069\u200b\ufeff\x9b1m\x1b]0;owned\x07"
CLI = Path(__file__).resolve().parents[2] / "glutesense" / "cli"


def _raw(text: str) -> list[str]:
    return [hex(ord(c)) for c in HIDDEN if c in text]


def test_visible_escapes_each_hidden_character() -> None:
    assert visible("a\u202eb") == "a\\u202eb"
    assert visible("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert visible("x\U000e0041") == "x\\U000e0041"  # a tag character (Cf) beyond the BMP
    assert visible("bad\udcff") == "bad\\udcff"  # an undecodable byte of a file name
    assert visible("Müller 李 µV, 7 s") == "Müller 李 µV, 7 s"
    assert visible("a\nb") == "a\\x0ab" and visible("a\nb", keep="\n") == "a\nb"
    assert visible("é\n\u2028\x85\x7f\t", keep="\n") == "é\n\\u2028\\x85\\x7f\\x09"  # Zl, NEL, DEL, tab
    assert not _raw(visible(HOSTILE)) and not _raw(safe(HOSTILE)) and not _raw(visible_page(HOSTILE))


def test_markup_is_escaped_for_rich() -> None:
    from rich.console import Console

    console = Console(record=True, width=200, force_terminal=False)
    console.print(markup("[bold red]S01[/] [/]" + HOSTILE))  # an unbalanced [/] would raise
    text = console.export_text()
    assert "[bold red]S01[/] [/]" in text and not _raw(text)


def _hostile_session(tmp_path: Path) -> Path:
    data = read_session(SAMPLES / "bridge_glute_first.gses")
    path = tmp_path / f"bridge {HOSTILE}.gses"
    with SessionWriter(path, {**data.meta, "subject": HOSTILE}) as w:
        for p in data.packets:
            w.add_packet(p)
        for e in data.events:
            w.add_event(e)
        w.add_event(Event(1.0, 0.0, f"mark {HOSTILE}"))
    return path


def test_analyze_shows_no_raw_hidden_character(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = _hostile_session(tmp_path)
    out = tmp_path / f"out{HOSTILE}"
    assert main(["analyze", str(session), "--protocol", "bridge", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert not _raw(captured.out) and not _raw(captured.err), captured
    assert visible(str(session)) in captured.out  # named, with the characters shown
    html = (out / "report.html").read_text(encoding="utf-8")
    assert not _raw(html)
    assert "S\\u202e10\\u200f" in html  # the subject id, visible
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary  # the data files keep the user's text as it is (escaping is for a sink that shows it)


def test_check_and_replay_show_no_raw_hidden_character(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = _hostile_session(tmp_path)
    assert main(["check", str(session)]) == 0
    assert main(["replay", str(session)]) == 0
    captured = capsys.readouterr()
    assert not _raw(captured.out) and not _raw(captured.err), captured


def test_error_lines_show_no_raw_hidden_character(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / f"{HOSTILE}.csv"
    bad.write_text("")
    assert main(["analyze", str(bad), "--protocol", "bridge", "--out", str(tmp_path / "o")]) == 2
    with pytest.raises(SystemExit):
        main(["analyze", str(bad), "--protocol", HOSTILE])  # argparse quotes the bad choice
    captured = capsys.readouterr()
    assert not _raw(captured.out) and not _raw(captured.err), captured
    assert "\\u202e" in captured.err and "\\x1b]0;owned\\x07" in captured.err


def test_no_command_module_prints_past_the_guard() -> None:
    """Every print of the CLI goes through ``terminal.say`` (only terminal.py calls ``print``)."""
    offenders = []
    for path in sorted(CLI.glob("*.py")):
        if path.name == "terminal.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr in {"write"} and ast.unparse(node.value) in {
                "sys.stdout",
                "sys.stderr",
            }:
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, offenders
