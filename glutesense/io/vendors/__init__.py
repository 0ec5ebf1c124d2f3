"""Vendor text layouts, told apart by their first lines: OpenBCI GUI, PLUX OpenSignals, Delsys and
other per-channel-time tables, and tables with a units row.  Anything else is a plain table for
the CSV importer.  Layouts, units and what each reader decides: ``docs/formats-vendors.md``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from pathlib import Path

from glutesense.io.common import InputError
from glutesense.io.vendors import openbci, opensignals, timed, units_row
from glutesense.io.vendors.base import ParsedTable, to_recording
from glutesense.model.records import Event, Recording
from glutesense.model.roles import Role

Parser = Callable[[str, str], ParsedTable]
_SNIFF_CHARS = 65536


def sniff(head: str) -> Parser | None:
    """The parser for a file whose text starts with ``head``, or None for a plain table."""
    stripped = head.lstrip("\ufeff")
    if stripped.startswith(openbci.MAGIC):
        return openbci.parse
    if stripped.startswith(opensignals.MAGIC):
        return opensignals.parse
    lines = stripped.splitlines()[:40]
    first = next((ln for ln in lines if ln.strip()), "")
    dialect = csv.excel_tab if first.count("\t") > first.count(",") else csv.excel
    rows = list(csv.reader(lines, dialect=dialect))
    if timed.names_row(rows) is not None:
        return timed.parse
    if units_row.looks_like([r for r in rows if any(c.strip() for c in r)]):
        return units_row.parse
    return None


def read_vendor(
    path: Path,
    *,
    fs_hz: float | None = None,
    mapping: Mapping[Role, str] | None = None,
    emg_unit: str | None = None,
    events: tuple[Event, ...] | None = None,
) -> Recording | None:
    """The recording in ``path`` if it has a vendor layout, else None (a plain table)."""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as f:
            head = f.read(_SNIFF_CHARS)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    parser = sniff(head)
    if parser is None:
        return None
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    parsed = parser(text, str(path))
    return to_recording(parsed, str(path), fs_hz=fs_hz, mapping=mapping, emg_unit=emg_unit, events=events)


__all__ = ["ParsedTable", "read_vendor", "sniff", "to_recording"]
