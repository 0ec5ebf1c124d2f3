"""Mutated session files: everything intact is read, nothing is invented, every change is named.

Hypothesis damages a session file (format 2, and format 1 as older glutesense wrote it) past its
metadata: truncations, bit flips and zeroed spans, several at once.  A record is intact when none
of its bytes changed; the reader must return every intact packet and event, in order, and no record
the original does not hold; each changed byte lies in a reported damaged span.  (The benchmark
``benchmarks/robustness.py`` runs the same on the sample sessions; ``test_sample_damage.py``
flips one bit in each.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_resync import _write_v1, _write_v2

from glutesense.session import read_session
from glutesense.session.format import RecordType
from glutesense.session.scan import Frame, scan

Damage = tuple[str, int, int]  # (kind, position as a fraction of the body in 1e-6, size or bit)


def _damages() -> st.SearchStrategy[list[Damage]]:
    flip = st.tuples(st.just("flip"), st.integers(0, 999_999), st.integers(0, 7))
    zero = st.tuples(st.just("zero"), st.integers(0, 999_999), st.integers(1, 600))
    cut = st.tuples(st.just("cut"), st.integers(0, 999_999), st.just(0))
    return st.lists(st.one_of(flip, flip, zero, cut), min_size=1, max_size=6)


def _apply(buf: bytes, body: int, damages: list[Damage]) -> bytes:
    b = bytearray(buf)
    for kind, where, size in damages:
        if len(b) <= body:
            break
        at = body + where * (len(b) - body) // 1_000_000
        if kind == "flip":
            b[at] ^= 1 << size
        elif kind == "zero":
            b[at : at + size] = bytes(len(b[at : at + size]))
        else:
            del b[at:]
    return bytes(b)


def _is_subsequence(short: list[object], long: list[object]) -> bool:
    it = iter(long)
    return all(any(x == y for y in it) for x in short)


@pytest.fixture(scope="module", params=[_write_v2, _write_v1], ids=["format2", "format1"])
def original(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "orig.gses"
    request.param(path)
    return path


def test_everything_intact_is_read(original: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    buf = original.read_bytes()
    full = read_session(original)
    version = full.version
    frames = [f for f in scan(buf, version) if isinstance(f, Frame)]
    body = frames[0].end  # past the metadata record
    packets = iter(full.packets)
    events = iter(full.events)
    item = {
        f.pos: next(packets) if f.kind == RecordType.PACKET else next(events)
        for f in frames
        if f.kind in (RecordType.PACKET, RecordType.EVENT)
    }
    ends = {f.end for f in frames}
    path = tmp_path_factory.mktemp("bad") / "bad.gses"

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(damages=_damages())
    def check(damages: list[Damage]) -> None:
        bad = _apply(buf, body, damages)
        path.write_bytes(bad)
        d = read_session(path)
        intact = [item[f.pos] for f in frames if f.pos in item and bad[f.pos : f.end] == buf[f.pos : f.end]]
        got = [*d.packets, *d.events]
        want_p = [x for x in intact if x in full.packets]
        want_e = [x for x in intact if x in full.events]
        assert _is_subsequence(want_p, list(d.packets)) and _is_subsequence(want_e, list(d.events))
        assert _is_subsequence(list(d.packets), list(full.packets))  # nothing invented, order kept
        assert _is_subsequence(list(d.events), list(full.events))
        assert len(got) >= len(intact)
        changed = [i for i in range(min(len(bad), len(buf))) if bad[i] != buf[i]]
        for i in changed[:50]:
            assert any(s.start_byte <= i < s.end_byte for s in d.damage), (i, d.damage)
        if len(bad) < len(buf) and len(bad) not in ends:  # a cut inside a record: a span up to the end
            assert any(s.end_byte >= len(bad) for s in d.damage), d.damage

    check()
