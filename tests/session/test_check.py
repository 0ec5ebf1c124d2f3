"""``glutesense check``: exit 0 intact, 1 damaged but read past, 2 unreadable; ``--rewrite``."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from support.paths import SAMPLES

from glutesense.cli.main import main
from glutesense.session import read_session

SAMPLE = SAMPLES / "bridge_glute_late.gses"


def _damaged(tmp_path: Path, n_flips: int = 2) -> Path:
    buf = bytearray(SAMPLE.read_bytes())
    rng = random.Random(3)
    for k in range(n_flips):  # one flip in each half, far apart
        pos = rng.randrange(len(buf) // 10 + k * len(buf) // 2, (k + 1) * len(buf) // 2 - 2000)
        buf[pos] ^= 0x20
    out = tmp_path / "bad.gses"
    out.write_bytes(bytes(buf))
    return out


def test_intact_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    full = read_session(SAMPLE)
    assert f"intact: format 1, {len(full.packets)} packets" in out


def test_damaged_file_exits_1_and_names_each_span(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _damaged(tmp_path)
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    d = read_session(bad)
    assert len(d.damage) == 2
    assert f"damaged, read past: format 1, {len(d.packets)} packets" in out
    for span in d.damage:
        assert span.describe() in out
    a, b = d.damage
    assert f"intact bytes: 0-{a.start_byte}, {a.end_byte}-{b.start_byte}, {b.end_byte}-" in out


def test_rewrite_gives_an_intact_format_2_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _damaged(tmp_path)
    fixed = tmp_path / "fixed.gses"
    assert main(["check", str(bad), "--rewrite", str(fixed)]) == 1
    d, f = read_session(bad), read_session(fixed)
    assert f.version == 2 and not f.damage
    assert f.packets == d.packets and f.events == d.events and f.event_extras == d.event_extras
    assert f.meta["repaired_from"]["source"] == str(bad)
    assert len(f.meta["repaired_from"]["file_damage"]) == 2
    assert {k: v for k, v in f.meta.items() if k not in ("repaired_from", "format_version")} == {
        k: v for k, v in d.meta.items() if k != "format_version"
    }
    capsys.readouterr()
    assert main(["check", str(fixed)]) == 0
    assert main(["check", str(bad), "--rewrite", str(fixed)]) == 2  # never overwrites
    err = capsys.readouterr().err
    assert "already exists" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "not a glutesense session"), (b"GLUTESNS\x02\x00\x00\x00" + bytes(50), "metadata is missing")],
)
def test_unreadable_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    p = tmp_path / "x.gses"
    p.write_bytes(content)
    assert main(["check", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and str(p) in err and len(err.splitlines()) == 1 and "Traceback" not in err
