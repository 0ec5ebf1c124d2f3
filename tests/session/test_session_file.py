"""Session files: write, read back, truncated tails, damaged records."""

from __future__ import annotations

from pathlib import Path

import pytest

from glutesense.model.records import Event, RawPacket
from glutesense.session import SessionError, SessionWriter, read_session


def _write(path: Path, n: int = 50) -> None:
    with SessionWriter(path, {"start_ns": 1_000, "subject": "S01"}) as w:
        for i in range(n):
            w.add_packet(RawPacket(1_000 + i * 25_000_000, 0, 0, bytes([i % 256]) * (i % 7 + 1)))
            if i % 10 == 0:
                w.add_event(Event(i * 0.025, 0.0, "cue", rep=i // 10 + 1), note="x")
        w.update_meta({"ground_truth": {"a": 1}})


def test_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "s.gses"
    _write(p)
    d = read_session(p)
    assert d.problem is None
    assert d.meta["subject"] == "S01" and d.meta["ground_truth"] == {"a": 1}
    assert len(d.packets) == 50
    assert d.packets[7] == RawPacket(1_000 + 7 * 25_000_000, 0, 0, bytes([7]) * 1)
    assert [e.rep for e in d.events] == [1, 2, 3, 4, 5]
    assert d.event_extras[0] == {"note": "x", "rep": 1}
    assert d.duration_s == pytest.approx(49 * 0.025, abs=1e-6)


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    p = tmp_path / "s.gses"
    _write(p)
    with pytest.raises(FileExistsError):
        SessionWriter(p, {"start_ns": 0})


@pytest.mark.parametrize("cut", [1, 3, 9, 20])
def test_truncated_tail_is_reported_not_hidden(tmp_path: Path, cut: int) -> None:
    p = tmp_path / "s.gses"
    _write(p)
    full = read_session(p)
    data = p.read_bytes()
    p.write_bytes(data[:-cut])
    d = read_session(p)
    assert d.problem is not None and "truncated" in d.problem
    # everything before the damaged last record is still there
    assert len(d.packets) + len(d.events) >= len(full.packets) + len(full.events) - 2
    assert d.packets == full.packets[: len(d.packets)]


def test_flipped_byte_is_named_and_read_past(tmp_path: Path) -> None:
    p = tmp_path / "s.gses"
    _write(p)
    full = read_session(p)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    d = read_session(p)
    assert d.problem is not None and "reading went on" in d.problem
    assert len(d.damage) == 1 and d.damage[0].start_byte <= len(data) // 2 < d.damage[0].end_byte
    assert len(d.packets) + len(d.events) == len(full.packets) + len(full.events) - 1


def test_not_a_session(tmp_path: Path) -> None:
    p = tmp_path / "x.gses"
    p.write_bytes(b"hello world, not a session")
    with pytest.raises(SessionError, match="not a glutesense session"):
        read_session(p)
    with pytest.raises(SessionError, match="cannot read"):
        read_session(tmp_path / "missing.gses")
