"""DataFrame -> Recording, and events from any of the shapes people hold them in.

One seam between the public API (:mod:`glutesense.api`), the vendor layouts
(:mod:`glutesense.io.vendors`) and the table importer: a table (one row per
sample, a ``time_s`` column or a given rate, one column per channel) becomes a
:class:`~glutesense.model.records.Recording` through the CSV importer's own
function, so a DataFrame and the same table written as CSV give the same
recording.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glutesense.io.common import InputError, read_events_table
from glutesense.model.records import Event, Recording
from glutesense.model.roles import Role

if TYPE_CHECKING:
    import pandas as pd

EventsLike = str | Path | Iterable[Any] | None
"""An events file, a DataFrame (``onset``, ``duration``, ``trial_type``[, ``side``, ``rep``]),
a sequence of :class:`Event`, of dicts with those keys, or of ``(onset_s, trial_type)`` /
``(onset_s, duration_s, trial_type)`` tuples."""


def recording_from_frame(
    df: pd.DataFrame,
    *,
    fs_hz: float | None = None,
    mapping: Mapping[Role, str] | None = None,
    emg_unit: str | None = None,
    events: Sequence[Event] | None = None,
    source: str = "DataFrame",
) -> Recording:
    """A table (one row per sample) as a :class:`Recording`, through the CSV importer.

    ``events`` (when given) replace any the importer found.  Raises :class:`InputError`
    naming ``source`` and the problem.
    """
    mod = importlib.import_module("glutesense.io.csv_import")
    frame_fn = getattr(mod, "recording_from_frame", None)
    if frame_fn is not None:
        rec: Recording = frame_fn(
            df, fs_hz=fs_hz, mapping=mapping, emg_unit=emg_unit, events=events, source=source
        )
    else:  # the importer before it took DataFrames directly
        rec = mod.recording_from_table(
            df.copy(), source=source, fs_hz=fs_hz, mapping=mapping, emg_unit=emg_unit
        )
    if events is not None:
        rec = replace(rec, events=tuple(sorted(events, key=lambda e: e.onset_s)))
    return rec


def with_notes(rec: Recording, notes: Iterable[str], **meta: Any) -> Recording:
    """``rec`` with import notes appended and metadata keys set (the format's name, ...)."""
    m: dict[str, Any] = dict(rec.meta)
    m["import_notes"] = [*m.get("import_notes", []), *notes]
    m.update(meta)
    return replace(rec, meta=m)


def as_events(events: EventsLike, *, source: str = "events") -> tuple[Event, ...] | None:
    """Events from a file, a DataFrame, or a sequence (see :data:`EventsLike`); None stays None.

    >>> as_events([(1.0, "cue"), (0.0, 5.0, "rest")])[0]
    Event(onset_s=0.0, duration_s=5.0, trial_type='rest', side=None, rep=None)
    """
    if events is None:
        return None
    if isinstance(events, str | Path):
        return read_events_table(events)
    if hasattr(events, "to_dict") and hasattr(events, "columns"):
        rows: list[Any] = events.to_dict("records")  # a DataFrame
    else:
        rows = list(events)
    out = [_one_event(r, source, i) for i, r in enumerate(rows, start=1)]
    return tuple(sorted(out, key=lambda e: e.onset_s))


def _one_event(row: Any, source: str, i: int) -> Event:
    if isinstance(row, Event):
        return row
    try:
        if isinstance(row, Mapping):
            clean = {str(k): v for k, v in row.items() if not _missing(v)}
            return Event.from_json(clean)
        if isinstance(row, Sequence) and not isinstance(row, str) and len(row) in (2, 3):
            if len(row) == 2:
                return Event(float(row[0]), 0.0, str(row[1]))
            return Event(float(row[0]), float(row[1]), str(row[2]))
    except (KeyError, ValueError, TypeError) as e:
        raise InputError(f"{source}: event {i} is unreadable ({e})") from None
    raise InputError(
        f"{source}: event {i} is {row!r}; give an Event, a dict with onset/duration/trial_type, "
        "or an (onset_s, trial_type) tuple"
    )


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v in ("", "n/a")


def parse_roles(roles: Mapping[str | Role, str] | None) -> dict[Role, str]:
    """``{"glute_max_l": "EMG 1"}`` (role names or :class:`Role`) -> ``{Role: column}``."""
    if not roles:
        return {}
    return {r if isinstance(r, Role) else Role.parse(r): str(c) for r, c in roles.items()}


__all__ = ["EventsLike", "as_events", "parse_roles", "recording_from_frame", "with_notes"]
