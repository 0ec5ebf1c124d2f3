"""Framing of session records: every valid record, and the damaged spans between them.

A record is valid when its header is complete, its length plausible and its CRC-32 holds.
After an invalid one the scanner looks for the next valid record: at the next sync marker
(format 2) or, in format 1 files that have no marker, at the next byte offset whose type,
length and checksum all hold.  The bytes in between are one :class:`Skipped` span, so one
flipped bit costs the record it hit, never the rest of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from glutesense.session.format import (
    FILE_HEADER,
    MAX_RECORD_BYTES,
    RECORD_CRC,
    RECORD_HEADER,
    SYNC,
    RecordType,
    record_crc,
)

_KINDS = tuple(int(k) for k in RecordType)
_MIN_V1 = RECORD_HEADER.size + RECORD_CRC.size


@dataclass(frozen=True)
class Frame:
    """One valid record: where it starts and ends, its type id and payload."""

    pos: int
    kind: int
    payload: bytes
    end: int


@dataclass(frozen=True)
class Skipped:
    """Bytes ``[start, end)`` holding no valid record; ``reason`` is what was wrong at ``start``."""

    start: int
    end: int
    reason: str
    truncated: bool
    records_lost: int | None


def frame_at(buf: bytes, pos: int, version: int) -> Frame | str:
    """The valid record starting at ``pos``, or why there is none."""
    n = len(buf)
    head_at = pos
    if version >= 2:
        if buf[pos : pos + len(SYNC)] != SYNC:
            return "no record marker"
        head_at = pos + len(SYNC)
    if head_at + RECORD_HEADER.size > n:
        return "truncated record header"
    kind, length = RECORD_HEADER.unpack_from(buf, head_at)
    if length > MAX_RECORD_BYTES:
        return f"record header declares {length} bytes"
    body = head_at + RECORD_HEADER.size
    end = body + length + RECORD_CRC.size
    if end > n:
        return f"truncated record ({n - pos} of {end - pos} bytes present)"
    payload = buf[body : end - RECORD_CRC.size]
    (crc,) = RECORD_CRC.unpack_from(buf, end - RECORD_CRC.size)
    if crc != record_crc(buf[head_at:body], payload, version):
        return "checksum mismatch"
    return Frame(pos, kind, payload, end)


def _v1_candidates(buf: bytes, start: int) -> np.ndarray:
    """Offsets from ``start`` on whose type byte is known and whose length fits the file."""
    a = np.frombuffer(buf, np.uint8)[start:]
    m = len(a) - _MIN_V1 + 1
    if m <= 0:
        return np.zeros(0, np.int64)
    idx = np.flatnonzero(np.isin(a[:m], _KINDS))
    length = np.zeros(len(idx), np.int64)
    for k in range(4):
        length |= a[idx + 1 + k].astype(np.int64) << (8 * k)
    fits = (length <= MAX_RECORD_BYTES) & (idx + _MIN_V1 + length <= len(a))
    return idx[fits] + start


def next_valid(buf: bytes, pos: int, version: int) -> int | None:
    """Offset of the first valid record after ``pos``, or None."""
    if version >= 2:
        i = buf.find(SYNC, pos + 1)
        while i != -1:
            if isinstance(frame_at(buf, i, version), Frame):
                return i
            i = buf.find(SYNC, i + 1)
        return None
    for i in _v1_candidates(buf, pos + 1):
        if isinstance(frame_at(buf, int(i), version), Frame):
            return int(i)
    return None


def scan(buf: bytes, version: int) -> Iterator[Frame | Skipped]:
    """Every valid record after the file header, with a :class:`Skipped` for each damaged span."""
    pos = FILE_HEADER.size
    n = len(buf)
    while pos < n:
        got = frame_at(buf, pos, version)
        if isinstance(got, Frame):
            yield got
            pos = got.end
            continue
        nxt = next_valid(buf, pos, version)
        end = n if nxt is None else nxt
        if nxt is not None and got.startswith("truncated"):
            got = "damaged record length (the record would run past the end of the file)"
        lost = max(1, buf.count(SYNC, pos, end)) if version >= 2 else None
        yield Skipped(pos, end, got, truncated=nxt is None, records_lost=lost)
        pos = end
