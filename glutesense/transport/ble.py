"""BLE transport: scan, connect, subscribe, stamp, enqueue; reconnect on a dropped link.

The only live-path module that imports bleak, and only inside functions, so analysis
and replay work where no BLE stack is installed.  The notification callback stamps the
injected clock and enqueues a :class:`~glutesense.model.records.RawPacket`; nothing slow runs
in it.  Link events (:class:`LinkNotice`) travel on the same queue, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from glutesense.model.records import RawPacket
from glutesense.profiles import DeviceProfile, diy_v1
from glutesense.transport.base import (
    BackendPair,
    BluetoothUnavailable,
    ConnectionFailed,
    DeviceNotFound,
    FoundDevice,
    LinkNotice,
    NoticeKind,
    ReconnectPolicy,
    TransportError,
)
from glutesense.transport.clock import Clock
from glutesense.transport.discovery import is_address, match_profile, reason, scan
from glutesense.transport.tasks import cancel_and_wait

if TYPE_CHECKING:
    from bleak import BleakClient
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData

FIRMWARE_REVISION_CHAR = "00002a26-0000-1000-8000-00805f9b34fb"
ANNOTATION_CHAR = diy_v1.ANNOTATION_CHAR
"""JSON annotations (simulated ground truth), read whatever the profile when a device has it."""

__all__ = [  # the link, and the shared types its users catch or read (defined in transport.base)
    "BluetoothUnavailable",
    "ConnectionFailed",
    "DeviceNotFound",
    "FoundDevice",
    "LinkNotice",
    "NoticeKind",
    "ReconnectPolicy",
    "SensorLink",
    "TransportError",
    "match_profile",
    "scan",
]


class SensorLink:
    """A connection to one sensor that streams :class:`RawPacket` and :class:`LinkNotice` items.

    Parameters
    ----------
    target : str
        Bluetooth address or advertised name, as the backend's scanner reports them.
    clock : Clock
        Stamps every packet (``t_rx_ns``) and paces reconnect backoff.
    backend : BackendPair, optional
        Bleak backend classes (None: the platform's), passed to Bleak as ``backend=``; the
        link knows nothing else of where the device is (a virtual sensor is a backend).
    profile : DeviceProfile, optional
        Force a profile; default: recognised from the advertisement.
    device_index : int
        ``RawPacket.device`` of this link's packets.
    scan_timeout_s : float
        How long to look for the device, clock seconds.
    reconnect : ReconnectPolicy
    connect_timeout_s : float
        How long a connection attempt may take before it counts as failed, s.
    """

    def __init__(
        self,
        target: str,
        *,
        clock: Clock,
        backend: BackendPair | None = None,
        profile: DeviceProfile | None = None,
        device_index: int = 0,
        scan_timeout_s: float = 5.0,
        reconnect: ReconnectPolicy | None = None,
        connect_timeout_s: float = 10.0,
    ) -> None:
        self.target = target
        self.connect_timeout_s = connect_timeout_s
        self.clock = clock
        self.backend = backend
        self.device_index = device_index
        self.scan_timeout_s = scan_timeout_s
        self.policy = reconnect if reconnect is not None else ReconnectPolicy()
        self.queue: asyncio.Queue[RawPacket | LinkNotice] = asyncio.Queue()
        self._profile = profile
        self._device: BLEDevice | None = None
        self._adv_name = ""
        self._rssi_dbm: int | None = None
        self._client: BleakClient | None = None
        self._streaming = False
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self.n_disconnects = 0
        self.n_reconnects = 0

    # ------------------------------------------------------------ properties
    @property
    def profile(self) -> DeviceProfile:
        if self._profile is None:
            raise ConnectionFailed(f"{self.target}: not connected yet, so its profile is unknown")
        return self._profile

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def address(self) -> str | None:
        return None if self._device is None else self._device.address

    @property
    def name(self) -> str:
        return self._adv_name or (self._device.name if self._device and self._device.name else self.target)

    def describe(self) -> dict[str, Any]:
        """Device metadata for the session file."""
        return {
            "index": self.device_index,
            "target": self.target,
            "address": self.address,
            "name": self.name,
            "rssi_dbm": self._rssi_dbm,
            "profile": None if self._profile is None else self._profile.name,
            "backend": "platform" if self.backend is None else self.backend.name,
        }

    # ------------------------------------------------------------ connection
    async def _find(self) -> tuple[BLEDevice, AdvertisementData]:
        from bleak import BleakScanner

        target = self.target.strip()

        def wanted(dev: BLEDevice, adv: AdvertisementData) -> bool:
            if is_address(target):
                return bool(dev.address.lower() == target.lower())
            return (adv.local_name or dev.name) == target

        try:
            scanner_cls = None if self.backend is None else self.backend.scanner
            async with BleakScanner(backend=scanner_cls) as scanner:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.scan_timeout_s):
                        async for dev, adv in scanner.advertisement_data():
                            if wanted(dev, adv):
                                return dev, adv
        except Exception as e:
            raise BluetoothUnavailable(f"Bluetooth is not available: {reason(e)}") from e
        raise DeviceNotFound(f"no device {target!r} found within {self.scan_timeout_s:g} s of scanning")

    async def connect(self) -> None:
        """Find the device, connect and subscribe its notify characteristics.

        Raises
        ------
        DeviceNotFound, ConnectionFailed, BluetoothUnavailable
        """
        self._closing = False
        dev, adv = await self._find()
        self._device = dev
        self._adv_name = adv.local_name or dev.name or ""
        self._rssi_dbm = adv.rssi
        if self._profile is None:
            self._profile = match_profile(self._adv_name, adv.service_uuids)
            if self._profile is None:
                raise ConnectionFailed(f"{self._adv_name or dev.address} is not a supported sensor")
        await self._open_client()

    async def _open_client(self) -> None:
        from bleak import BleakClient

        assert self._device is not None
        profile = self.profile
        client = BleakClient(
            self._device,
            disconnected_callback=self._on_disconnect,
            timeout=self.connect_timeout_s,
            backend=None if self.backend is None else self.backend.client,
        )
        where = f"{self.name} ({self._device.address})"
        try:
            await client.connect()
            for i, uuid in enumerate(profile.notify_chars):
                await client.start_notify(uuid, self._notify_callback(i))
        except TimeoutError as e:
            with contextlib.suppress(Exception):
                await client.disconnect()
            raise ConnectionFailed(
                f"could not connect to {where}: no answer within {self.connect_timeout_s:g} s "
                "(is it on, in range, and not connected to another app?)"
            ) from e
        except Exception as e:
            with contextlib.suppress(Exception):
                await client.disconnect()
            raise ConnectionFailed(f"could not connect to {where}: {reason(e)}") from e
        self._client = client

    def _notify_callback(self, char_index: int) -> Callable[[Any, bytearray], None]:
        clock, queue, device = self.clock, self.queue, self.device_index

        def on_notify(_sender: Any, data: bytearray) -> None:
            t_rx_ns = clock.now_ns()
            queue.put_nowait(RawPacket(t_rx_ns, device, char_index, bytes(data)))

        return on_notify

    def _on_disconnect(self, client: BleakClient) -> None:
        if self._closing or client is not self._client:
            return
        self._client = None
        self.n_disconnects += 1
        self.queue.put_nowait(LinkNotice(NoticeKind.DISCONNECT, self.clock.now_ns(), self.device_index))
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        delay_s = self.policy.first_delay_s
        reason = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            await self.clock.sleep(delay_s)
            if self._closing:
                return
            try:
                await self._open_client()
                if self._streaming:
                    await self._write_all(self.profile.start_commands)
            except TransportError as e:
                reason = str(e)
                client, self._client = self._client, None
                if client is not None:
                    with contextlib.suppress(Exception):
                        await client.disconnect()
                delay_s = min(delay_s * self.policy.factor, self.policy.max_delay_s)
                continue
            self.n_reconnects += 1
            detail = f"after {attempt} attempt(s)"
            notice = LinkNotice(NoticeKind.RECONNECT, self.clock.now_ns(), self.device_index, detail)
            self.queue.put_nowait(notice)
            return
        detail = f"gave up after {self.policy.max_attempts} attempts: {reason}"
        self.queue.put_nowait(LinkNotice(NoticeKind.LOST, self.clock.now_ns(), self.device_index, detail))

    # --------------------------------------------------------------- commands
    async def _write_all(self, commands: Sequence[bytes]) -> None:
        client, control = self._client, self.profile.control_char
        if client is None or control is None:
            if commands:
                raise ConnectionFailed(f"{self.name}: cannot send commands (not connected)")
            return
        try:
            for cmd in commands:
                await client.write_gatt_char(control, cmd, response=True)
        except Exception as e:
            raise ConnectionFailed(f"{self.name}: writing a command failed: {reason(e)}") from e

    async def start(self) -> None:
        """Ask the device to start streaming."""
        self._streaming = True
        await self._write_all(self.profile.start_commands)

    async def stop(self) -> None:
        """Ask the device to stop streaming (quietly, if the link is down)."""
        self._streaming = False
        if self.connected:
            with contextlib.suppress(TransportError):
                await self._write_all(self.profile.stop_commands)

    async def send_marker(self, marker_id: int, label: str = "") -> bool:
        """Ask the device to echo a marker on its own clock; False if unsupported or the link is down.

        For a device that cannot echo markers, the backend's ``cue_hook`` (if any) is told
        instead, so a virtual person still hears the cue.
        """
        make = self._profile.marker_command if self._profile is not None else None
        if make is None and self.backend is not None and self.backend.cue_hook is not None and self.address:
            self.backend.cue_hook(self.address, label)
        if make is None or not self.connected:
            return False
        try:
            await self._write_all((make(marker_id, label),))
        except TransportError:
            return False
        return True

    async def _read(self, uuid: str) -> bytes | None:
        client = self._client
        if client is None or not client.is_connected or client.services.get_characteristic(uuid) is None:
            return None
        try:
            return bytes(await client.read_gatt_char(uuid))
        except Exception:
            return None

    async def read_annotations(self) -> dict[str, Any] | None:
        """The profile's JSON annotation characteristic, if it has one and it parses."""
        uuid = self._profile.annotation_char if self._profile is not None else None
        raw = await self._read(uuid or ANNOTATION_CHAR)
        if raw is None:
            return None
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    async def read_firmware(self) -> str | None:
        """Device Information firmware revision, if the device has it."""
        raw = await self._read(FIRMWARE_REVISION_CHAR)
        return None if raw is None else raw.decode("utf-8", errors="replace")

    async def close(self) -> None:
        """Stop reconnecting and disconnect (streaming is not stopped: call :meth:`stop` first)."""
        self._closing = True
        task, self._reconnect_task = self._reconnect_task, None
        await cancel_and_wait(task)
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.disconnect()

    async def __aenter__(self) -> SensorLink:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
        await self.close()
