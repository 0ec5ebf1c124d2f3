"""BIDS-EMG recordings as input: ``sub-*_task-*_emg.edf`` (or ``.bdf``) with its sidecars.

The data file is read as EDF+/BDF+; ``_channels.tsv`` beside it gives each channel its role:
a channel named by role (as ``glutesense export --to bids`` writes) keeps it, any other EMG
channel takes the role its ``target_muscle`` (and name) describe, e.g. ``left gluteus maximus``
-> ``glute_max_l``, ``R semitendinosus`` -> ``hamstring_r``; ACCEL/GYRO channels named
``..._x`` / ``X`` take ``acc_x`` / ``gyr_x``.  ``_events.tsv`` gives the events (``--events``
overrides it); the subject label is the pseudonym.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from glutesense.io.common import InputError, read_events_table
from glutesense.model.records import Recording
from glutesense.model.roles import Muscle, Role, Side

_MUSCLES = (
    (re.compile(r"glut\w*\s*(max|maximus)|gmax", re.I), Muscle.GLUTE_MAX),
    (re.compile(r"glut\w*\s*(med|medius)|gmed", re.I), Muscle.GLUTE_MED),
    (re.compile(r"hamstring|biceps\s*femoris|semitendinosus|semimembranosus", re.I), Muscle.HAMSTRING),
    (re.compile(r"erector|longissimus|iliocostalis|multifidus", re.I), Muscle.ERECTOR),
)
_LEFT = re.compile(r"(^|[\s_\-(])(l|left|lt)($|[\s_\-)])", re.I)
_RIGHT = re.compile(r"(^|[\s_\-(])(r|right|rt)($|[\s_\-)])", re.I)
_AXIS = re.compile(r"(?:^|[\s_\-.])([xyz])$", re.I)


def is_bids_emg(path: Path) -> bool:
    """A ``*_emg.edf|bdf`` file with a ``*_channels.tsv`` beside it."""
    return path.stem.endswith("_emg") and channels_path(path).exists()


def channels_path(path: Path) -> Path:
    return path.with_name(path.stem[: -len("_emg")] + "_channels.tsv")


def read_bids_emg(
    path: Path, *, mapping: Mapping[Role, str] | None = None, events_path: str | Path | None = None
) -> Recording:
    """Read one BIDS EMG recording (see the module docstring)."""
    from glutesense.io.edf import read_edf

    rows = _channel_rows(channels_path(path))
    roles = dict(mapping or {})
    taken = set(roles.values())
    for row in rows:
        name = row.get("name", "")
        role = role_of_channel(row)
        if role is not None and role not in roles and name not in taken:
            roles[role] = name
            taken.add(name)
    beside = path.with_name(path.stem[: -len("_emg")] + "_events.tsv")
    events = events_path or (beside if beside.exists() else None)
    rec = read_edf(path, mapping=roles)
    if events is not None:
        rec = replace(rec, events=read_events_table(events))
    meta = dict(rec.meta)
    sub = re.match(r"sub-([A-Za-z0-9]+)", path.name)
    if sub:
        meta["subject"] = sub.group(1)
    task = re.search(r"_task-([A-Za-z0-9]+)", path.name)
    if task:
        meta["bids_task"] = task.group(1)
    meta["source_format"] = "BIDS EMG"
    return replace(rec, meta=meta)


def role_of_channel(row: Mapping[str, str]) -> Role | None:
    """The role a ``_channels.tsv`` row describes, or None."""
    name = row.get("name", "")
    try:
        return Role(name)
    except ValueError:
        pass
    kind = row.get("type", "").upper()
    if kind in ("ACCEL", "GYRO"):
        axis = _AXIS.search(name)
        return Role(f"{'acc' if kind == 'ACCEL' else 'gyr'}_{axis.group(1).lower()}") if axis else None
    if kind != "EMG":
        return None
    text = f"{row.get('target_muscle', '')} {name}"
    muscle = next((m for rx, m in _MUSCLES if rx.search(text)), None)
    side = Side.LEFT if _LEFT.search(text) else Side.RIGHT if _RIGHT.search(text) else None
    return Role.emg(muscle, side) if muscle is not None and side is not None else None


def _channel_rows(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    rows = list(csv.DictReader(text.splitlines(), dialect="excel-tab"))
    if rows and "name" not in rows[0]:
        raise InputError(f"{path}: a BIDS channels table needs a 'name' column")
    return [{k: (v or "") for k, v in r.items() if k is not None} for r in rows]
