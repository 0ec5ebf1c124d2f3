"""CSV import: one row per sample, a ``time_s`` column (or ``--fs``), one column per channel."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glutesense.io.common import InputError, assign_roles, read_events_table, split_unit, unit_factor
from glutesense.io.timecol import row_times
from glutesense.io.validate import check_grid
from glutesense.model.arrays import BoolArray, FloatArray, IntArray
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import EMG_ROLES, IMU_ROLES, Role, SignalKind

if TYPE_CHECKING:
    import pandas as pd

_TIME_COLUMNS = {
    "time_s": 1.0,
    "t_s": 1.0,
    "time": 1.0,
    "t": 1.0,
    "seconds": 1.0,
    "timestamp_s": 1.0,
    "time_ms": 1e-3,
    "t_ms": 1e-3,
    "timestamp_ms": 1e-3,
    "time_us": 1e-6,
}


def read_csv(
    path: str | Path,
    *,
    fs_hz: float | None = None,
    mapping: Mapping[Role, str] | None = None,
    emg_unit: str | None = None,
    events_path: str | Path | None = None,
) -> Recording:
    """Import a CSV (or Parquet) recording.

    Parameters
    ----------
    path : path
        CSV file (comma, semicolon, tab, pipe or space separated; the delimiter is sniffed on the
        first 64 kB, then pandas' C parser reads the file: about 30x faster than sniffing it whole).
    fs_hz : float, optional
        Sample rate; required when there is no time column.
    mapping : mapping Role -> column name, optional
        Explicit role mapping (``--map``); other columns are matched by name.
    emg_unit : {"uV", "mV", "V"}, optional
        Unit of EMG columns (default µV, or the unit written in the header).
    events_path : path, optional
        Events table; default ``NAME_events.tsv`` beside the file if present.
    """
    import pandas as pd  # I/O edge

    p = Path(path)
    src = str(p)
    try:
        df = pd.read_parquet(p) if p.suffix.lower() == ".parquet" else read_delimited(p)
    except FileNotFoundError:
        raise InputError(f"{src}: no such file") from None
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputError(f"{src}: not a readable table ({str(e).splitlines()[0]})") from None
    return recording_from_table(
        df,
        source=src,
        fs_hz=fs_hz,
        mapping=mapping,
        emg_unit=emg_unit,
        events_path=events_path if events_path else _default_events(p),
    )


_SNIFF_BYTES = 65536
_DELIMITERS = ",;\t| "


def _sample_lines(path: Path) -> list[str]:
    """The first lines of a text file (its first 64 kB; comments, blank lines and a cut last line
    left out)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        sample = f.read(_SNIFF_BYTES)
    lines = [ln for ln in sample.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(sample) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample may be partial
    return lines


def sniff_delimiter(path: Path) -> str | None:
    """The delimiter of a delimited text file, sniffed on its first lines (comments skipped).

    ``","`` for a single column; None when the sample does not tell (no consistent delimiter): the
    caller then falls back to pandas' own (slow, Python-engine) sniffing.
    """
    lines = _sample_lines(path)
    if not lines:
        return None
    if not any(d in ln for ln in lines[:50] for d in _DELIMITERS):
        return ","  # one column
    try:
        delim = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return None
    return delim


_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$")
_DECIMAL_POINT = re.compile(r"^[+-]?\d*\.\d+(?:[eE][+-]?\d+)?$")


def decimal_mark(path: Path, delim: str) -> str:
    """``","`` when a file not separated by commas writes its numbers with decimal commas (as a
    spreadsheet in a German or French locale exports them: ``0,0005;12,5``), else ``"."``."""
    if delim == ",":
        return "."
    fields = [
        f.strip()
        for ln in _sample_lines(path)[1:50]
        for f in (ln.split() if delim == " " else ln.split(delim))
    ]
    commas = sum(1 for f in fields if _DECIMAL_COMMA.match(f))
    points = sum(1 for f in fields if _DECIMAL_POINT.match(f))
    return "," if commas > points else "."


def read_delimited(path: Path) -> pd.DataFrame:
    """Read a delimited text table: delimiter (and decimal mark) sniffed on a sample, then pandas'
    C parser.

    Where the sample does not tell, or the C parser rejects the file, pandas' Python engine sniffs
    and parses as before (``sep=None``): a CSV it read still reads, only faster.
    """
    import pandas as pd

    delim = sniff_delimiter(path)
    if delim is not None:
        sep = r"\s+" if delim == " " else delim
        try:
            return pd.read_csv(path, sep=sep, engine="c", comment="#", decimal=decimal_mark(path, delim))
        except (pd.errors.ParserError, ValueError):
            pass
    return pd.read_csv(path, sep=None, engine="python", comment="#")


def _default_events(p: Path) -> Path | None:
    beside = p.with_name(p.stem + "_events.tsv")
    return beside if beside.exists() else None


@dataclass(frozen=True)
class _Timing:
    """Where a table's rows land in time: the rate, the first sample's time, and how a column's
    values (one per row) reach the timeline: as they are, each on its sample (``positions``), or
    resampled from the rows' times onto a uniform grid (``t``, ``grid``, ``kept``)."""

    fs_hz: float
    t0_s: float
    positions: IntArray | None = None
    """Each row's sample number, for a column with repeated values, jitter or gaps."""
    n_samples: int = 0
    t: FloatArray | None = None
    """The rows' times (s) when they are resampled onto ``grid``."""
    grid: FloatArray | None = None
    kept: BoolArray | None = None
    """Grid points with a row within a sample; the others (missing rows) stay lost."""

    def place(self, x: FloatArray) -> FloatArray:
        """One column's values (one per row) on the recording's timeline."""
        if self.positions is not None:
            out = np.full(self.n_samples, np.nan)
            out[self.positions] = x
            return out
        if self.t is None or self.grid is None or self.kept is None:
            return x
        return np.where(self.kept, np.interp(self.grid, self.t, x), np.nan)


def recording_from_table(
    df: pd.DataFrame,
    *,
    source: str,
    fs_hz: float | None = None,
    mapping: Mapping[Role, str] | None = None,
    emg_unit: str | None = None,
    events_path: str | Path | None = None,
) -> Recording:
    """Turn a table (one row per sample) into a :class:`Recording`; see :func:`read_csv`."""
    if df.empty:
        raise InputError(f"{source}: the table has no rows")
    df.columns = [str(c).strip() for c in df.columns]
    time_col = next((c for c in df.columns if c.lower() in _TIME_COLUMNS), None)
    notes: list[str] = []
    timing = _timing(df, time_col, fs_hz, source, notes)
    roles = _roles_of_columns(df, time_col, mapping, source)
    streams = []
    for name, group in (("emg", EMG_ROLES), ("imu", IMU_ROLES)):
        present = tuple(r for r in group if r in roles)
        if present:
            rows = [timing.place(_column(df, roles[r], r, emg_unit, source)) for r in present]
            streams.append(Stream(name, timing.fs_hz, timing.t0_s, present, np.vstack(rows)))
    events: tuple[Event, ...] = read_events_table(events_path) if events_path else ()
    meta = {"source_format": "table", "roles": {r.value: c for r, c in roles.items()}, "import_notes": notes}
    return Recording(tuple(streams), events, meta, source)


def _timing(
    df: pd.DataFrame, time_col: str | None, fs_hz: float | None, src: str, notes: list[str]
) -> _Timing:
    """The table's timing from its time column (or ``--fs``); notes what it had to assume."""
    if time_col is None:
        if fs_hz is None:
            hint = _header_hint(df) or "; pass --fs HZ"
            raise InputError(f"{src}: no time column (time_s) and no --fs given{hint}")
        return _Timing(_positive_rate(fs_hz, src), 0.0)
    rows = row_times(_time_values(df, time_col, src), src, time_col)
    notes.extend(rows.notes)
    fs = _positive_rate(rows.fs_hz if fs_hz is None else fs_hz, src)
    t0, t = rows.t0_s, rows.times_s
    if rows.regular and abs(fs - rows.fs_hz) <= 1e-6 * rows.fs_hz:
        return _Timing(fs, t0, rows.positions, rows.n_samples)
    grid = t0 + np.arange(check_grid(float(t[-1] - t0), t.size, fs, src, "the time column")) / fs
    after = np.searchsorted(t, grid)
    near = np.minimum(
        np.abs(t[np.clip(after, 0, t.size - 1)] - grid),
        np.abs(t[np.clip(after - 1, 0, t.size - 1)] - grid),
    )
    notes.append(f"irregular time column: resampled to a uniform {fs:g} Hz grid")
    return _Timing(fs, t0, t=t, grid=grid, kept=near <= 1.0 / fs)


def _time_values(df: pd.DataFrame, time_col: str, src: str) -> FloatArray:
    """The time column in seconds; refused unless it holds at least two numbers (see
    :func:`~glutesense.io.timecol.row_times` for what their order must be)."""
    import pandas as pd

    scale = _TIME_COLUMNS[time_col.lower()]
    t: FloatArray = pd.to_numeric(df[time_col], errors="coerce").to_numpy(float) * scale
    if np.isnan(t).any() or t.size < 2:
        bad = np.flatnonzero(np.isnan(t))
        where = f"; data row {bad[0] + 1} holds {df[time_col].iloc[bad[0]]!r}" if bad.size else ""
        raise InputError(f"{src}: column {time_col!r} must hold increasing numbers (seconds){where}")
    return t


def _positive_rate(fs_hz: float, src: str) -> float:
    if not fs_hz or fs_hz <= 0:
        raise InputError(f"{src}: sample rate must be positive")
    return float(fs_hz)


def _roles_of_columns(
    df: pd.DataFrame, time_col: str | None, mapping: Mapping[Role, str] | None, src: str
) -> dict[Role, str]:
    """Role -> column name; refused when no column is EMG."""
    roles = assign_roles([c for c in df.columns if c != time_col], mapping or {}, src)
    if not any(r in roles for r in EMG_ROLES):
        hint = _header_hint(df) or "; map them with --map ROLE=NAME"
        raise InputError(
            f"{src}: no EMG column found by role name (e.g. glute_max_l, hamstring_l); "
            f"columns are {', '.join(df.columns)}{hint}"
        )
    return roles


_EXPECTED_HEADER = "expected a first line (after '#' comments) naming the columns: time_s, glute_max_l, ..."


def _header_hint(df: pd.DataFrame) -> str:
    """Why a table's header looks misread ("; ..." to end a message with), or "" when it looks fine.

    Three ways a header goes wrong: there is none (the first row of numbers became the names), a
    title line sits above it (pandas then takes the rows' extra fields for an index), or the
    delimiter is one the sniffer does not know (the whole header is one column).
    """
    import pandas as pd

    names = [str(c) for c in df.columns]
    if not isinstance(df.index, pd.RangeIndex):
        return (
            f"; the rows hold more fields than the first line names ({', '.join(names)}): a title above "
            f"the header? {_EXPECTED_HEADER}"
        )
    if names and all(_is_number(n) for n in names):
        numbers = ", ".join(names[:4])
        return f"; the first line holds numbers ({numbers}), not column names: {_EXPECTED_HEADER}"
    if len(names) == 1 and any(ch in names[0] for ch in ":/\\!~^"):
        return (
            f"; the header was read as one column ({names[0]!r}): expected columns separated by "
            "commas, semicolons, tabs, '|' or spaces"
        )
    return ""


def _is_number(name: str) -> bool:
    """A column name that is a number (pandas renames a repeated one "1.5" to "1.5.1")."""
    for candidate in (name, name.rsplit(".", 1)[0]):
        try:
            float(candidate)
        except ValueError:
            continue
        return True
    return False


def _column(df: pd.DataFrame, name: str, role: Role, emg_unit: str | None, src: str) -> FloatArray:
    """One column as numbers in the core unit of ``role``, one per row (NaN where unreadable).

    An IMU column with holes (an IMU at a lower rate on a shared time column) is interpolated
    between its own samples; EMG is never made up.
    """
    import pandas as pd

    x: FloatArray = pd.to_numeric(df[name], errors="coerce").to_numpy(float)
    unit = emg_unit if role.kind is SignalKind.EMG and emg_unit is not None else split_unit(name)[1]
    x = x * unit_factor(role.kind, unit, src, f"column {name!r}")
    if role.kind is not SignalKind.EMG and np.isnan(x).any() and not np.isnan(x).all():
        ok = ~np.isnan(x)
        x = np.interp(np.arange(x.size), np.flatnonzero(ok), x[ok])
    return x
