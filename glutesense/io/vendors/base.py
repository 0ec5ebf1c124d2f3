"""What every vendor layout parser returns, and the one way it becomes a Recording.

A parser reads the vendor's header and gives a :class:`ParsedTable`: a DataFrame with one
row per sample (``time_s`` first when the file has a usable time base), the unit of each
column as the file states it, the sample rate when the header states it, events, and notes
on anything the parser had to decide.  :func:`to_recording` maps the columns to roles
(``--map`` first, then names), scales each to its role's core unit, and hands the table to
the CSV importer's DataFrame function, so every layout ends on the same path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glutesense.io.common import InputError, assign_roles, unit_factor
from glutesense.io.frames import recording_from_frame, with_notes
from glutesense.model.records import Event, Recording
from glutesense.model.roles import EMG_ROLES, Role, SignalKind

if TYPE_CHECKING:
    import pandas as pd

TIME_COLUMN = "time_s"


@dataclass(frozen=True)
class ParsedTable:
    """A vendor file, parsed but not yet mapped to roles.

    Attributes
    ----------
    format : str
        Human name of the layout (``"OpenBCI GUI"``), for notes and errors.
    frame : DataFrame, shape (n_samples, n_columns)
        ``time_s`` (s from the first sample) when the file has a time base, then the channels.
    units : mapping column -> unit
        The unit each channel column is in, as the file states it (``"uV"``, ``"mV"``, ``"g"``).
    fs_hz : float or None
        The rate the header states (used when there is no ``time_s`` column).
    events : tuple of Event
    notes : tuple of str
    meta : mapping
        Extra metadata (device name, start time) for ``Recording.meta``.
    default_roles : mapping role name -> column
        Roles the layout itself fixes (a board's accelerometer axes), used unless ``--map``
        gives that role or that column another meaning.
    """

    format: str
    frame: pd.DataFrame
    units: Mapping[str, str]
    fs_hz: float | None = None
    events: tuple[Event, ...] = ()
    notes: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    default_roles: Mapping[str, str] = field(default_factory=dict)


def to_recording(
    parsed: ParsedTable,
    source: str,
    *,
    fs_hz: float | None = None,
    mapping: Mapping[Role, str] | None = None,
    emg_unit: str | None = None,
    events: tuple[Event, ...] | None = None,
) -> Recording:
    """Map, scale and import a parsed vendor table (see the module docstring)."""
    import pandas as pd

    df = parsed.frame
    channels = [c for c in df.columns if c != TIME_COLUMN]
    given = dict(mapping or {})
    for name, col in parsed.default_roles.items():
        if Role(name) not in given and col not in given.values() and col in channels:
            given[Role(name)] = col
    roles = assign_roles(channels, given, source)
    if not any(r in roles for r in EMG_ROLES):
        raise InputError(
            f"{source}: {parsed.format} file with channels {', '.join(channels)}; none is named by role, "
            "so say which is which with --map ROLE=CHANNEL (e.g. --map glute_max_l="
            f"{channels[0] if channels else 'CH1'},hamstring_l=...)"
        )
    out: dict[str, Any] = {}
    if TIME_COLUMN in df.columns:
        out[TIME_COLUMN] = df[TIME_COLUMN].to_numpy(float)
    for role, col in roles.items():
        unit = parsed.units.get(col)
        if role.kind is SignalKind.EMG and emg_unit is not None:
            unit = emg_unit
        factor = unit_factor(role.kind, unit, source, f"{parsed.format} channel {col!r}")
        out[role.value] = pd.to_numeric(df[col], errors="coerce").to_numpy(float) * factor
    table = pd.DataFrame(out)
    rate = fs_hz if fs_hz is not None else (None if TIME_COLUMN in table else parsed.fs_hz)
    rec = recording_from_frame(
        table,
        fs_hz=rate,
        emg_unit="uV",
        events=events if events is not None else parsed.events,
        source=source,
    )
    return with_notes(
        rec,
        parsed.notes,
        source_format=parsed.format,
        roles={r.value: c for r, c in roles.items()},
        **dict(parsed.meta),
    )


def numeric_block(rows: list[list[str]], source: str, what: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Rows of text cells as a float array (empty cells NaN); raises naming the first bad cell."""
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        for j, cell in enumerate(r):
            c = cell.strip()
            if not c:
                continue
            try:
                out[i, j] = float(c)
            except ValueError:
                raise InputError(
                    f"{source}: {what}: row {i + 1}, column {j + 1} holds {c!r}, not a number"
                ) from None
    return out


def times_from_counter(
    counter: np.ndarray[Any, np.dtype[np.float64]], fs_hz: float, modulus: int
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], int]:
    """Sample times (s) from a wrapping per-sample counter, and how many samples it says were lost.

    The counter's usual step (1, or 2 for boards that interleave two packets) is its most common
    increment modulo ``modulus``; a larger increment places the next row that many steps later, so
    the importer leaves the missing samples empty instead of closing the gap.
    """
    if counter.size < 2 or np.isnan(counter).any():
        return np.arange(counter.size) / fs_hz, 0
    d = np.mod(np.diff(counter), modulus).astype(np.int64)
    d[d == 0] = modulus  # a repeated counter value: a whole turn lost (or a duplicate row)
    values, counts = np.unique(d, return_counts=True)
    step = int(values[np.argmax(counts)])
    n_steps = np.concatenate([[0], np.cumsum(np.maximum(np.round(d / step), 1))])
    lost = int(n_steps[-1] - (counter.size - 1))
    return n_steps / fs_hz, lost
