"""OpenBCI GUI text recordings (``OpenBCI-RAW-*.txt``, the GUI's "OpenBCI" file format).

Layout (GUI 5.x): header lines starting with ``%`` (``%OpenBCI Raw EXG Data``,
``%Number of channels = 8``, ``%Sample Rate = 250 Hz``, ``%Board = ...``), then one line of
column names (``Sample Index, EXG Channel 0, ..., Accel Channel 0..2, Other..., Analog
Channel 0..2, Timestamp, Marker Channel, Timestamp (Formatted)``), then one comma-separated
row per sample.  Older GUIs (``%OpenBCI Raw EEG Data``) write no names line; their columns
are the sample index, the EXG channels and the three accelerometer axes.

* EXG channels are in µV, the accelerometer in g, each as the GUI wrote them.
* The Cyton updates its accelerometer every tenth sample and writes 0 on all three axes
  in between: rows where all three are exactly 0 are taken as "no new value" and filled
  from the neighbours.  ``Accel Channel 0/1/2`` are ``acc_x/y/z`` unless ``--map`` says otherwise.
* Time comes from the sample index (wrapping at 256): a jump places the next row later, so
  lost samples stay lost (and are counted in the notes).  The ``Timestamp`` column (Unix s,
  stamped per radio packet) gives only the start time.
* A non-zero ``Marker Channel`` value becomes an event ``marker N``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re

import numpy as np

from glutesense.io.common import InputError
from glutesense.io.vendors.base import TIME_COLUMN, ParsedTable, numeric_block, times_from_counter
from glutesense.model.arrays import FloatArray
from glutesense.model.records import Event

MAGIC = "%OpenBCI"
_RATE = re.compile(r"%\s*Sample Rate\s*=\s*([\d.]+)\s*Hz", re.I)
_NCH = re.compile(r"%\s*Number of channels\s*=\s*(\d+)", re.I)
_BOARD = re.compile(r"%\s*Board\s*=\s*(.+)", re.I)
_COUNTER_MODULUS = 256
_SKIP = re.compile(
    r"^(other|not used|digital channel.*|analog channel.*|timestamp.*|sample index|marker channel)$", re.I
)


def parse(text: str, source: str) -> ParsedTable:
    """Parse an OpenBCI GUI recording (see the module docstring)."""
    lines = text.splitlines()
    header = [ln for ln in lines if ln.startswith("%")]
    body = [ln for ln in lines if ln.strip() and not ln.startswith("%")]
    rate = _first(_RATE, header)
    if rate is None:
        raise InputError(f"{source}: OpenBCI file without a '%Sample Rate = ... Hz' header line")
    fs_hz = float(rate)
    rows = [[c.strip() for c in r] for r in csv.reader(body)]
    if not rows:
        raise InputError(f"{source}: OpenBCI file without samples")
    if rows[0] and rows[0][0].lower() == "sample index":
        names, rows = rows[0], rows[1:]
    else:  # pre-5.0 GUI: index, EXG channels, accelerometer
        n_ch = int(_first(_NCH, header) or 8)
        names = [
            "Sample Index",
            *[f"EXG Channel {i}" for i in range(n_ch)],
            *[f"Accel Channel {i}" for i in range(3)],
        ]
    if not rows:
        raise InputError(f"{source}: OpenBCI file without samples")
    keep = [i for i, n in enumerate(names) if not _SKIP.match(n)]
    special = [i for i, n in enumerate(names) if n.lower() in ("sample index", "marker channel", "timestamp")]
    numeric = keep + special
    cells = [[r[i] if i < len(r) else "" for i in numeric] for r in rows]
    block = numeric_block(cells, source, "OpenBCI samples")
    col = {names[i]: block[:, k] for k, i in enumerate(numeric)}
    return _table(col, [names[i] for i in keep], fs_hz, header)


def _table(col: dict[str, FloatArray], channels: list[str], fs_hz: float, header: list[str]) -> ParsedTable:
    import pandas as pd

    notes: list[str] = []
    t_s, lost = times_from_counter(col.get("Sample Index", np.array([])), fs_hz, _COUNTER_MODULUS)
    if "Sample Index" not in col:
        t_s = np.arange(len(next(iter(col.values())))) / fs_hz
    if lost:
        notes.append(f"the sample index skips {lost} samples ({lost / fs_hz:.2f} s); they are left empty")
    accel = [c for c in channels if c.lower().startswith("accel channel")]
    if accel:
        zero = np.all(np.vstack([col[c] == 0.0 for c in accel]), axis=0)
        if zero.any() and not zero.all():
            for c in accel:
                col[c] = np.where(zero, np.nan, col[c])
            notes.append(
                "accelerometer rows of all zeros (no new value from the board) filled from neighbours"
            )
    frame = pd.DataFrame({TIME_COLUMN: t_s, **{c: col[c] for c in channels}})
    units = {c: ("g" if c in accel else "uV") for c in channels}
    events = tuple(
        Event(float(t_s[i]), 0.0, f"marker {col['Marker Channel'][i]:g}")
        for i in np.flatnonzero(np.nan_to_num(col.get("Marker Channel", np.zeros(0))) != 0)
    )
    meta: dict[str, object] = {"device": (_first(_BOARD, header) or "OpenBCI").strip()}
    stamps = col.get("Timestamp")
    if stamps is not None and np.isfinite(stamps[0]) and stamps[0] > 1e9:
        meta["created_utc"] = dt.datetime.fromtimestamp(float(stamps[0]), dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    axes = {
        f"acc_{axis}": f"Accel Channel {i}" for i, axis in enumerate("xyz") if f"Accel Channel {i}" in accel
    }
    return ParsedTable("OpenBCI GUI", frame, units, fs_hz, events, tuple(notes), meta, axes)


def _first(pattern: re.Pattern[str], lines: list[str]) -> str | None:
    for ln in lines:
        m = pattern.match(ln.strip())
        if m:
            return m.group(1)
    return None
