"""Channel roles, muscles, sides and units: what a channel *means*.

Reports and detectors address roles, never device channel numbers.  A session
maps device channels to roles when it is set up (``--map`` or a profile's
default map).
"""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """Body side."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def suffix(self) -> str:
        """Role-name suffix for this side (``"l"`` or ``"r"``)."""
        return self.value[0]

    @property
    def other(self) -> Side:
        return Side.RIGHT if self is Side.LEFT else Side.LEFT


class Muscle(StrEnum):
    """Muscles glutesense knows how to read."""

    GLUTE_MAX = "glute_max"
    GLUTE_MED = "glute_med"
    HAMSTRING = "hamstring"
    ERECTOR = "erector"


class SignalKind(StrEnum):
    """Physical kind of a channel, which fixes its unit inside the core."""

    EMG = "emg"
    ACC = "acc"
    GYR = "gyr"

    @property
    def unit(self) -> str:
        return _KIND_UNIT[self]


_KIND_UNIT = {SignalKind.EMG: "uV", SignalKind.ACC: "g", SignalKind.GYR: "deg/s"}


class Protocol(StrEnum):
    """Guided tests glutesense records and analyzes."""

    BRIDGE = "bridge"
    SINGLE_LEG_STAND = "single-leg-stand"
    WALK = "walk"


GUIDED_PROTOCOLS = (Protocol.BRIDGE, Protocol.SINGLE_LEG_STAND)
"""Protocols the recorder can guide with cues (a walk is recorded as it happens, without cues)."""


class Role(StrEnum):
    """A channel's meaning.  The value is the public role name."""

    GLUTE_MAX_L = "glute_max_l"
    GLUTE_MAX_R = "glute_max_r"
    GLUTE_MED_L = "glute_med_l"
    GLUTE_MED_R = "glute_med_r"
    HAMSTRING_L = "hamstring_l"
    HAMSTRING_R = "hamstring_r"
    ERECTOR_L = "erector_l"
    ERECTOR_R = "erector_r"
    ACC_X = "acc_x"
    ACC_Y = "acc_y"
    ACC_Z = "acc_z"
    GYR_X = "gyr_x"
    GYR_Y = "gyr_y"
    GYR_Z = "gyr_z"

    @property
    def kind(self) -> SignalKind:
        head = self.value.split("_")[0]
        if head == "acc":
            return SignalKind.ACC
        if head == "gyr":
            return SignalKind.GYR
        return SignalKind.EMG

    @property
    def unit(self) -> str:
        return self.kind.unit

    @property
    def muscle(self) -> Muscle | None:
        if self.kind is not SignalKind.EMG:
            return None
        return Muscle(self.value[:-2])

    @property
    def side(self) -> Side | None:
        if self.kind is not SignalKind.EMG:
            return None
        return Side.LEFT if self.value.endswith("_l") else Side.RIGHT

    @classmethod
    def emg(cls, muscle: Muscle, side: Side) -> Role:
        """The EMG role for ``muscle`` on ``side``."""
        return cls(f"{muscle.value}_{side.suffix}")

    @classmethod
    def parse(cls, name: str) -> Role:
        """Parse a role name, raising ``ValueError`` listing the valid names."""
        try:
            return cls(name.strip().lower())
        except ValueError:
            valid = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {name!r} (valid roles: {valid})") from None


EMG_ROLES = tuple(r for r in Role if r.kind is SignalKind.EMG)
ACC_ROLES = (Role.ACC_X, Role.ACC_Y, Role.ACC_Z)
GYR_ROLES = (Role.GYR_X, Role.GYR_Y, Role.GYR_Z)
IMU_ROLES = ACC_ROLES + GYR_ROLES
