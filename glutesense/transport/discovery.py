"""Finding sensors: which profile an advertisement speaks, and a one-shot scan (bleak imported lazily)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from glutesense.profiles import PROFILES, DeviceProfile
from glutesense.transport.base import BackendPair, BluetoothUnavailable, FoundDevice

_ADDRESS = re.compile(
    r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$"  # MAC address (Linux, Windows)
    r"|^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$"  # CoreBluetooth UUID (macOS)
)


def match_profile(
    name: str | None, service_uuids: Sequence[str], profiles: Sequence[DeviceProfile] | None = None
) -> DeviceProfile | None:
    """The profile a device advertising ``name`` and ``service_uuids`` speaks, if any.

    A name-prefix match wins (the longest prefix, then one whose service is also
    advertised), because generic services such as the Nordic UART are shared by several
    profiles; otherwise the first profile in registry order whose service is advertised.
    """
    uuids = {u.lower() for u in service_uuids}
    candidates = tuple(PROFILES.values()) if profiles is None else tuple(profiles)
    best: tuple[int, bool, int] | None = None
    chosen = None
    for order, p in enumerate(candidates):
        serves = bool(uuids & {u.lower() for u in p.service_uuids})
        prefix = max((len(x) for x in p.name_prefixes if name and name.startswith(x)), default=0)
        if not prefix and not serves:
            continue
        score = (prefix, serves, -order)
        if best is None or score > best:
            best, chosen = score, p
    return chosen


def is_address(target: str) -> bool:
    return bool(_ADDRESS.match(target.strip()))


def reason(e: BaseException) -> str:
    if isinstance(e, FileNotFoundError | ConnectionRefusedError):
        # BlueZ is reached over the D-Bus system bus; its socket is missing or refuses.
        return "no Bluetooth service found (on Linux: is bluetoothd running and the D-Bus system bus up?)"
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return text or type(e).__name__


async def scan(
    timeout_s: float = 5.0, *, backend: BackendPair | None = None, supported_only: bool = True
) -> list[FoundDevice]:
    """Scan for ``timeout_s`` (real) seconds; supported sensors first, strongest first.

    Raises
    ------
    BluetoothUnavailable
        When the platform has no usable Bluetooth.
    """
    from bleak import BleakScanner

    kwargs: dict[str, Any] = {} if backend is None else {"backend": backend.scanner}
    try:
        found = await BleakScanner.discover(timeout=timeout_s, return_adv=True, **kwargs)
    except Exception as e:  # platform stacks raise many types (BleakError, DBus, OSError)
        raise BluetoothUnavailable(f"Bluetooth is not available: {reason(e)}") from e
    out = []
    for dev, adv in found.values():
        name = adv.local_name or dev.name or ""
        profile = match_profile(name, adv.service_uuids)
        if profile is None and supported_only:
            continue
        out.append(FoundDevice(dev.address, name, adv.rssi, None if profile is None else profile.name))
    return sorted(out, key=lambda d: (d.profile is None, -d.rssi_dbm, d.address))
