"""The signal-quality gate's results: per channel and check, pass / warn / fail with the fix in words.

The records are written by ``record`` (``meta["gate"]``, docs/format.md) and read back by
:meth:`GateReport.from_json`; the checks themselves are :mod:`glutesense.analysis.gate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """How a check came out, from best to worst."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Level.PASS: 0, Level.WARN: 1, Level.FAIL: 2}


class CheckKind(StrEnum):
    """What one gate check looks at."""

    SIGNAL = "signal"  # a signal at all: not a flat line, not at the rails
    NOISE = "noise"  # the resting noise floor in the analysis band
    MAINS = "mains"  # 50/60 Hz and harmonics at rest
    MOTION = "motion"  # low-frequency movement at rest (EMG below the band, the IMU)
    CONTRACTION = "contraction"  # the test contraction rises clearly above rest
    LEADS = "leads"  # the glute and hamstring channels answer their own cues


@dataclass(frozen=True)
class GateCheck:
    """One check of one channel (``channel`` is a role name, or ``""`` for the whole sensor).

    Attributes
    ----------
    channel : str
    kind : CheckKind
    level : Level
    value : float or None
        The measured figure, in ``unit`` (None when it could not be measured).
    unit : str
    detail : str
        What was measured, in words (with the limits).
    fix : str
        What to do, in plain words (empty when it passed).
    """

    channel: str
    kind: CheckKind
    level: Level
    value: float | None
    unit: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """One line for the terminal: ``FAIL glute_max_l noise: ... -> fix``."""
        where = self.channel or "sensor"
        fix = f": {self.fix}" if self.fix else ""
        return f"{self.level.value.upper():4} {where} {self.kind.value}: {self.detail}{fix}"

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "kind": self.kind.value,
            "level": self.level.value,
            "value": self.value,
            "unit": self.unit,
            "detail": self.detail,
            "fix": self.fix,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> GateCheck:
        value = d.get("value")
        return cls(
            channel=str(d.get("channel", "")),
            kind=CheckKind(str(d["kind"])),
            level=Level(str(d["level"])),
            value=None if value is None else float(value),
            unit=str(d.get("unit", "")),
            detail=str(d.get("detail", "")),
            fix=str(d.get("fix", "")),
        )


@dataclass(frozen=True)
class GateReport:
    """Every check of one gate run; ``level`` is the worst of them (PASS when there are none).

    Attributes
    ----------
    checks : tuple of GateCheck
    t_from_s, t_to_s : float
        The session time the gate's rest and test contractions took, s.
    note : str
        Why some checks could not run (e.g. no EMG channel), empty otherwise.
    """

    checks: tuple[GateCheck, ...]
    t_from_s: float = 0.0
    t_to_s: float = 0.0
    note: str = ""

    @property
    def level(self) -> Level:
        return max((c.level for c in self.checks), key=lambda lv: lv.rank, default=Level.PASS)

    @property
    def fixes(self) -> tuple[str, ...]:
        """The distinct fixes of failed checks, then of warnings, in order."""
        out: list[str] = []
        for lv in (Level.FAIL, Level.WARN):
            for c in self.checks:
                if c.level is lv and c.fix and c.fix not in out:
                    out.append(c.fix)
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "t_from_s": round(self.t_from_s, 6),
            "t_to_s": round(self.t_to_s, 6),
            "note": self.note,
            "checks": [c.to_json() for c in self.checks],
        }

    @classmethod
    def from_json(cls, value: object) -> GateReport | None:
        """Parse ``meta["gate"]``; None when absent or malformed (an older file)."""
        if not isinstance(value, Mapping):
            return None
        try:
            checks = tuple(GateCheck.from_json(c) for c in value.get("checks", ()))
            return cls(
                checks,
                float(value.get("t_from_s", 0.0)),
                float(value.get("t_to_s", 0.0)),
                str(value.get("note", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None
