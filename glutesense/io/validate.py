"""Checks at the input edge: what a file or an option says is refused or marked lost, never trusted.

Every importer's :class:`~glutesense.model.records.Recording` passes :func:`validate_recording`:

* sample rates finite and within ``[MIN_FS_HZ, MAX_FS_HZ]``;
* samples beyond any converter's range, or infinite, become NaN (lost) with an import note; a
  channel that is mostly impossible values is refused (a wrong unit or calibration, not noise);
* events with finite onsets and durations, inside the recording (``EVENT_MARGIN_S`` either side).

Allocation is bounded by what the file holds, never by one number in it: :func:`check_grid`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from glutesense.io.common import InputError
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import Role, SignalKind

MIN_FS_HZ = 1.0
MAX_FS_HZ = 100_000.0
LIMITS = {SignalKind.EMG: 1e7, SignalKind.ACC: 1e3, SignalKind.GYR: 1e5}
"""Largest magnitude any recorder gives, core units: 10 V of EMG (the widest DAQ input range; a
MyoWare's 0-3.3 V output taken in volts is 3.3e6 µV), 1000 g, 100 000 deg/s."""
UNITS = {SignalKind.EMG: "µV", SignalKind.ACC: "g", SignalKind.GYR: "deg/s"}
REFUSE_SHARE = 0.5
EVENT_MARGIN_S = 1.0
MAX_GRID_FACTOR = 10
"""A resampled or gap-filled timeline may hold at most this many times the samples present
(plus one minute): more means a damaged time stamp, not a pause."""


def check_rate(fs_hz: float, src: str, what: str = "--fs") -> float:
    """``fs_hz`` if it is a usable sample rate, else an InputError naming ``what``."""
    try:
        fs = float(fs_hz)
    except (TypeError, ValueError):
        raise InputError(f"{src}: {what} {fs_hz!r} is not a number of Hz") from None
    if not math.isfinite(fs) or not MIN_FS_HZ <= fs <= MAX_FS_HZ:
        raise InputError(
            f"{src}: {what} {fs:g} Hz is not a usable sample rate "
            f"(expected a finite number from {MIN_FS_HZ:g} to {MAX_FS_HZ:g} Hz)"
        )
    return fs


def check_grid(span_s: float, n_present: int, fs_hz: float, src: str, what: str) -> int:
    """Samples of a timeline ``span_s`` long at ``fs_hz``; refused when the data cannot fill it."""
    n = math.floor(span_s * fs_hz) + 1 if math.isfinite(span_s) else -1
    allowed = MAX_GRID_FACTOR * n_present + round(60 * fs_hz)
    if n < 0 or n > allowed:
        raise InputError(
            f"{src}: {what} span {span_s:g} s, but the file holds only {n_present / fs_hz:g} s of samples "
            f"at {fs_hz:g} Hz (a damaged time value?)"
        )
    return n


def one_role_per_column(mapping: Mapping[Role, str], where: str) -> None:
    """Refuse a map that gives one column or signal two roles (their timing would be identical)."""
    seen: dict[str, Role] = {}
    for role, name in mapping.items():
        if name in seen:
            raise InputError(
                f"{where}: {name!r} is mapped to both {seen[name].value} and {role.value}; "
                "give each column one role"
            )
        seen[name] = role


def _clean_row(x: np.ndarray, role: Role, src: str) -> tuple[np.ndarray, int]:
    """``x`` with impossible values as NaN, and how many there were; refuses a mostly impossible row."""
    limit = LIMITS[role.kind]
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(x) <= limit) & ~np.isnan(x)
    n_bad = int(np.count_nonzero(bad))
    if n_bad == 0:
        return x, 0
    if n_bad > REFUSE_SHARE * np.count_nonzero(~np.isnan(x)):
        peak = float(np.max(np.abs(x[bad])))
        unit = UNITS[role.kind]
        raise InputError(
            f"{src}: channel {role.value} holds values up to {peak:.3g} {unit}, beyond any recorder's "
            f"range (±{limit:g} {unit}): check its unit (--emg-unit) or calibration"
        )
    return np.where(bad, np.nan, x), n_bad


def _clean_stream(s: Stream, src: str, notes: list[str]) -> Stream:
    check_rate(s.fs_hz, src, f"stream {s.name!r} sample rate")
    rows, changed = [], False
    for role, x in zip(s.roles, s.data, strict=True):
        y, n_bad = _clean_row(x, role, src)
        if n_bad:
            changed = True
            notes.append(
                f"{role.value}: {n_bad} sample(s) beyond any recorder's range or not finite, marked lost"
            )
        rows.append(y)
    return dataclasses.replace(s, data=np.vstack(rows)) if changed else s


def _check_events(events: tuple[Event, ...], rec: Recording) -> None:
    t0 = min((s.t0_s for s in rec.streams), default=0.0)
    t1 = rec.duration_s
    for e in events:
        if not (math.isfinite(e.onset_s) and math.isfinite(e.duration_s)) or e.duration_s < 0:
            raise InputError(
                f"{rec.source}: event {e.trial_type!r} has onset {e.onset_s:g} s and duration "
                f"{e.duration_s:g} s; both must be finite, the duration not negative"
            )
        if not t0 - EVENT_MARGIN_S <= e.onset_s <= t1 + EVENT_MARGIN_S:
            raise InputError(
                f"{rec.source}: event {e.trial_type!r} at {e.onset_s:g} s lies outside the recording "
                f"({t0:g} to {t1:g} s); are the event times in seconds from the recording's start?"
            )


def validate_recording(rec: Recording) -> Recording:
    """``rec`` with impossible samples marked lost (and noted); InputError for what cannot be used."""
    notes: list[str] = []
    streams = tuple(_clean_stream(s, rec.source, notes) for s in rec.streams)
    _check_events(rec.events, rec)
    if not notes:
        return rec
    meta = {**rec.meta, "import_notes": [*rec.info.import_notes, *notes]}
    return dataclasses.replace(rec, streams=streams, meta=meta)
