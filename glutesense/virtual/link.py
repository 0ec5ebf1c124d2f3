"""The device side of a BLE link that takes one client at a time, shared by the simulated devices
(the virtual sensor and the fixture-replay device)."""

from __future__ import annotations

from collections.abc import Callable


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
