"""Append-only, crash-safe writer of native session files.

Records are buffered in memory and written, flushed and ``fsync``-ed at least
every ``flush_interval_s`` seconds (wall time), so a ``kill -9`` or a power
loss loses at most that much.  The reader opens whatever was flushed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from glutesense.model.records import Event, RawPacket
from glutesense.session.format import FORMAT_VERSION, RecordType, file_header, pack_packet, pack_record


def _json_bytes(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, allow_nan=False).encode("utf-8")


class SessionWriter:
    """Write a session file record by record.

    Parameters
    ----------
    path : path-like
        File to create (refuses to overwrite an existing file).
    meta : mapping
        Session metadata; must hold ``start_ns`` (the clock's reading at
        session time 0).  See ``docs/format.md`` for the keys; ``format_version`` is set to the
        version the writer writes.
    flush_interval_s : float
        Longest time buffered records wait before they are flushed to disk.
    """

    def __init__(
        self, path: str | os.PathLike[str], meta: Mapping[str, Any], *, flush_interval_s: float = 0.5
    ):
        if "start_ns" not in meta:
            raise ValueError("session metadata needs 'start_ns'")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "xb")  # noqa: SIM115 - closed in close()
        meta = {**meta, "format_version": FORMAT_VERSION}
        self._buf: list[bytes] = [file_header(), pack_record(RecordType.META, _json_bytes(meta))]
        self._flush_interval_s = flush_interval_s
        self._last_flush = time.monotonic()
        self.n_packets = 0
        self.n_events = 0
        self.flush()

    def add_packet(self, pkt: RawPacket) -> None:
        """Append one raw notification."""
        self._buf.append(pack_packet(pkt.t_rx_ns, pkt.device, pkt.char, pkt.payload))
        self.n_packets += 1
        self.maybe_flush()

    def add_event(self, event: Event, **extra: Any) -> None:
        """Append one event (onset in session seconds); ``extra`` keys are kept."""
        self._buf.append(pack_record(RecordType.EVENT, _json_bytes({**extra, **event.to_json()})))
        self.n_events += 1
        self.maybe_flush()

    def update_meta(self, patch: Mapping[str, Any]) -> None:
        """Append a metadata patch (merged over the metadata when read)."""
        self._buf.append(pack_record(RecordType.META_PATCH, _json_bytes(patch)))
        self.flush()

    def maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self._flush_interval_s:
            self.flush()

    def flush(self) -> None:
        """Write buffered records and push them to the disk."""
        if self._file.closed:
            return
        if self._buf:
            self._file.write(b"".join(self._buf))
            self._buf.clear()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._last_flush = time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
