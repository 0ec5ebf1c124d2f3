"""Tables with the units in a second header row (Noraxon MR3-style and many lab exports).

Layout: a names row (``time``, ``RT GLUT MAX``, ``RT HAMSTRING``, ``Accel X``), a units row
(``s``, ``uV``, ``uV``, ``g``), then one row per sample.  The time column is the one named like
time or whose unit is ``s`` / ``ms``; each channel is scaled from the unit under its name.
"""

from __future__ import annotations

import csv
import re
from typing import Any

from glutesense.io.common import InputError
from glutesense.io.vendors.base import TIME_COLUMN, ParsedTable, numeric_block
from glutesense.io.vendors.timed import is_time

_UNITS = {
    "s",
    "ms",
    "us",
    "uv",
    "µv",
    "μv",
    "mv",
    "v",
    "nv",
    "g",
    "mg",
    "m/s2",
    "m/s^2",
    "m/s²",
    "deg/s",
    "dps",
    "°/s",
    "rad/s",
    "%",
    "n",
    "deg",
    "°",
}
_TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def _norm(u: str) -> str:
    return re.sub(r"[\[\]()\s]", "", u.strip().lower())


def looks_like(rows: list[list[str]]) -> bool:
    """Names row, then a row of which every non-empty cell is a unit (and most are)."""
    if len(rows) < 3 or len(rows[0]) < 2:
        return False
    second = [c for c in rows[1] if c.strip()]
    return bool(second) and all(_norm(c) in _UNITS for c in second) and len(second) >= len(rows[0]) // 2


def parse(text: str, source: str) -> ParsedTable:
    import pandas as pd

    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    dialect = csv.excel_tab if first.count("\t") > first.count(",") else csv.excel
    rows = [r for r in csv.reader(text.splitlines(), dialect=dialect) if any(c.strip() for c in r)]
    if not looks_like(rows):
        raise InputError(f"{source}: no units row under the names row")
    names = [c.strip() for c in rows[0]]
    units = [_norm(c) for c in rows[1]] + [""] * (len(names) - len(rows[1]))
    block = numeric_block(rows[2:], source, "samples")
    t_idx = next((j for j, n in enumerate(names) if is_time(n) or units[j] in _TIME_SCALE), None)
    out: dict[str, Any] = {}
    if t_idx is not None:
        out[TIME_COLUMN] = block[:, t_idx] * _TIME_SCALE.get(units[t_idx], 1.0)
    unit_of = {}
    for j, n in enumerate(names):
        if j == t_idx or not n:
            continue
        out[n] = block[:, j] if j < block.shape[1] else float("nan")
        if units[j]:
            unit_of[n] = units[j]
    return ParsedTable("table with a units row", pd.DataFrame(out), unit_of)
