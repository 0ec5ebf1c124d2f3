"""CSV and Parquet export: one table on the EMG time grid, events in a BIDS sidecar.

The table has a ``time_s`` column (s from the recording's start) and one column
per role, named by role, in core units: EMG in µV, acceleration in g, angular
rate in deg/s.  Its rows are the samples of the first EMG stream; every other
stream (the IMU, usually at a lower rate) is put on that grid by linear
interpolation, and is empty outside its own time span.  Lost samples are empty
cells.  Events go to ``NAME_events.tsv`` beside the table (BIDS columns
``onset``, ``duration``, ``trial_type``, ``side``, ``rep``; ``n/a`` when missing),
which is where :func:`glutesense.io.read_csv` looks for them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glutesense.export.base import ExportError, ExportResult
from glutesense.model.arrays import FloatArray
from glutesense.model.records import Event, Recording
from glutesense.model.roles import Role, SignalKind

if TYPE_CHECKING:
    import pandas as pd

CSV_FLOAT_FORMAT = "%.10g"  # 10 significant digits: µs at 1000 s, 1e-10 relative for samples
EVENT_COLUMNS = ("onset", "duration", "trial_type", "side", "rep")


def recording_table(rec: Recording) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The recording as one table on the first EMG stream's time grid.

    Returns
    -------
    table : DataFrame, shape (n_samples, 1 + n_roles)
        ``time_s`` then one float64 column per role (in :class:`Role` order), core units.
    notes : tuple of str
        Which streams were interpolated onto the grid.
    """
    import pandas as pd  # I/O edge

    streams = [s for s in rec.streams if s.roles and s.n_samples > 0]
    if not streams:
        raise ExportError(f"{rec.source or 'recording'}: nothing to write (no samples)")
    grid = next((s for s in streams if any(r.kind is SignalKind.EMG for r in s.roles)), streams[0])
    t_s = grid.t_s
    columns: dict[Role, FloatArray] = {}
    notes = []
    for s in streams:
        same = s.fs_hz == grid.fs_hz and s.t0_s == grid.t0_s and s.n_samples == grid.n_samples
        if not same:
            notes.append(f"{s.name} ({s.fs_hz:.6g} Hz) linearly interpolated onto the "
                         f"{grid.fs_hz:.6g} Hz time grid of {grid.name}")
        for role, row in zip(s.roles, s.data, strict=True):
            columns[role] = row if same else np.interp(t_s, s.t_s, row, left=np.nan, right=np.nan)
    table = pd.DataFrame({"time_s": t_s, **{r.value: columns[r] for r in Role if r in columns}})
    return table, tuple(notes)


def events_path_for(out_path: Path) -> Path:
    """``NAME_events.tsv`` beside ``NAME.csv`` / ``NAME.parquet``."""
    return out_path.with_name(out_path.stem + "_events.tsv")


def write_events_tsv(events: Iterable[Event], path: Path) -> None:
    """Write a BIDS events table (tab separated, ``n/a`` for missing values)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(EVENT_COLUMNS)
        for e in sorted(events, key=lambda e: e.onset_s):
            w.writerow([repr(float(e.onset_s)), repr(float(e.duration_s)), e.trial_type,
                        "n/a" if e.side is None else e.side.value, "n/a" if e.rep is None else e.rep])


def write_csv(rec: Recording, out_path: Path) -> ExportResult:
    """Write ``rec`` as ``NAME.csv`` plus ``NAME_events.tsv``."""
    table, notes = recording_table(rec)
    ev_path = events_path_for(out_path)
    try:
        table.to_csv(out_path, index=False, float_format=CSV_FLOAT_FORMAT, na_rep="")
        write_events_tsv(rec.events, ev_path)
    except OSError as e:
        raise ExportError(f"{out_path}: cannot write ({e.strerror or e})") from None
    return ExportResult((Path(out_path), ev_path), notes)


def write_parquet(rec: Recording, out_path: Path) -> ExportResult:
    """Write ``rec`` as ``NAME.parquet`` (float64 columns, exact) plus ``NAME_events.tsv``."""
    table, notes = recording_table(rec)
    ev_path = events_path_for(out_path)
    try:
        table.to_parquet(out_path, index=False, engine="pyarrow")
        write_events_tsv(rec.events, ev_path)
    except OSError as e:
        raise ExportError(f"{out_path}: cannot write ({e.strerror or e})") from None
    return ExportResult((Path(out_path), ev_path), notes)
