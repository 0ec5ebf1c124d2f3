"""Closed-form time shapes used by the virtual person.

Every shape is a function of absolute time, so a signal built from them is the
same whichever way its samples are split into blocks.  Times in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glutesense.model.arrays import FloatArray

T10_FRACTION = math.acos(0.8) / math.pi
"""Fraction of a raised-cosine rise at which it reaches 10 % of its plateau (0.2048)."""


def rise(x: FloatArray) -> FloatArray:
    """Raised-cosine step: 0 for ``x <= 0``, ``sin^2(pi x / 2)`` on (0, 1), 1 for ``x >= 1``."""
    return np.asarray(np.sin(0.5 * np.pi * np.clip(x, 0.0, 1.0)) ** 2, dtype=np.float64)


def rise_rate(x: FloatArray) -> FloatArray:
    """d(rise)/dx: ``(pi / 2) sin(pi x)`` on (0, 1), 0 elsewhere."""
    inside = (x > 0.0) & (x < 1.0)
    return np.where(inside, 0.5 * np.pi * np.sin(np.pi * np.clip(x, 0.0, 1.0)), 0.0)


def rise_accel(x: FloatArray) -> FloatArray:
    """d²(rise)/dx²: ``(pi² / 2) cos(pi x)`` on (0, 1), 0 elsewhere."""
    inside = (x > 0.0) & (x < 1.0)
    return np.where(inside, 0.5 * np.pi**2 * np.cos(np.pi * np.clip(x, 0.0, 1.0)), 0.0)


@dataclass
class Burst:
    """One activation of one muscle: raised-cosine rise, plateau, raised-cosine fall.

    ``envelope(t) = level_uv * rise((t - t_on_s) / rise_s) * (1 - rise((t - t_off_s) / fall_s))``.
    The envelope is exactly 0 up to ``t_on_s`` and positive after it (until the fall ends).
    Mutable on purpose: a later cue sets ``t_off_s``; it never leaves the virtual package.
    """

    t_on_s: float
    rise_s: float
    level_uv: float
    t_off_s: float = math.inf
    fall_s: float = 0.2

    def envelope_uv(self, t_s: FloatArray) -> FloatArray:
        up = rise((t_s - self.t_on_s) / self.rise_s)
        if math.isfinite(self.t_off_s):
            up = up * (1.0 - rise((t_s - self.t_off_s) / self.fall_s))
        return self.level_uv * up

    @property
    def t10_s(self) -> float:
        """Time the rise reaches 10 % of ``level_uv`` (s)."""
        return self.t_on_s + T10_FRACTION * self.rise_s

    @property
    def end_s(self) -> float:
        """Time after which the burst is 0 again (``inf`` while it has not been released)."""
        return self.t_off_s + self.fall_s


@dataclass(frozen=True)
class Transition:
    """A smooth change of an angle by ``delta_deg`` over ``dur_s`` from ``t0_s``."""

    t0_s: float
    dur_s: float
    delta_deg: float

    def value(self, t_s: FloatArray) -> FloatArray:
        return self.delta_deg * rise((t_s - self.t0_s) / self.dur_s)

    def rate(self, t_s: FloatArray) -> FloatArray:
        """deg/s."""
        return self.delta_deg / self.dur_s * rise_rate((t_s - self.t0_s) / self.dur_s)

    def accel(self, t_s: FloatArray) -> FloatArray:
        """deg/s²."""
        return self.delta_deg / self.dur_s**2 * rise_accel((t_s - self.t0_s) / self.dur_s)


def artifact_shape(t_s: FloatArray, t0_s: float, tau_s: float) -> FloatArray:
    """Motion-artifact transient ``x e^(1 - x)``, ``x = (t - t0) / tau``.

    0 before ``t0``, peak 1 at ``t0 + tau``, then decays.
    """
    x = (t_s - t0_s) / tau_s
    on = (x > 0.0) & (x < 40.0)
    xc = np.clip(x, 0.0, 40.0)
    return np.where(on, xc * np.exp(1.0 - xc), 0.0)
