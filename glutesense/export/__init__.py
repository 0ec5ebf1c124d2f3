"""Exchange formats: write a :class:`~glutesense.model.records.Recording` as EDF+, BDF+, CSV or Parquet.

``glutesense export SESSION --to edf|bdf|csv|parquet OUTFILE`` calls :func:`export_recording`.
What each format holds, and what it cannot hold, is described in ``docs/formats-exchange.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

from glutesense.export.base import ExportError, ExportResult
from glutesense.export.edf import write_bdf, write_edf
from glutesense.export.table import recording_table, write_csv, write_events_tsv, write_parquet
from glutesense.model.records import Recording

Exporter = Callable[[Recording, Path], ExportResult]

EXPORTERS: Mapping[str, Exporter] = MappingProxyType({
    "edf": write_edf,
    "bdf": write_bdf,
    "csv": write_csv,
    "parquet": write_parquet,
})
"""Format name (as given to ``--to``) -> writer."""


def export_recording(rec: Recording, out_path: str | Path, fmt: str) -> ExportResult:
    """Write ``rec`` to ``out_path`` in format ``fmt``.

    Parameters
    ----------
    rec : Recording
        Samples in core units (EMG µV, acc g, gyr deg/s), times in s from the recording's start.
    out_path : path
        The main output file; sidecars (``NAME_events.tsv``) are written beside it.
    fmt : {"edf", "bdf", "csv", "parquet"}
        Output format (case-insensitive).

    Returns
    -------
    ExportResult
        The files written and notes on anything changed on the way (resampling, padding).

    Raises
    ------
    ExportError
        Unknown format, nothing to write, or a file that cannot be written; the message
        names the file and the problem.
    """
    writer = EXPORTERS.get(fmt.strip().lower())
    if writer is None:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(EXPORTERS)})")
    p = Path(out_path)
    if p.is_dir():
        raise ExportError(f"{p}: is a folder; give the output file's name")
    if not p.parent.exists():
        raise ExportError(f"{p}: folder {p.parent} does not exist")
    return writer(rec, p)


__all__ = ["EXPORTERS", "ExportError", "ExportResult", "export_recording", "recording_table",
           "write_bdf", "write_csv", "write_edf", "write_events_tsv", "write_parquet"]
