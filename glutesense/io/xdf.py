"""XDF files (LabRecorder) as input: ``glutesense analyze --lsl-xdf FILE.xdf`` or ``FILE.xdf``.

Read with pyxdf (the ``[lsl]`` extra), clocks synchronised and timestamps de-jittered.  Every
stream of type ``EMG`` or ``IMU`` (as ``record --lsl`` publishes them, or another device's)
becomes a stream: its channels by label (role names, or ``--map ROLE=LABEL``) and unit, its
samples on a grid from its first timestamp.  The grid's rate is the rate measured on the
timestamps (pyxdf's effective rate, as the native reader fits the device clock) when it is within
5 % of the nominal one, else the nominal rate.  Samples follow one another on the grid; only a
break in the timestamps (more than 1.5 periods) leaves slots empty (lost data), and the run after
it starts again at its own timestamp.  So a device clock a little off its nominal rate never
makes holes where nothing was lost.  A ``Markers`` stream gives the events
(``cue side=left rep=3``).  Time 0 is the earliest first sample of the streams used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from glutesense.io.common import InputError, assign_roles, unit_factor
from glutesense.io.validate import check_grid, check_rate
from glutesense.model.arrays import FloatArray
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import EMG_ROLES, Role, Side

_DATA_TYPES = {"EMG": "emg", "IMU": "imu"}
_FIELD = re.compile(r"\s+(side|rep)=(\S+)$")
_RATE_TOLERANCE = 0.05  # the measured rate is used when within 5 % of the nominal one
_BREAK_PERIODS = 1.5  # a step between timestamps longer than this many periods is a break (data lost)


def read_xdf(path: str | Path, *, mapping: Mapping[Role, str] | None = None) -> Recording:
    """Read an XDF recording (see the module docstring)."""
    src = str(path)
    try:
        import pyxdf
    except ImportError:
        raise InputError(f"{src}: reading XDF needs pyxdf: pip install 'glutesense[lsl]'") from None
    try:
        streams, _header = pyxdf.load_xdf(src, synchronize_clocks=True, dejitter_timestamps=True)
    except FileNotFoundError:
        raise InputError(f"{src}: no such file") from None
    except Exception as e:  # pyxdf raises many kinds on a damaged file
        raise InputError(f"{src}: not a readable XDF file ({type(e).__name__}: {e})") from None
    data = [s for s in streams if _info(s, "type") in _DATA_TYPES and len(s["time_stamps"]) > 1]
    if not data:
        raise InputError(f"{src}: no EMG or IMU stream with samples (streams: {_names(streams)})")
    t0 = min(float(s["time_stamps"][0]) for s in data)
    labels = [(s, _channels(s)) for s in data]
    columns = [f"{i}:{lab}" for i, (_, chans) in enumerate(labels) for lab, _ in chans]
    roles = assign_roles([c.split(":", 1)[1] for c in columns], mapping or {}, src)
    if not any(r in roles for r in EMG_ROLES):
        raise InputError(
            f"{src}: no EMG channel named by role; map them with --map ROLE=LABEL "
            f"(labels: {', '.join(c.split(':', 1)[1] for c in columns)})"
        )
    out = []
    for i, (s, chans) in enumerate(labels):
        out.extend(_streams(s, chans, roles, t0, i, src))
    markers = [s for s in streams if _info(s, "type") == "Markers"]
    events = tuple(sorted((e for m in markers for e in _events(m, t0)), key=lambda e: e.onset_s))
    meta = {"source_format": "XDF", "lsl_t0_s": t0, "lsl_streams": _names(streams)}
    return Recording(tuple(out), events, meta, src)


def _info(stream: Mapping[str, Any], key: str) -> str:
    v = stream["info"].get(key, [""])
    return str(v[0] if isinstance(v, list) and v else v)


def _names(streams: list[Any]) -> str:
    return ", ".join(f"{_info(s, 'name')} ({_info(s, 'type')})" for s in streams) or "none"


def _channels(stream: Mapping[str, Any]) -> list[tuple[str, str]]:
    n = int(_info(stream, "channel_count") or 0)
    try:
        chans = stream["info"]["desc"][0]["channels"][0]["channel"]
        out = [(str(c.get("label", [""])[0]), str(c.get("unit", [""])[0])) for c in chans]
    except (KeyError, IndexError, TypeError):
        out = []
    if len(out) != n:
        out = [(f"{_info(stream, 'name')} {k}", "") for k in range(n)]
    return out


def _streams(
    s: Mapping[str, Any],
    chans: list[tuple[str, str]],
    roles: Mapping[Role, str],
    t0: float,
    index: int,
    src: str,
) -> list[Stream]:
    ts = np.asarray(s["time_stamps"], dtype=float)
    x = np.asarray(s["time_series"], dtype=float)
    fs = _rate(s)
    if fs <= 0:
        raise InputError(f"{src}: stream {_info(s, 'name')!r} has no sample rate")
    what = f"stream {_info(s, 'name')!r}"
    check_rate(fs, src, f"{what} sample rate")
    check_grid(float(ts[-1] - ts[0]), ts.size, fs, src, what)
    slot = _slots(ts, fs)
    grid = np.full((slot[-1] + 1, x.shape[1]), np.nan)
    grid[slot] = x
    picked = [(r, k) for r, lab in roles.items() for k, (name, _) in enumerate(chans) if name == lab]
    by_kind: dict[str, list[tuple[Role, FloatArray]]] = {}
    for role, k in picked:
        factor = unit_factor(role.kind, chans[k][1] or None, src, f"channel {chans[k][0]!r}")
        by_kind.setdefault("emg" if role in EMG_ROLES else "imu", []).append((role, grid[:, k] * factor))
    t_first = float(ts[0]) - t0
    suffix = "" if index == 0 else f"{index}"
    return [
        Stream(kind + suffix, fs, t_first, tuple(r for r, _ in rows), np.vstack([v for _, v in rows]))
        for kind, rows in by_kind.items()
    ]


def _rate(s: Mapping[str, Any]) -> float:
    """The grid's rate: the measured (effective) rate when near the nominal one, else the nominal."""
    nominal = float(_info(s, "nominal_srate") or 0)
    try:
        measured = float(s["info"].get("effective_srate", 0) or 0)
    except (TypeError, ValueError):
        measured = 0.0
    if not np.isfinite(measured) or measured <= 0:
        return nominal
    if nominal <= 0 or abs(measured / nominal - 1) <= _RATE_TOLERANCE:
        return measured
    return nominal


def _slots(ts: FloatArray, fs_hz: float) -> np.ndarray:
    """Grid slot of each sample: consecutive within a run, a run after a break anchored at its stamp."""
    starts = np.concatenate(([0], np.flatnonzero(np.diff(ts) * fs_hz > _BREAK_PERIODS) + 1))
    ends = np.append(starts[1:], ts.size)
    slot = np.empty(ts.size, dtype=np.int64)
    next_free = 0
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        first = max(next_free, round(float(ts[a] - ts[0]) * fs_hz))
        slot[a:b] = first + np.arange(b - a)
        next_free = first + (b - a)
    return slot


def _events(stream: Mapping[str, Any], t0: float) -> list[Event]:
    out = []
    for t, values in zip(stream["time_stamps"], stream["time_series"], strict=False):
        text = str(values[0] if isinstance(values, list | tuple | np.ndarray) else values).strip()
        side: Side | None = None
        rep: int | None = None
        while m := _FIELD.search(text):
            if m.group(1) == "side" and m.group(2) in ("left", "right"):
                side = Side(m.group(2))
            elif m.group(1) == "rep" and m.group(2).isdigit():
                rep = int(m.group(2))
            text = text[: m.start()]
        out.append(Event(round(float(t) - t0, 6), 0.0, text, side, rep))
    return out
