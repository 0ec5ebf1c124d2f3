"""The ``sim`` device names: which Bleak backend and which address a ``--device`` value means.

The transport knows only addresses, names and a ``backend=`` (as Bleak does); the name
``sim`` lives here, with the virtual sensor.  ``resolve_backend("sim", ...)`` (or
``"sim:PROFILE"``, a virtual sensor speaking another device profile, e.g. ``sim:polar-h10``)
imports :mod:`glutesense.virtual.backend` lazily and returns its backend classes; any other
device gets ``None`` (Bleak's platform default); :func:`link_target` says what a link then
connects to.  This module imports bleak only when a virtual backend is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glutesense.model.roles import Protocol
from glutesense.transport.base import BackendPair
from glutesense.transport.clock import Clock

SIM_DEVICE = "sim"


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


def link_target(device: str, backend: BackendPair | None) -> str:
    """What a link connects to for ``--device`` value ``device``: the virtual sensor's address for
    ``sim[:PROFILE]`` (``backend`` from :func:`resolve_backend`), else ``device`` itself."""
    if backend is None or not is_sim(device):
        return device
    return str(backend.context.sensors[0].spec.address)
