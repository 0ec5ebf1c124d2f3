"""Simulated BLE devices behind Bleak's backend seam: the GATT table, an advertising scanner and a
client that relays GATT operations to a device object.

Shared by the virtual sensor (:mod:`glutesense.virtual.backend`) and the fixture replay
(:mod:`glutesense.virtual.replay_backend`); each subclasses the scanner and the client and says
how its devices are found, advertised and paced.

The GATT table is built from the device profile the sensor speaks (diy-v1 shown)::

    profile service       6e400001-...   control 6e400002 (write), notify 6e400003,
                                         annotations 6e400010 (read, JSON; simulators only)
    Device Information    0x180a         firmware revision 0x2a26 (read)

The control characteristic is also notifiable when the profile lists it among its notify
characteristics (Polar's PMD control point answers that way).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError

from glutesense.profiles import DeviceProfile
from glutesense.transport.clock import Clock
from glutesense.transport.tasks import cancel_and_wait
from glutesense.virtual.wire import SIM_ANNOTATION_CHAR

DIS_SERVICE = "0000180a-0000-1000-8000-00805f9b34fb"
FIRMWARE_REVISION_CHAR = "00002a26-0000-1000-8000-00805f9b34fb"
CCCD = "00002902-0000-1000-8000-00805f9b34fb"
MTU_BYTES = 517


class AdvertisingScanner(BaseBleakScanner):
    """Scanner backend that re-advertises simulated devices periodically.

    Subclasses say what is advertised now (:meth:`_advertised`) and how often
    (:meth:`_interval_s`); starting, stopping and filtering are shared.
    """

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._task: asyncio.Task[None] | None = None

    def _interval_s(self) -> float:
        raise NotImplementedError

    def _advertised(self) -> list[tuple[str, str, Any, AdvertisementData]]:
        """``(address, name, details, advertisement)`` of each device advertising now."""
        raise NotImplementedError

    async def start(self) -> None:
        self.seen_devices = {}
        self._advertise()
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s())
            self._advertise()

    def _advertise(self) -> None:
        for address, name, details, adv in self._advertised():
            if not self.is_allowed_uuid(adv.service_uuids):
                continue
            device = self.create_or_update_device(address, address, name, details, adv)
            self.call_detection_callbacks(device, adv)


def profile_services(profile: DeviceProfile) -> BleakGATTServiceCollection:
    """The GATT table of a device speaking ``profile`` (plus the annotation char and DIS)."""

    def mtu() -> int:
        return MTU_BYTES - 3

    col = BleakGATTServiceCollection()
    main = BleakGATTService(None, 1, profile.service_uuids[0])
    col.add_service(main)
    handle = 2
    props: dict[str, list[Any]] = {}
    if profile.control_char is not None:
        props[profile.control_char] = ["write", "write-without-response"]
    for uuid in profile.notify_chars:
        props.setdefault(uuid, []).extend(
            ["notify", "indicate"] if uuid == profile.control_char else ["notify"]
        )
    props[SIM_ANNOTATION_CHAR] = ["read"]
    for uuid, flags in props.items():
        char = BleakGATTCharacteristic(None, handle, uuid, flags, mtu, main)
        col.add_characteristic(char)
        if "notify" in flags:
            col.add_descriptor(BleakGATTDescriptor(None, handle + 1, CCCD, char))
        handle += 3
    dis = BleakGATTService(None, handle, DIS_SERVICE)
    col.add_service(dis)
    col.add_characteristic(
        BleakGATTCharacteristic(None, handle + 1, FIRMWARE_REVISION_CHAR, ["read"], mtu, dis)
    )
    return col


class SimulatedClientBackend(BaseBleakClient):
    """Client backend relaying GATT operations to a simulated device.

    Shared by the virtual sensor and the fixture replay.  Subclasses say how the
    device is found (:meth:`_find`), which clock paces it (:meth:`_clock`), its
    GATT table and notify characteristics, extra readable characteristics and how
    commands reach it.  The device provides ``attach(on_link_lost)``, ``detach()``,
    ``set_notify(char_index, callback)`` and ``spec.faults.never_answers`` /
    ``spec.firmware_revision``.
    """

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._device: Any = None

    # -- what subclasses provide ---------------------------------------------

    def _find(self) -> Any:
        """The device at ``self.address``, or None."""
        raise NotImplementedError

    def _clock(self) -> Clock:
        raise NotImplementedError

    def _services_of(self, device: Any) -> BleakGATTServiceCollection:
        raise NotImplementedError

    def _notify_chars(self, device: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def _read_extra(self, device: Any, uuid: str) -> bytes | None:
        """Bytes of a readable characteristic beyond the firmware revision, or None."""
        return None

    def _command(self, device: Any, uuid: str, data: bytes) -> None:
        raise NotImplementedError

    # -- the BaseBleakClient contract ----------------------------------------

    @property
    def name(self) -> str:
        device = self._find()
        return device.spec.advertised_name if device is not None else self.address

    @property
    def mtu_size(self) -> int:
        return MTU_BYTES

    @property
    def is_connected(self) -> bool:
        return self._device is not None

    def _connected(self) -> Any:
        if self._device is None:
            raise BleakError("Not connected")
        return self._device

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        device = self._find()
        if device is None:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        if device.spec.faults.never_answers:
            async with asyncio.timeout(self._timeout):  # bleak backends honour their timeout
                await asyncio.Event().wait()  # the connection request is never answered
        await self._clock().sleep(0.05)  # connection set-up takes a few connection intervals
        try:
            device.attach(self._link_lost)
        except ConnectionError as e:
            raise BleakError(str(e)) from None
        self.services = self._services_of(device)
        self._device = device

    def _link_lost(self) -> None:
        self._device = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            device.detach()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        device = self._connected()
        if characteristic.uuid == FIRMWARE_REVISION_CHAR:
            return bytearray(device.spec.firmware_revision.encode("utf-8"))
        extra = self._read_extra(device, characteristic.uuid)
        if extra is not None:
            return bytearray(extra)
        raise BleakError(f"characteristic {characteristic.uuid} is not readable")

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        self._connected()
        return bytearray(b"\x00\x00")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        device = self._connected()
        if "write" not in characteristic.properties:
            raise BleakError(f"characteristic {characteristic.uuid} is not writable")
        self._command(device, characteristic.uuid, bytes(data))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: SizedBuffer) -> None:
        self._connected()

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        device = self._connected()
        chars = self._notify_chars(device)
        if characteristic.uuid not in chars:
            raise BleakError(f"characteristic {characteristic.uuid} does not notify")
        device.set_notify(chars.index(characteristic.uuid), callback)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        device = self._connected()
        chars = self._notify_chars(device)
        if characteristic.uuid in chars:
            device.set_notify(chars.index(characteristic.uuid), None)
