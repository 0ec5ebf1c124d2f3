"""Reader of native session files that reads on past damage.

A recording killed mid-way ends in a partial record; a flipped bit damages one record.  The
reader returns every valid record (see :mod:`glutesense.session.scan`) and names each damaged
span in :attr:`SessionData.damage` (never hiding it).  A file that is not a session, or whose
metadata cannot be read, raises :class:`SessionError` naming the file and the problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glutesense.model.meta import FileDamage
from glutesense.model.records import Event, RawPacket
from glutesense.session.format import FILE_HEADER, MAGIC, PACKET_HEAD, READABLE_VERSIONS, RecordType
from glutesense.session.scan import Frame, Skipped, scan


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
    damage : tuple of FileDamage
        Every damaged or truncated span, in file order (empty for an intact file).
    path : str
    n_bytes_read : int
        Bytes of valid records (including the file header).
    version : int
        The file's format version.
    """

    meta: Mapping[str, Any]
    packets: tuple[RawPacket, ...]
    events: tuple[Event, ...]
    event_extras: tuple[Mapping[str, Any], ...] = field(default=())
    damage: tuple[FileDamage, ...] = ()
    path: str = ""
    n_bytes_read: int = 0
    version: int = 2

    @property
    def problem(self) -> str | None:
        """One line naming all damage, or None for an intact file."""
        if not self.damage:
            return None
        lines = [d.describe() for d in self.damage]
        more = f" (and {len(lines) - 1} more damaged span(s))" if len(lines) > 1 else ""
        return lines[0] + more

    def damage_meta(self) -> dict[str, Any]:
        """``read_problem`` and ``file_damage`` for the decoded recording's metadata ({} if intact)."""
        if not self.damage:
            return {}
        return {"read_problem": self.problem, "file_damage": [d.to_json() for d in self.damage]}

    @property
    def truncated(self) -> bool:
        return any(d.truncated for d in self.damage)

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


class _Collector:
    """Turns frames into metadata, packets and events; a frame it cannot parse is damage."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] | None = None
        self.packets: list[RawPacket] = []
        self.events: list[Event] = []
        self.extras: list[Mapping[str, Any]] = []
        self.spans: list[tuple[Skipped, int]] = []  # damaged span, packets read before it
        self.n_bytes = FILE_HEADER.size

    def skip(self, s: Skipped) -> None:
        self.spans.append((s, len(self.packets)))

    def take(self, f: Frame) -> None:
        problem = self._parse(f)
        if problem is None:
            self.n_bytes += f.end - f.pos
        else:
            self.skip(Skipped(f.pos, f.end, problem, truncated=False, records_lost=1))

    def _parse(self, f: Frame) -> str | None:
        if f.kind == RecordType.PACKET:
            if len(f.payload) < PACKET_HEAD.size:
                return "packet record too short"
            t_rx_ns, device, char = PACKET_HEAD.unpack_from(f.payload)
            self.packets.append(RawPacket(t_rx_ns, device, char, f.payload[PACKET_HEAD.size :]))
            return None
        if f.kind not in (RecordType.META, RecordType.META_PATCH, RecordType.EVENT):
            return None  # a record type from a newer minor writer: skipped, as the format allows
        try:
            obj = json.loads(f.payload)
        except ValueError:
            return "record holds invalid JSON"
        if not isinstance(obj, dict):
            return "record holds JSON that is not an object"
        return self._json_record(RecordType(f.kind), obj)

    def _json_record(self, kind: RecordType, obj: dict[str, Any]) -> str | None:
        if kind is RecordType.META:
            self.meta = {**obj, **(self.meta or {})} if self.meta else dict(obj)
        elif kind is RecordType.META_PATCH:
            if self.meta is None:
                return "metadata patch before the metadata"
            self.meta.update(obj)
        else:
            try:
                self.events.append(Event.from_json(obj))
            except (KeyError, ValueError, TypeError):
                return "malformed event"
            self.extras.append({k: v for k, v in obj.items() if k not in ("onset", "duration", "trial_type")})
        return None

    def damage(self, start_ns: int) -> tuple[FileDamage, ...]:
        out = []
        for s, k in self.spans:
            t_from = (self.packets[k - 1].t_rx_ns - start_ns) / 1e9 if k > 0 else None
            t_to = (self.packets[k].t_rx_ns - start_ns) / 1e9 if k < len(self.packets) else None
            out.append(FileDamage(s.start, s.end, s.reason, s.truncated, s.records_lost, t_from, t_to))
        return tuple(out)


def _header(p: Path, buf: bytes) -> int:
    if len(buf) < FILE_HEADER.size or buf[: len(MAGIC)] != MAGIC:
        raise SessionError(f"{p}: not a glutesense session file (no GLUTESNS header)")
    _, version, _ = FILE_HEADER.unpack_from(buf)
    if version > max(READABLE_VERSIONS):
        raise SessionError(f"{p}: session format version {version} is newer than this glutesense reads")
    if version not in READABLE_VERSIONS:
        raise SessionError(f"{p}: unknown session format version {version}")
    return int(version)


def read_session(path: str | os.PathLike[str]) -> SessionData:
    """Read a session file, reading on past damaged records.

    Raises
    ------
    SessionError
        The file is missing, is not a session, or its metadata is missing or damaged.
    """
    p = Path(path)
    try:
        buf = p.read_bytes()
    except OSError as e:
        raise SessionError(f"{p}: cannot read ({e.strerror or e})") from None
    version = _header(p, buf)
    c = _Collector()
    for item in scan(buf, version):
        if isinstance(item, Frame):
            c.take(item)
        else:
            c.skip(item)
    if c.meta is None:
        first = c.spans[0][0].reason if c.spans else "no records"
        raise SessionError(f"{p}: session metadata is missing or damaged ({first})")
    try:
        start_ns = int(c.meta["start_ns"])
    except (KeyError, TypeError, ValueError):
        raise SessionError(f"{p}: session metadata has no valid start_ns") from None
    damage = c.damage(start_ns)
    return SessionData(
        c.meta, tuple(c.packets), tuple(c.events), tuple(c.extras), damage, str(p), c.n_bytes, version
    )

