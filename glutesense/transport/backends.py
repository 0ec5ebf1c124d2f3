"""Which Bleak backend a device name means, without importing anything virtual up front.

``resolve_backend("sim", ...)`` (or ``"sim:PROFILE"``, a virtual sensor speaking another
device profile, e.g. ``sim:polar-h10``) imports :mod:`glutesense.virtual.backend` lazily and
returns its backend classes; any other device gets ``None`` (Bleak's platform default).
This module imports neither bleak nor the virtual package at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from glutesense.model.roles import Protocol
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
    cue_hook : callable or None
        ``cue_hook(address, label)``: tells the backend a cue was shown to the person wearing
        the device at ``address`` (the virtual world's person hears it; a real backend has
        none).  The link calls it for devices that cannot echo markers.
    """

    scanner: type[Any]
    client: type[Any]
    name: str = "custom"
    context: Any = None
    cue_hook: Callable[[str, str], None] | None = None


def is_sim(device: str) -> bool:
    """Whether ``device`` names the virtual sensor (``sim`` or ``sim:PROFILE``)."""
    head, _, _ = device.strip().lower().partition(":")
    return head == SIM_DEVICE and not _looks_like_address(device)


def _looks_like_address(device: str) -> bool:
    return device.count(":") == 5


def sim_profile(device: str) -> str:
    """The profile a ``sim`` device speaks: ``"diy-v1"``, or what follows ``sim:``."""
    _, _, profile = device.strip().lower().partition(":")
    return profile or DEFAULT_SIM_PROFILE


DEFAULT_SIM_PROFILE = "diy-v1"


def resolve_backend(
    device: str,
    *,
    clock: Clock,
    protocol: Protocol = Protocol.BRIDGE,
    sim: Mapping[str, Any] | None = None,
) -> BackendPair | None:
    """Backend classes for ``device``: the virtual sensor for ``"sim[:PROFILE]"``, else None.

    Parameters
    ----------
    device : str
        ``"sim"`` or ``"sim:PROFILE"``, a Bluetooth address, or an advertised name.
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

    return sim_backends(clock=clock, protocol=protocol, options=sim or {}, profile=sim_profile(device))


def showcase_backend(*, clock: Clock) -> BackendPair:
    """A virtual world with one sensor of every profile the simulator speaks (``glutesense scan``)."""
    from glutesense.virtual.backend import showcase_backends

    return showcase_backends(clock=clock)


def sim_target(profile: str) -> str:
    """The ``--device`` value that records from a virtual sensor speaking ``profile``."""
    return SIM_DEVICE if profile == DEFAULT_SIM_PROFILE else f"{SIM_DEVICE}:{profile}"
