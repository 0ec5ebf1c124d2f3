"""Parameters of the virtual person (frozen, JSON-able)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from glutesense.model.roles import Role, SignalKind


class Pattern(StrEnum):
    """How the person recruits the glute relative to the hamstring."""

    GLUTE_FIRST = "glute_first"
    GLUTE_LATE = "glute_late"
    GLUTE_ABSENT = "glute_absent"


DEFAULT_EMG_ROLES: tuple[Role, ...] = (
    Role.GLUTE_MAX_L,
    Role.HAMSTRING_L,
    Role.GLUTE_MAX_R,
    Role.HAMSTRING_R,
    Role.GLUTE_MED_L,
    Role.GLUTE_MED_R,
    Role.ERECTOR_L,
    Role.ERECTOR_R,
)
"""The EMG channel order of the diy-v1 profile (``emg0`` .. ``emg7``)."""

BASIC_EMG_ROLES: tuple[Role, ...] = DEFAULT_EMG_ROLES[:4]
"""Glute max and hamstring on both sides only."""


_DEFAULT_LAG_MS = {Pattern.GLUTE_FIRST: -60.0, Pattern.GLUTE_LATE: 120.0, Pattern.GLUTE_ABSENT: 0.0}


def _check_range(name: str, lo_hi: tuple[float, float]) -> None:
    lo, hi = lo_hi
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi):
        raise ValueError(f"{name} must be a (low, high) pair with 0 <= low <= high, got {lo_hi!r}")


@dataclass(frozen=True)
class PersonParams:
    """A virtual person doing a guided test.

    Attributes
    ----------
    pattern : Pattern
        Glute recruitment pattern.  ``GLUTE_FIRST`` needs ``glute_lag_ms <= 0``,
        ``GLUTE_LATE`` needs ``glute_lag_ms > 0``; ``GLUTE_ABSENT`` ignores it.
    glute_lag_ms : float
        Glute onset minus hamstring onset, ms (e.g. -60 glute-first, +120 glute-late).
    lag_jitter_ms : float
        Standard deviation of the rep-to-rep lag, ms (clipped so the pattern holds).
    snr_db : float
        Glute max plateau RMS over the background-noise RMS, dB.
    background_uv : float
        White background (electrode + amplifier) noise RMS, µV.
    emg_fs_hz, imu_fs_hz : float
        Sample rates, Hz.
    mains_hz, mains_uv : float
        Mains hum frequency (Hz) and amplitude (µV, peak).
    wander_uv : float
        Slow baseline wander amplitude (µV, peak, < 0.5 Hz).
    rise_ms, fall_ms : (float, float)
        Range of activation rise and release times, ms (raised-cosine shaped).
    reaction_ms : (float, float)
        Range of cue-to-first-muscle-onset reaction times, ms.
    movement_delay_ms : (float, float)
        Range of first-muscle-onset-to-movement-onset delays, ms.
    motion_artifacts : bool
        Add a low-frequency transient to every EMG channel at movement onset.
    artifact_uv : (float, float)
        Range of motion-artifact peak amplitudes, µV.
    false_starts : int
        Single-leg stand: short bursts (60-150 ms) that die out before the sustained squeeze.
    right_gain : float
        Right-side EMG plateau relative to the left (asymmetry; 1 = symmetric).
    right_lag_offset_ms : float
        Added to the glute lag on the right side, ms (asymmetric timing).
    emg_roles : tuple of Role
        EMG channels generated, in output column order.
    emg_spectrum : {"band", "surface"}
        The activation carrier's spectrum: ``band`` (flat 20-450 Hz) or ``surface`` (the classic
        surface-EMG shape, median frequency near 85 Hz, that can fatigue;
        :mod:`glutesense.virtual.fatigue`).
    fatigue_per_active_s : float
        ``surface`` only: share of the fresh median frequency lost per second of activation at
        the muscle's own plateau (0 = does not tire; 0.003 = 25 % after ~80 s of work).
    squeeze_share : float
        Glute level of a ``contract`` squeeze and of an answered ``prompt``, share of the reference.
    prompt_answer_share : float
        Probability of answering a sitting-break ``prompt`` (:mod:`glutesense.virtual.moves`).
    prompt_reaction_ms : (float, float)
        Range of prompt-to-squeeze times (standing up first), ms.
    seed : int
        Seed of every random draw; the same seed and cues give the same samples.
    """

    pattern: Pattern = Pattern.GLUTE_FIRST
    glute_lag_ms: float = -60.0
    lag_jitter_ms: float = 10.0
    snr_db: float = 34.0
    background_uv: float = 4.0
    emg_fs_hz: float = 1000.0
    imu_fs_hz: float = 100.0
    mains_hz: float = 50.0
    mains_uv: float = 3.0
    wander_uv: float = 8.0
    rise_ms: tuple[float, float] = (50.0, 250.0)
    fall_ms: tuple[float, float] = (120.0, 300.0)
    reaction_ms: tuple[float, float] = (150.0, 300.0)
    movement_delay_ms: tuple[float, float] = (50.0, 150.0)
    motion_artifacts: bool = True
    artifact_uv: tuple[float, float] = (40.0, 200.0)
    false_starts: int = 0
    right_gain: float = 1.0
    right_lag_offset_ms: float = 0.0
    emg_roles: tuple[Role, ...] = DEFAULT_EMG_ROLES
    emg_spectrum: str = "band"
    fatigue_per_active_s: float = 0.0
    squeeze_share: float = 0.7
    prompt_answer_share: float = 1.0
    prompt_reaction_ms: tuple[float, float] = (800.0, 3000.0)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.pattern is Pattern.GLUTE_FIRST and self.glute_lag_ms > 0:
            raise ValueError(f"a glute-first person needs glute_lag_ms <= 0, got {self.glute_lag_ms}")
        if self.pattern is Pattern.GLUTE_LATE and self.glute_lag_ms <= 0:
            raise ValueError(f"a glute-late person needs glute_lag_ms > 0, got {self.glute_lag_ms}")
        if self.emg_spectrum not in ("band", "surface"):
            raise ValueError(f"emg_spectrum must be 'band' or 'surface', got {self.emg_spectrum!r}")
        if not 0 <= self.fatigue_per_active_s < 1 or not 0 <= self.prompt_answer_share <= 1:
            raise ValueError("fatigue_per_active_s must be in [0, 1) and prompt_answer_share in [0, 1]")
        if not 0 < self.squeeze_share <= 1.5:
            raise ValueError(f"squeeze_share must be in (0, 1.5], got {self.squeeze_share}")
        for name in (
            "rise_ms",
            "fall_ms",
            "reaction_ms",
            "movement_delay_ms",
            "artifact_uv",
            "prompt_reaction_ms",
        ):
            _check_range(name, getattr(self, name))
        if self.rise_ms[0] <= 0 or self.fall_ms[0] <= 0:
            raise ValueError("rise_ms and fall_ms must be > 0")
        if self.emg_fs_hz <= 0 or self.imu_fs_hz <= 0:
            raise ValueError("sample rates must be > 0 Hz")
        if self.false_starts < 0:
            raise ValueError("false_starts must be >= 0")
        if not self.emg_roles or any(r.kind is not SignalKind.EMG for r in self.emg_roles):
            raise ValueError("emg_roles must be one or more EMG roles")
        if len(set(self.emg_roles)) != len(self.emg_roles):
            raise ValueError("emg_roles must not repeat a role")

    @property
    def plateau_uv(self) -> float:
        """Glute max plateau RMS, µV (``background_uv * 10**(snr_db / 20)``)."""
        return float(self.background_uv * 10.0 ** (self.snr_db / 20.0))

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["pattern"] = self.pattern.value
        d["emg_roles"] = [r.value for r in self.emg_roles]
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PersonParams:
        kw = dict(d)
        pattern = Pattern(str(kw.get("pattern", Pattern.GLUTE_FIRST.value)).replace("-", "_"))
        kw["pattern"] = pattern
        kw.setdefault("glute_lag_ms", _DEFAULT_LAG_MS[pattern])
        if "emg_roles" in kw:
            kw["emg_roles"] = tuple(Role(r) for r in kw["emg_roles"])
        for k, v in kw.items():
            if isinstance(v, list):
                kw[k] = tuple(v)
        return cls(**kw)

    @classmethod
    def glute_first(cls, lag_ms: float = -60.0, **kw: Any) -> PersonParams:
        return cls(pattern=Pattern.GLUTE_FIRST, glute_lag_ms=lag_ms, **kw)

    @classmethod
    def glute_late(cls, lag_ms: float = 120.0, **kw: Any) -> PersonParams:
        return cls(pattern=Pattern.GLUTE_LATE, glute_lag_ms=lag_ms, **kw)

    @classmethod
    def glute_absent(cls, **kw: Any) -> PersonParams:
        return cls(pattern=Pattern.GLUTE_ABSENT, glute_lag_ms=0.0, **kw)
