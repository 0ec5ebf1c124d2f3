"""Reader of native session files, tolerant of a truncated tail.

A recording killed mid-way ends in a partial record; the reader returns all
complete records before it and says so in :attr:`SessionData.problem`
(never hiding it).  A file that is not a session, or whose first record is
damaged, raises :class:`SessionError` naming the file and the problem.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glutesense.model.records import Event, RawPacket
from glutesense.session.format import (
    FILE_HEADER,
    FORMAT_VERSION,
    MAGIC,
    MAX_RECORD_BYTES,
    PACKET_HEAD,
    RECORD_CRC,
    RECORD_HEADER,
    RecordType,
)


class SessionError(ValueError):
    """A session file that cannot be read; the message names file and problem."""


@dataclass(frozen=True)
class SessionData:
    """Everything stored in a session file.

    Attributes
    ----------
    meta : mapping
        Metadata with all patches merged in order.
    packets : tuple of RawPacket
        Notifications in the order they were received.
    events : tuple of Event
        The event log (session seconds).
    event_extras : tuple of mapping
        Extra keys stored with each event (same order as ``events``).
    problem : str or None
        Why reading stopped early (truncated or damaged tail), else None.
    path : str
    n_bytes_read : int
        Bytes of complete, valid records (including the file header).
    """

    meta: Mapping[str, Any]
    packets: tuple[RawPacket, ...]
    events: tuple[Event, ...]
    event_extras: tuple[Mapping[str, Any], ...] = field(default=())
    problem: str | None = None
    path: str = ""
    n_bytes_read: int = 0

    @property
    def truncated(self) -> bool:
        return self.problem is not None

    @property
    def start_ns(self) -> int:
        return int(self.meta["start_ns"])

    @property
    def duration_s(self) -> float:
        if not self.packets:
            return 0.0
        return (self.packets[-1].t_rx_ns - self.start_ns) / 1e9


def is_session_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` starts with the session magic bytes."""
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def read_session(path: str | os.PathLike[str]) -> SessionData:
    """Read a session file.

    Raises
    ------
    SessionError
        The file is missing, is not a session, or its metadata is damaged.
    """
    p = Path(path)
    try:
        buf = p.read_bytes()
    except OSError as e:
        raise SessionError(f"{p}: cannot read ({e.strerror or e})") from None
    if len(buf) < FILE_HEADER.size or buf[: len(MAGIC)] != MAGIC:
        raise SessionError(f"{p}: not a glutesense session file (no GLUTESNS header)")
    _, version, _ = FILE_HEADER.unpack_from(buf)
    if version > FORMAT_VERSION:
        raise SessionError(f"{p}: session format version {version} is newer than this glutesense reads")

    meta: dict[str, Any] | None = None
    packets: list[RawPacket] = []
    events: list[Event] = []
    extras: list[Mapping[str, Any]] = []
    problem: str | None = None
    pos = FILE_HEADER.size
    n = len(buf)
    while pos < n:
        if pos + RECORD_HEADER.size > n:
            problem = f"truncated record header at byte {pos}"
            break
        kind_id, length = RECORD_HEADER.unpack_from(buf, pos)
        end = pos + RECORD_HEADER.size + length + RECORD_CRC.size
        if length > MAX_RECORD_BYTES:
            problem = f"damaged record at byte {pos} (declares {length} bytes)"
            break
        if end > n:
            problem = f"truncated record at byte {pos} ({n - pos} of {end - pos} bytes present)"
            break
        payload = buf[pos + RECORD_HEADER.size : end - RECORD_CRC.size]
        (crc,) = RECORD_CRC.unpack_from(buf, end - RECORD_CRC.size)
        if crc != zlib.crc32(payload, zlib.crc32(bytes([kind_id]))):
            problem = f"damaged record at byte {pos} (checksum mismatch)"
            break
        try:
            kind = RecordType(kind_id)
        except ValueError:
            problem = f"unknown record type {kind_id} at byte {pos}"
            break
        if kind is RecordType.PACKET:
            t_rx_ns, device, char = PACKET_HEAD.unpack_from(payload)
            packets.append(RawPacket(t_rx_ns, device, char, bytes(payload[PACKET_HEAD.size :])))
        else:
            try:
                obj = json.loads(payload)
            except ValueError:
                problem = f"record at byte {pos} holds invalid JSON"
                break
            if kind is RecordType.META:
                meta = dict(obj)
            elif kind is RecordType.META_PATCH:
                if meta is None:
                    problem = f"metadata patch before metadata at byte {pos}"
                    break
                meta.update(obj)
            else:
                try:
                    events.append(Event.from_json(obj))
                except (KeyError, ValueError, TypeError):
                    problem = f"malformed event at byte {pos}"
                    break
                extras.append({k: v for k, v in obj.items() if k not in ("onset", "duration", "trial_type")})
        pos = end
    if meta is None:
        raise SessionError(f"{p}: session metadata is missing or damaged ({problem or 'no records'})")
    if "start_ns" not in meta:
        raise SessionError(f"{p}: session metadata has no start_ns")
    return SessionData(meta, tuple(packets), tuple(events), tuple(extras), problem, str(p), pos)
