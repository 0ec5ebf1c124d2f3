"""Tables where channels carry their own time columns (Delsys Trigno/EMGworks exports and the like).

Delsys layout: a few metadata lines (``Application: ...``, ``Date/Time: ...``), then a names row
whose cells alternate ``X[s]`` and a channel (``R GLUTEUS MAXIMUS: EMG 1 (V)``,
``Sensor 2: ACC X 2 [g]``), then rows of samples; each channel has its own time column and rate
(EMG about 2148 Hz, accelerometer about 148 Hz), and a slower channel's cells are empty once its
samples run out.  The generic form is any table whose names row holds several time columns
(``time_s``, ``X[s]``, ``t``, ``time (s)``, ...): each applies to the channels after it up to the
next time column.

* The unit of a channel is the one in brackets at the end of its name; without one a Delsys EMG
  channel is in volts and an accelerometer in g (EMGworks' export units).
* All channels are put on the time base of the fastest channel: slower ones are linearly
  interpolated onto it (empty outside their own span), as the CSV export does with an IMU.
"""

from __future__ import annotations

import csv
import re
from typing import Any

import numpy as np

from glutesense.io.common import InputError
from glutesense.io.vendors.base import TIME_COLUMN, ParsedTable, numeric_block

_TIME = re.compile(
    r"^(x\s*\[s\]|time|time_s|t|t_s|time\s*\(s\)|time\s*\[s\]|[\w ]*\btime\b[\w ]*\(s\))$", re.I
)
_UNIT = re.compile(r"^(?P<name>.+?)\s*[\[(](?P<unit>[^\])]+)[\])]\s*$")
_DELSYS_TIME = re.compile(r"^x\s*\[s\]$", re.I)


def is_time(name: str) -> bool:
    return bool(_TIME.match(name.strip()))


def names_row(rows: list[list[str]], limit: int = 40) -> int | None:
    """Index of the first row with at least two time columns, one of them first (None if none)."""
    for i, r in enumerate(rows[:limit]):
        cells = [c.strip() for c in r]
        if len(cells) >= 2 and is_time(cells[0]) and sum(is_time(c) for c in cells) >= 2:
            return i
    return None


def parse(text: str, source: str) -> ParsedTable:
    """Parse a table with per-channel time columns (see the module docstring)."""
    import pandas as pd

    rows = list(csv.reader(text.splitlines(), dialect=_dialect(text)))
    at = names_row(rows)
    if at is None:
        raise InputError(f"{source}: no names row with per-channel time columns")
    names = [c.strip() for c in rows[at]]
    delsys = any(_DELSYS_TIME.match(n) for n in names)
    block = numeric_block([r for r in rows[at + 1 :] if any(c.strip() for c in r)], source, "samples")
    groups = _groups(names)
    channels: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}
    units: dict[str, str] = {}
    for t_idx, members in groups:
        t = block[:, t_idx] if t_idx < block.shape[1] else np.zeros(0)
        for j in members:
            label, unit = _split(names[j], delsys=delsys)
            x = block[:, j] if j < block.shape[1] else np.zeros(0)
            ok = np.isfinite(t) & np.isfinite(x)
            if ok.sum() < 2:
                raise InputError(f"{source}: channel {names[j]!r} has fewer than two samples with times")
            channels[label] = (t[ok], x[ok])
            if unit:
                units[label] = unit
    base_label = min(channels, key=lambda k: float(np.median(np.diff(channels[k][0]))))
    base_t = channels[base_label][0]
    out: dict[str, Any] = {TIME_COLUMN: base_t - base_t[0]}
    notes: list[str] = []
    for label, (t, x) in channels.items():
        if t.size == base_t.size and np.array_equal(t, base_t):
            out[label] = x
            continue
        y = np.interp(base_t, t, x)
        y[(base_t < t[0]) | (base_t > t[-1])] = np.nan
        out[label] = y
        notes.append(
            f"{label}: {1 / float(np.median(np.diff(t))):.4g} Hz, interpolated onto {base_label}'s time base"
        )
    meta = {"header": [",".join(r) for r in rows[:at] if any(c.strip() for c in r)][:10]}
    name = "Delsys export" if delsys else "table with per-channel time columns"
    return ParsedTable(name, pd.DataFrame(out), units, None, (), tuple(notes), meta)


def _groups(names: list[str]) -> list[tuple[int, list[int]]]:
    out: list[tuple[int, list[int]]] = []
    for j, n in enumerate(names):
        if not n:
            continue
        if is_time(n):
            out.append((j, []))
        elif out:
            out[-1][1].append(j)
    return [(t, m) for t, m in out if m]


def _split(name: str, *, delsys: bool) -> tuple[str, str | None]:
    m = _UNIT.match(name)
    if m:
        return m.group("name").strip(), m.group("unit").strip()
    if delsys:
        if re.search(r"\bEMG\b", name, re.I):
            return name, "V"
        if re.search(r"\bACC", name, re.I):
            return name, "g"
    return name, None


def _dialect(text: str) -> type[csv.Dialect]:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return csv.excel_tab if first.count("\t") > first.count(",") else csv.excel
