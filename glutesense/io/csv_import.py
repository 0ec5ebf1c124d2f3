"""CSV import: one row per sample, a ``time_s`` column (or ``--fs``), one column per channel."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glutesense.io.common import InputError, assign_roles, read_events_table, split_unit, unit_factor
from glutesense.io.validate import check_grid
from glutesense.model.arrays import BoolArray, FloatArray
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


def sniff_delimiter(path: Path) -> str | None:
    """The delimiter of a delimited text file, sniffed on its first lines (comments skipped).

    ``","`` for a single column; None when the sample does not tell (no consistent delimiter): the
    caller then falls back to pandas' own (slow, Python-engine) sniffing.
    """
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        sample = f.read(_SNIFF_BYTES)
    lines = [ln for ln in sample.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(sample) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample may be partial
    if not lines:
        return None
    if not any(d in ln for ln in lines[:50] for d in _DELIMITERS):
        return ","  # one column
    try:
        delim = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return None
    return delim


def read_delimited(path: Path) -> pd.DataFrame:
    """Read a delimited text table: delimiter sniffed on a sample, then pandas' C parser.

    Where the sample does not tell, or the C parser rejects the file, pandas' Python engine sniffs
    and parses as before (``sep=None``): a CSV it read still reads, only faster.
    """
    import pandas as pd

    delim = sniff_delimiter(path)
    if delim is not None:
        try:
            return pd.read_csv(path, sep=r"\s+" if delim == " " else delim, engine="c", comment="#")
        except (pd.errors.ParserError, ValueError):
            pass
    return pd.read_csv(path, sep=None, engine="python", comment="#")


def _rate_of_time_column(t: FloatArray) -> tuple[float, bool, bool]:
    """Sample rate of an increasing time column, whether the rows lie on a regular grid, and whether
    one over the median spacing would have been a wrong rate (the column is rounded too coarsely).

    The rate is ``(n - 1) / (t[-1] - t[0])``, not one over the median spacing: a column written with
    fewer digits than the sample period needs (1024 Hz to 4 decimals) has spacings that alternate
    between two rounded values, whose median is a wrong rate (1000 Hz: 2.4 % of time lost).  The grid
    is regular when every row lies within half a sample (plus the column's rounding) of it; otherwise
    (jitter, missing rows) the rate is one over the median spacing and the caller resamples.
    """
    n = t.size
    fs_end = (n - 1) / float(t[-1] - t[0])
    fs_med = 1.0 / float(np.median(np.diff(t)))
    resolution = _resolution(t)
    residual = np.abs(t - (t[0] + np.arange(n) / fs_end))
    if float(np.max(residual)) <= 0.5 / fs_end + resolution or n <= 2:
        whole = float(round(fs_end))  # 1024.0012 Hz from a rounded column is 1024 Hz if that fits
        if whole > 0 and np.max(np.abs(t - (t[0] + np.arange(n) / whole))) <= 0.5 / whole + resolution:
            fs_end = whole
        return float(fs_end), True, abs(fs_end - fs_med) > 1e-3 * fs_end
    return (float(round(fs_med)) if abs(fs_med - round(fs_med)) < 1e-6 * fs_med else fs_med), False, False


def _resolution(t: FloatArray) -> float:
    """The step to which a time column's values were rounded (0 if they were not noticeably)."""
    for decimals in range(0, 10):
        scaled = t * 10.0**decimals
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
            return 0.5 * 10.0 ** (-decimals)
    return 0.0


def _default_events(p: Path) -> Path | None:
    beside = p.with_name(p.stem + "_events.tsv")
    return beside if beside.exists() else None


@dataclass(frozen=True)
class _Timing:
    """Where a table's rows land in time: the rate, the first row's time, and (for an irregular
    time column) the uniform grid the rows are resampled onto."""

    fs_hz: float
    t0_s: float
    t: FloatArray | None = None
    """The rows' times (s) when they are resampled onto ``grid``; None: row i is sample i."""
    grid: FloatArray | None = None
    kept: BoolArray | None = None
    """Grid points with a row within a sample; the others (missing rows) stay lost."""

    def place(self, x: FloatArray) -> FloatArray:
        """One column's values (one per row) on the recording's timeline."""
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
            raise InputError(f"{src}: no time column (time_s) and no --fs given; pass --fs HZ")
        return _Timing(_positive_rate(fs_hz, src), 0.0)
    t = _time_values(df, time_col, src)
    fs_file, regular, rounded = _rate_of_time_column(t)
    if rounded:
        notes.append(
            f"column {time_col!r} is rounded to fewer digits than its sample period; sample rate "
            f"taken from the whole column: {fs_file:g} Hz"
        )
    fs = _positive_rate(fs_file if fs_hz is None else fs_hz, src)
    t0 = float(t[0])
    if regular and abs(fs - fs_file) <= 1e-6 * fs_file:
        return _Timing(fs, t0)
    grid = t0 + np.arange(check_grid(float(t[-1] - t0), t.size, fs, src, "the time column")) / fs
    after = np.searchsorted(t, grid)
    near = np.minimum(
        np.abs(t[np.clip(after, 0, t.size - 1)] - grid),
        np.abs(t[np.clip(after - 1, 0, t.size - 1)] - grid),
    )
    notes.append(f"irregular time column: resampled to a uniform {fs:g} Hz grid")
    return _Timing(fs, t0, t, grid, near <= 1.0 / fs)


def _time_values(df: pd.DataFrame, time_col: str, src: str) -> FloatArray:
    """The time column in seconds; refused unless it holds at least two increasing numbers."""
    import pandas as pd

    scale = _TIME_COLUMNS[time_col.lower()]
    t: FloatArray = pd.to_numeric(df[time_col], errors="coerce").to_numpy(float) * scale
    if np.isnan(t).any() or t.size < 2 or not np.all(np.diff(t) > 0):
        raise InputError(f"{src}: column {time_col!r} must hold increasing numbers (seconds)")
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
        raise InputError(
            f"{src}: no EMG column found by role name (e.g. glute_max_l, hamstring_l); "
            f"columns are {', '.join(df.columns)}; map them with --map ROLE=NAME"
        )
    return roles


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
