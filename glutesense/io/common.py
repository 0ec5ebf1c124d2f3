"""Helpers shared by the importers: role mapping, units, events files."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from glutesense.model.records import Event
from glutesense.model.roles import Role, SignalKind


class InputError(ValueError):
    """Input that cannot be imported; the message names the file and the problem."""


# Core unit per kind and the factors from units files use.
_UNIT_FACTORS: Mapping[SignalKind, Mapping[str, float]] = {
    SignalKind.EMG: {"uv": 1.0, "µv": 1.0, "μv": 1.0, "mv": 1e3, "v": 1e6, "nv": 1e-3},
    SignalKind.ACC: {"g": 1.0, "m/s2": 1 / 9.80665, "m/s^2": 1 / 9.80665, "ms2": 1 / 9.80665, "mg": 1e-3},
    SignalKind.GYR: {"deg/s": 1.0, "dps": 1.0, "°/s": 1.0, "rad/s": 57.29577951308232},
}

# Common alternative column names (lower case) for roles.
_ALIASES: Mapping[str, Role] = {
    "gmax_l": Role.GLUTE_MAX_L,
    "gmax_r": Role.GLUTE_MAX_R,
    "glute_l": Role.GLUTE_MAX_L,
    "glute_r": Role.GLUTE_MAX_R,
    "gluteus_maximus_l": Role.GLUTE_MAX_L,
    "gluteus_maximus_r": Role.GLUTE_MAX_R,
    "gmed_l": Role.GLUTE_MED_L,
    "gmed_r": Role.GLUTE_MED_R,
    "gluteus_medius_l": Role.GLUTE_MED_L,
    "gluteus_medius_r": Role.GLUTE_MED_R,
    "ham_l": Role.HAMSTRING_L,
    "ham_r": Role.HAMSTRING_R,
    "hamstrings_l": Role.HAMSTRING_L,
    "hamstrings_r": Role.HAMSTRING_R,
    "biceps_femoris_l": Role.HAMSTRING_L,
    "biceps_femoris_r": Role.HAMSTRING_R,
    "bf_l": Role.HAMSTRING_L,
    "bf_r": Role.HAMSTRING_R,
    "es_l": Role.ERECTOR_L,
    "es_r": Role.ERECTOR_R,
    "erector_spinae_l": Role.ERECTOR_L,
    "erector_spinae_r": Role.ERECTOR_R,
    "ax": Role.ACC_X,
    "ay": Role.ACC_Y,
    "az": Role.ACC_Z,
    "accel_x": Role.ACC_X,
    "accel_y": Role.ACC_Y,
    "accel_z": Role.ACC_Z,
    "gx": Role.GYR_X,
    "gy": Role.GYR_Y,
    "gz": Role.GYR_Z,
    "gyro_x": Role.GYR_X,
    "gyro_y": Role.GYR_Y,
    "gyro_z": Role.GYR_Z,
}

_UNIT_RE = re.compile(r"^(?P<base>.+?)\s*(?:[\[(](?P<u1>[^\])]+)[\])]|_(?P<u2>uv|mv|v|g|mg|dps|ms2))$", re.I)


def split_unit(column: str) -> tuple[str, str | None]:
    """``"glute_max_l (mV)"`` -> ``("glute_max_l", "mv")``; ``"acc_x_g"`` -> ``("acc_x", "g")``."""
    name = column.strip()
    m = _UNIT_RE.match(name)
    if m:
        unit = m.group("u1") or m.group("u2")
        base = m.group("base").strip()
        if _role_of(base) is not None:
            return base, unit.strip().lower()
    return name, None


def _normalise(name: str) -> str:
    n = re.sub(r"[\s\-\.]+", "_", name.strip().lower())
    n = re.sub(r"_(left)$", "_l", n)
    n = re.sub(r"_(right)$", "_r", n)
    n = re.sub(r"^(left)_(.+)$", r"\2_l", n)
    n = re.sub(r"^(right)_(.+)$", r"\2_r", n)
    return n


def _role_of(name: str) -> Role | None:
    n = _normalise(name)
    try:
        return Role(n)
    except ValueError:
        return _ALIASES.get(n)


def parse_map(spec: str | None) -> dict[Role, str]:
    """Parse ``--map ROLE=NAME[,ROLE=NAME...]``; raises ``ValueError`` on a bad role."""
    out: dict[Role, str] = {}
    if not spec:
        return out
    for part in spec.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"--map entry {part!r} is not ROLE=NAME")
        role, name = part.split("=", 1)
        out[Role.parse(role)] = name.strip()
    return out


def assign_roles(columns: Iterable[str], mapping: Mapping[Role, str], source: str) -> dict[Role, str]:
    """Role -> column, from explicit ``mapping`` first, then names and aliases."""
    cols = list(columns)
    out: dict[Role, str] = {}
    for mapped, name in mapping.items():
        if name not in cols:
            raise InputError(
                f"{source}: --map names column {name!r}, which is not in the file "
                f"(columns: {', '.join(cols)})"
            )
        out[mapped] = name
    taken = set(out.values())
    for c in cols:
        if c in taken:
            continue
        role = _role_of(split_unit(c)[0])
        if role is not None and role not in out:
            out[role] = c
    return out


def unit_factor(kind: SignalKind, unit: str | None, source: str, what: str) -> float:
    """Multiplier taking ``unit`` to the core unit of ``kind``."""
    if unit is None or unit.strip() == "":
        return 1.0
    u = unit.strip().lower().replace(" ", "")
    factors = _UNIT_FACTORS[kind]
    if u not in factors:
        raise InputError(f"{source}: {what} has unit {unit!r}; expected one of {', '.join(factors)}")
    return factors[u]


def read_events_table(path: str | Path) -> tuple[Event, ...]:
    """Read a BIDS-style events table (TSV or CSV: onset, duration, trial_type[, side, rep])."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise InputError(f"{p}: cannot read events ({e.strerror or e})") from None
    first = text.splitlines()[0] if text else ""
    dialect = "excel-tab" if "\t" in first else "excel"
    rows = list(csv.DictReader(text.splitlines(), dialect=dialect))
    if not rows:
        return ()
    need = {"onset", "trial_type"}
    if not need <= set(rows[0]):
        raise InputError(
            f"{p}: events table needs columns onset, duration, trial_type (found: {', '.join(rows[0])})"
        )
    out = []
    for i, r in enumerate(rows, start=2):
        try:
            out.append(Event.from_json({k: v for k, v in r.items() if k is not None}))
        except (ValueError, KeyError) as e:
            raise InputError(f"{p}: line {i} of the events table is unreadable ({e})") from None
    return tuple(sorted(out, key=lambda e: e.onset_s))
