"""Inputs of ``analyze``: native sessions, EDF+/BDF+, BIDS EMG, XDF, vendor text layouts and CSV,
chosen by content and suffix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from glutesense.io.common import InputError, parse_map, read_events_table
from glutesense.io.csv_import import read_csv
from glutesense.io.native import read_native
from glutesense.io.validate import check_rate, one_role_per_column, validate_recording
from glutesense.model.records import Event, Recording
from glutesense.model.roles import Role
from glutesense.session import is_session_file
from glutesense.session.format import SUFFIX as SESSION_SUFFIX

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet")
EDF_SUFFIXES = (".edf", ".bdf")


def load_recording(
    path: str | Path,
    *,
    fs_hz: float | None = None,
    mapping: Mapping[Role, str] | None = None,
    emg_unit: str | None = None,
    events_path: str | Path | None = None,
) -> Recording:
    """Open any supported input as a :class:`Recording`.

    Raises
    ------
    InputError
        With a one-line message naming the file and the problem.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, not a recording")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty")
    if fs_hz is not None:
        fs_hz = check_rate(fs_hz, str(p))
    one_role_per_column(mapping or {}, str(p))
    try:
        rec = _load_any(p, fs_hz=fs_hz, mapping=mapping, emg_unit=emg_unit, events_path=events_path)
    except InputError:
        raise
    except Exception as e:  # a reader of untrusted bytes: whatever it raises is one line, exit 2
        lines = str(e).strip().splitlines()
        raise InputError(f"{p}: cannot be read ({type(e).__name__}: {lines[0] if lines else ''})") from None
    return validate_recording(rec)


def _load_any(
    p: Path,
    *,
    fs_hz: float | None,
    mapping: Mapping[Role, str] | None,
    emg_unit: str | None,
    events_path: str | Path | None,
) -> Recording:
    """The reader that fits ``p``'s content and suffix."""
    if is_session_file(p) or p.suffix.lower() == SESSION_SUFFIX:
        return read_native(p)
    suffix = p.suffix.lower()
    if suffix == ".xdf":
        from glutesense.io.xdf import read_xdf

        xdf = read_xdf(p, mapping=mapping)
        return xdf if not events_path else replace(xdf, events=read_events_table(events_path))
    if suffix in EDF_SUFFIXES:
        from glutesense.io.bids import is_bids_emg, read_bids_emg
        from glutesense.io.edf import read_edf

        if is_bids_emg(p):
            return read_bids_emg(p, mapping=mapping, events_path=events_path)

        return read_edf(p, mapping=mapping, events_path=events_path)
    if suffix in CSV_SUFFIXES:
        if suffix != ".parquet":
            from glutesense.io.vendors import read_vendor

            events = read_events_table(events_path) if events_path else _events_beside(p)
            rec = read_vendor(p, fs_hz=fs_hz, mapping=mapping, emg_unit=emg_unit, events=events)
            if rec is not None:
                return rec
        return read_csv(p, fs_hz=fs_hz, mapping=mapping, emg_unit=emg_unit, events_path=events_path)
    raise InputError(
        f"{p}: unrecognised input format (expected a .gses session, .edf/.bdf, .xdf, .csv, .txt or .parquet)"
    )


def _events_beside(p: Path) -> tuple[Event, ...] | None:
    beside = p.with_name(p.stem + "_events.tsv")
    return read_events_table(beside) if beside.exists() else None


__all__ = ["InputError", "load_recording", "parse_map", "read_csv", "read_native"]
