"""Which Bleak backend a device name means, without importing anything virtual up front.

``resolve_backend("sim", ...)`` imports :mod:`glutesense.virtual.backend` lazily and
returns its backend classes; any other device gets ``None`` (Bleak's platform default).
This module imports neither bleak nor the virtual package at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glutesense.roles import Protocol
from glutesense.transport.clock import Clock

SIM_DEVICE = "sim"


@dataclass(frozen=True)
class BackendPair:
    """Bleak backend classes to pass as ``backend=`` to ``BleakScanner`` and ``BleakClient``.

    Attributes
    ----------
    scanner : type
        A ``bleak.backends.scanner.BaseBleakScanner`` subclass.
    client : type
        A ``bleak.backends.client.BaseBleakClient`` subclass.
    name : str
        Short description for metadata and messages (``"virtual"``, ...).
    context : object or None
        Whatever the backend wants to keep reachable (the virtual world).
    """

    scanner: type[Any]
    client: type[Any]
    name: str = "custom"
    context: Any = None


def is_sim(device: str) -> bool:
    """Whether ``device`` names the virtual sensor."""
    return device.strip().lower() == SIM_DEVICE


def resolve_backend(
    device: str,
    *,
    clock: Clock,
    protocol: Protocol = Protocol.BRIDGE,
    sim: Mapping[str, Any] | None = None,
) -> BackendPair | None:
    """Backend classes for ``device``: the virtual sensor for ``"sim"``, else None.

    Parameters
    ----------
    device : str
        ``"sim"``, a Bluetooth address, or an advertised name.
    clock : Clock
        Paces the virtual sensor (use the same clock for the link and the recorder).
    protocol : Protocol
        The test the virtual person does.
    sim : mapping, optional
        Virtual person and sensor options, see
        :func:`glutesense.virtual.backend.sim_backends` (ignored for real devices).
    """
    if not is_sim(device):
        return None
    from glutesense.virtual.backend import sim_backends

    return sim_backends(clock=clock, protocol=protocol, options=sim or {})
