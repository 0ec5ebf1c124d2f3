"""Types the transport shares with its users and with Bleak backends (a leaf: imports nothing of glutesense).

:class:`BackendPair` is what a Bleak backend provider (the virtual sensor, the replay device,
a test) hands the transport; :class:`LinkNotice` is what a link queues between its packets;
the :class:`TransportError` family is what the CLI turns into one-line messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class TransportError(Exception):
    """A BLE problem worth a one-line message (the CLI exits 2)."""


class DeviceNotFound(TransportError):
    """No advertising device matched the requested address or name."""


class ConnectionFailed(TransportError):
    """The device was found but could not be connected, subscribed or commanded."""


class BluetoothUnavailable(TransportError):
    """No usable Bluetooth adapter or stack on this machine."""


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


class NoticeKind(StrEnum):
    DISCONNECT = "disconnect"
    RECONNECT = "reconnect"
    LOST = "lost"  # reconnecting gave up


@dataclass(frozen=True)
class LinkNotice:
    """A link event, queued between packets in the order it happened.

    Attributes
    ----------
    kind : NoticeKind
    t_ns : int
        Clock time of the event (same clock as packet receive stamps).
    device : int
        Device index within the session.
    detail : str
    """

    kind: NoticeKind
    t_ns: int
    device: int = 0
    detail: str = ""


@dataclass(frozen=True)
class FoundDevice:
    """One advertising device.

    Attributes
    ----------
    address, name : str
    rssi_dbm : int
    profile : str or None
        Name of the recognised device profile, None when unsupported.
    """

    address: str
    name: str
    rssi_dbm: int
    profile: str | None


@dataclass(frozen=True)
class ReconnectPolicy:
    """Backoff for reconnecting after an unexpected disconnect (clock seconds)."""

    first_delay_s: float = 0.5
    factor: float = 2.0
    max_delay_s: float = 5.0
    max_attempts: int = 8
