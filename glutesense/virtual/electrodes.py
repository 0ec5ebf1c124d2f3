"""Electrode and lead faults of the virtual sensor (``--sim-fault``): what a badly strapped sensor sends.

They act between the person's muscles and the ADC, on the samples of the device's EMG channels
(pure: arrays in, arrays out, a seeded generator for their noise):

* ``loose:ROLE``: the electrode barely touches the skin: a high-impedance contact picks up a
  broadband noise floor (40 µV RMS), strong mains (80 µV peak) and slow contact "pops" (a few
  hundred µV below 10 Hz), and the muscle's own signal reaches it weakened (to 30 %);
* ``dead:ROLE``: no signal at all (a lead off the connector): the ADC reads a constant 0;
* ``mains[:ROLE]``: strong mains hum (150 µV peak at the person's mains frequency, with its 3rd
  harmonic) on that channel, or on every channel (a charger or a mains-powered laptop nearby);
* ``swapped[:SIDE]``: the glute max and hamstring leads of that side (default left) are swapped.

Syntax of one fault: ``KIND[:TARGET]`` (see :func:`parse_fault`); ``--sim-fault`` repeats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.model.roles import Muscle, Role, Side, SignalKind

LOOSE_NOISE_UV = 40.0
LOOSE_MAINS_UV = 80.0
LOOSE_POP_UV = 300.0
LOOSE_SIGNAL_SHARE = 0.3
STRONG_MAINS_UV = 150.0


class FaultKind(StrEnum):
    LOOSE = "loose"
    DEAD = "dead"
    MAINS = "mains"
    SWAPPED = "swapped"


FAULT_SYNTAX = "loose:ROLE, dead:ROLE, mains[:ROLE] or swapped[:left|right], e.g. loose:glute_max_l"


@dataclass(frozen=True)
class ElectrodeFault:
    """One fault: ``kind`` on ``role`` (loose, dead, mains; None for mains: every channel) or ``side``
    (swapped)."""

    kind: FaultKind
    role: Role | None = None
    side: Side | None = None

    @property
    def text(self) -> str:
        target = self.role.value if self.role else (self.side.value if self.side else "")
        return f"{self.kind.value}:{target}" if target else self.kind.value


def parse_fault(text: str) -> ElectrodeFault:
    """``"loose:glute_max_l"``, ``"dead:hamstring_r"``, ``"mains"``, ``"swapped:left"``.

    Raises
    ------
    ValueError
        With the syntax, for anything else.
    """
    head, _, target = text.strip().lower().partition(":")
    try:
        kind = FaultKind(head)
    except ValueError:
        raise ValueError(f"unknown fault {text!r}: expected {FAULT_SYNTAX}") from None
    if kind is FaultKind.SWAPPED:
        try:
            return ElectrodeFault(kind, side=Side(target) if target else Side.LEFT)
        except ValueError:
            raise ValueError(f"swapped takes a side (left or right), got {target!r}") from None
    if not target and kind is FaultKind.MAINS:
        return ElectrodeFault(kind)
    try:
        role = Role(target)
    except ValueError:
        raise ValueError(f"{kind.value} takes an EMG role such as glute_max_l, got {target!r}") from None
    if role.kind is not SignalKind.EMG:
        raise ValueError(f"{kind.value} takes an EMG role such as glute_max_l, got {target!r}")
    return ElectrodeFault(kind, role=role)


class Electrodes:
    """Applies ``faults`` to blocks of EMG samples of channels ``roles`` (device channel order).

    Stateful only in the sample count and the noise generator, so the output does not depend on
    how the samples are split into blocks apart from the noise draws' order (which is fixed).
    """

    def __init__(
        self,
        faults: Sequence[ElectrodeFault],
        roles: Sequence[Role | None],
        fs_hz: float,
        mains_hz: float,
        seed: int,
    ) -> None:
        self.faults = tuple(faults)
        self.roles = tuple(roles)
        self.fs_hz = fs_hz
        self.mains_hz = mains_hz
        self._rng = np.random.default_rng([seed, 0xE1EC])
        self._n = 0
        self._swap: list[tuple[int, int]] = []
        for f in self.faults:
            if f.kind is FaultKind.SWAPPED and f.side is not None:
                g, h = Role.emg(Muscle.GLUTE_MAX, f.side), Role.emg(Muscle.HAMSTRING, f.side)
                if g in self.roles and h in self.roles:
                    self._swap.append((self.roles.index(g), self.roles.index(h)))

    def _cols(self, f: ElectrodeFault) -> list[int]:
        if f.role is None:
            return list(range(len(self.roles)))
        return [i for i, r in enumerate(self.roles) if r is f.role]

    def apply(self, emg_uv: FloatArray) -> FloatArray:
        """The samples the ADC reads, shape ``(n_samples, n_channels)`` like ``emg_uv``, µV."""
        if not self.faults or emg_uv.shape[0] == 0:
            return emg_uv
        x = np.array(emg_uv, dtype=np.float64)
        n = x.shape[0]
        t = (self._n + np.arange(n)) / self.fs_hz
        self._n += n
        for a, b in self._swap:
            x[:, [a, b]] = x[:, [b, a]]
        hum = np.sin(2 * np.pi * self.mains_hz * t) + 0.3 * np.sin(2 * np.pi * 3 * self.mains_hz * t + 1.0)
        for f in self.faults:
            for c in self._cols(f):
                if f.kind is FaultKind.DEAD:
                    x[:, c] = 0.0
                elif f.kind is FaultKind.MAINS:
                    x[:, c] += STRONG_MAINS_UV * hum
                elif f.kind is FaultKind.LOOSE:
                    pops = LOOSE_POP_UV * np.sin(2 * np.pi * 0.9 * t) * np.sin(2 * np.pi * 0.23 * t + c)
                    noise = LOOSE_NOISE_UV * self._rng.standard_normal(n)
                    x[:, c] = LOOSE_SIGNAL_SHARE * x[:, c] + noise + LOOSE_MAINS_UV * hum + pops
        return x
