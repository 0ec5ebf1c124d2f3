"""Damaged session files: one flipped bit costs one record, in format 2 and in format 1."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from glutesense.model.records import Event, RawPacket
from glutesense.session import SessionError, SessionWriter, read_session
from glutesense.session.format import FILE_HEADER, RecordType, file_header, pack_packet, pack_record
from glutesense.session.reader import SessionData

N_PACKETS = 300


def _packets() -> list[RawPacket]:
    rng = random.Random(4)
    out = []
    for i in range(N_PACKETS):
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
        out.append(RawPacket(1_000 + i * 10_000_000, i % 2, 0, payload))
    return out


def _write_v2(path: Path) -> None:
    with SessionWriter(path, {"start_ns": 1_000, "subject": "S01"}) as w:
        for i, pkt in enumerate(_packets()):
            w.add_packet(pkt)
            if i % 50 == 0:
                w.add_event(Event(i * 0.01, 0.0, "cue", rep=i // 50 + 1))


def _write_v1(path: Path) -> None:
    """A format-1 file as glutesense wrote them before format 2 (no sync marker)."""
    meta = json.dumps({"start_ns": 1_000, "subject": "S01"}).encode()
    parts = [file_header(1), pack_record(RecordType.META, meta, 1)]
    for i, pkt in enumerate(_packets()):
        parts.append(pack_packet(pkt.t_rx_ns, pkt.device, pkt.char, pkt.payload, 1))
        if i % 50 == 0:
            ev = json.dumps(Event(i * 0.01, 0.0, "cue", rep=i // 50 + 1).to_json()).encode()
            parts.append(pack_record(RecordType.EVENT, ev, 1))
    path.write_bytes(b"".join(parts))


def _is_subsequence(short: tuple[object, ...], long: tuple[object, ...]) -> bool:
    it = iter(long)
    return all(any(x == y for y in it) for x in short)


def _lost(full: SessionData, d: SessionData) -> int:
    assert _is_subsequence(d.packets, full.packets) and _is_subsequence(d.events, full.events)
    return len(full.packets) + len(full.events) - len(d.packets) - len(d.events)


def _body_start(path: Path) -> int:
    """First byte after the metadata record (a flip there must not cost the metadata)."""
    return FILE_HEADER.size + 64 + 40


@pytest.mark.parametrize(("writer", "version"), [(_write_v2, 2), (_write_v1, 1)])
def test_one_flipped_bit_costs_one_record(tmp_path: Path, writer: object, version: int) -> None:
    p = tmp_path / "s.gses"
    writer(p)  # type: ignore[operator]
    full = read_session(p)
    assert full.version == version and not full.damage
    clean = p.read_bytes()
    rng = random.Random(version)
    for _ in range(60):
        pos = rng.randrange(_body_start(p), len(clean))
        bad = bytearray(clean)
        bad[pos] ^= 1 << rng.randrange(8)
        p.write_bytes(bytes(bad))
        d = read_session(p)
        assert _lost(full, d) == 1, pos
        assert len(d.damage) == 1 and d.damage[0].start_byte <= pos < d.damage[0].end_byte
        if version == 2:
            assert d.damage[0].records_lost == 1


@pytest.mark.parametrize("writer", [_write_v2, _write_v1])
def test_zeroed_span_costs_only_the_records_it_touches(tmp_path: Path, writer: object) -> None:
    p = tmp_path / "s.gses"
    writer(p)  # type: ignore[operator]
    full = read_session(p)
    clean = p.read_bytes()
    a, b = len(clean) // 3, len(clean) // 3 + 200
    p.write_bytes(clean[:a] + bytes(b - a) + clean[b:])
    d = read_session(p)
    (span,) = d.damage
    assert span.start_byte <= a and span.end_byte >= b and not span.truncated
    # no more records lost than the span can hold (each record is at least 23 bytes)
    assert 1 <= _lost(full, d) <= (span.end_byte - span.start_byte) // 23 + 1
    assert d.packets[-1] == full.packets[-1]
    assert span.t_from_s is not None and span.t_to_s is not None and span.t_from_s < span.t_to_s


@pytest.mark.parametrize("writer", [_write_v2, _write_v1])
def test_truncated_tail_is_a_truncated_span(tmp_path: Path, writer: object) -> None:
    p = tmp_path / "s.gses"
    writer(p)  # type: ignore[operator]
    full = read_session(p)
    p.write_bytes(p.read_bytes()[:-7])
    d = read_session(p)
    (span,) = d.damage
    assert span.truncated and span.end_byte == p.stat().st_size and "truncated" in span.describe()
    assert d.truncated and d.packets == full.packets[:-1]


def test_damaged_metadata_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "s.gses"
    _write_v2(p)
    bad = bytearray(p.read_bytes())
    bad[FILE_HEADER.size + 12] ^= 0x10
    p.write_bytes(bytes(bad))
    with pytest.raises(SessionError, match="metadata is missing or damaged"):
        read_session(p)


def test_newer_version_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "s.gses"
    p.write_bytes(file_header(9))
    with pytest.raises(SessionError, match="version 9 is newer"):
        read_session(p)
