"""A flipped bit in the body of each sample session: every other record read, the damage named."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from support.paths import SAMPLES

from glutesense.cli.main import main
from glutesense.session import read_session

SAMPLE_FILES = sorted(SAMPLES.glob("*.gses"))


def _flip(src: Path, dst: Path, seed: int) -> int:
    buf = bytearray(src.read_bytes())
    rng = random.Random(seed)
    pos = rng.randrange(len(buf) // 10, len(buf))  # the body, well past the metadata
    buf[pos] ^= 1 << rng.randrange(8)
    dst.write_bytes(bytes(buf))
    return pos


def test_samples_are_format_1() -> None:
    assert len(SAMPLE_FILES) == 4
    assert all(read_session(p).version == 1 for p in SAMPLE_FILES)


@pytest.mark.parametrize("src", SAMPLE_FILES, ids=lambda p: p.stem)
def test_one_flipped_bit_loses_one_record(tmp_path: Path, src: Path) -> None:
    full = read_session(src)
    assert not full.damage
    for seed in range(5):
        pos = _flip(src, tmp_path / "bad.gses", seed)
        d = read_session(tmp_path / "bad.gses")
        lost = len(full.packets) + len(full.events) - len(d.packets) - len(d.events)
        assert lost == 1, (seed, pos)
        assert set(d.packets) <= set(full.packets)
        (span,) = d.damage
        assert span.start_byte <= pos < span.end_byte and not span.truncated


def test_analyze_names_the_damage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = SAMPLES / "bridge_glute_first.gses"
    bad = tmp_path / "bad.gses"
    pos = _flip(src, bad, 1)
    assert main(["analyze", str(bad), "--protocol", "bridge", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "file damage: damaged span at bytes" in out and "reading went on" in out
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    (dmg,) = summary["file_damage"]
    assert dmg["start_byte"] <= pos < dmg["end_byte"] and dmg["t_from_s"] < dmg["t_to_s"]
    html = (tmp_path / "out" / "report.html").read_text()
    head = html[: html.index("What we found")]
    assert "The session file is damaged" in head and f"bytes {dmg['start_byte']}-" in head
