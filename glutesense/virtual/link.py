"""The device side of a BLE link that takes one client at a time, shared by the simulated devices
(the virtual sensor and the fixture-replay device)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LinkFaults:
    """Faults between a simulated device's firmware and the radio, common to the simulated devices.

    Attributes
    ----------
    drop_probability : float
        Probability that a notification is not delivered (0..1).
    duplicate_probability : float
        Probability that a delivered notification is delivered twice (0..1).
    burst_every_s : float
        When > 0, notifications are held and delivered all at once every ``burst_every_s`` device
        seconds, as BlueZ hands over several queued notifications together.
    disconnects_at_s : tuple of float
        Device times (s) at which the device drops the link (each once).
    down_s : float
        How long the device stays out of range after each disconnect, s.
    never_answers : bool
        The device advertises but never completes a connection.
    """

    drop_probability: float = 0.0
    duplicate_probability: float = 0.0
    burst_every_s: float = 0.0
    disconnects_at_s: tuple[float, ...] = ()
    down_s: float = 1.0
    never_answers: bool = False

    def __post_init__(self) -> None:
        for name in ("drop_probability", "duplicate_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.down_s < 0 or self.burst_every_s < 0:
            raise ValueError("down_s and burst_every_s must be >= 0")


class OneClientLink:
    """``attach`` / ``connected`` for a device that accepts one client and can be out of range.

    Subclasses give ``link_name`` and ``reachable``, and their own ``detach`` (which must clear
    ``_on_link_lost``); they call ``_on_link_lost`` when the device drops the link.
    """

    _on_link_lost: Callable[[], None] | None = None

    @property
    def link_name(self) -> str:
        raise NotImplementedError

    @property
    def reachable(self) -> bool:
        raise NotImplementedError

    @property
    def connected(self) -> bool:
        return self._on_link_lost is not None

    def attach(self, on_link_lost: Callable[[], None]) -> None:
        """A client connects; ``on_link_lost`` is called if the device drops the link."""
        if self.connected:
            raise ConnectionError(f"{self.link_name} is already connected to another client")
        if not self.reachable:
            raise ConnectionError(f"{self.link_name} is out of range")
        self._on_link_lost = on_link_lost
