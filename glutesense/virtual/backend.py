"""The virtual sensor as a Bleak backend (``BleakScanner(backend=...)``, ``BleakClient(backend=...)``).

Bleak instantiates backend classes itself, so :func:`make_backends` makes subclasses
bound to one :class:`VirtualWorld` (no module-level state).  The client relays GATT
operations to the world's :class:`~glutesense.virtual.sensor.VirtualSensor`; the GATT
table is the one a diy-v1 device has::

    Nordic UART service   6e400001-...   RX 6e400002 (write), TX 6e400003 (notify),
                                         annotations 6e400010 (read, JSON; simulators only)
    Device Information    0x180a         firmware revision 0x2a26 (read)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError

from glutesense.profiles import diy_v1
from glutesense.roles import Protocol
from glutesense.transport.backends import BackendPair
from glutesense.transport.clock import Clock, MonotonicClock
from glutesense.virtual.params import PersonParams
from glutesense.virtual.sensor import Faults, VirtualSensor, VirtualSensorSpec

DIS_SERVICE = "0000180a-0000-1000-8000-00805f9b34fb"
FIRMWARE_REVISION_CHAR = "00002a26-0000-1000-8000-00805f9b34fb"
CCCD = "00002902-0000-1000-8000-00805f9b34fb"
MTU_BYTES = 517


class VirtualWorld:
    """The virtual sensors within radio range, sharing one injected clock.

    Parameters
    ----------
    specs : sequence of VirtualSensorSpec
        One per sensor; addresses must be unique.
    clock : Clock, optional
        Paces every sensor; default real time.
    adv_interval_s : float
        Advertising interval (real seconds, as the scanner's timeout is).
    """

    def __init__(
        self,
        specs: Sequence[VirtualSensorSpec] = (),
        *,
        clock: Clock | None = None,
        adv_interval_s: float = 0.05,
    ) -> None:
        self.clock: Clock = clock if clock is not None else MonotonicClock()
        specs = tuple(specs) or (VirtualSensorSpec(),)
        addresses = [s.address.upper() for s in specs]
        if len(set(addresses)) != len(addresses):
            raise ValueError("virtual sensors need unique addresses")
        self.sensors = tuple(VirtualSensor(s, self.clock) for s in specs)
        self.adv_interval_s = adv_interval_s

    def find(self, address: str) -> VirtualSensor | None:
        for s in self.sensors:
            if s.spec.address.upper() == address.upper():
                return s
        return None


def _advertisement(sensor: VirtualSensor) -> AdvertisementData:
    return AdvertisementData(
        local_name=sensor.spec.name,
        manufacturer_data={},
        service_data={},
        service_uuids=[diy_v1.NUS_SERVICE],
        tx_power=None,
        rssi=sensor.spec.rssi_dbm,
        platform_data=("glutesense-virtual",),
    )


class VirtualScannerBackend(BaseBleakScanner):
    """Scanner backend advertising the world's sensors (those not connected and in range)."""

    world: ClassVar[VirtualWorld]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._advertise()
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.world.adv_interval_s)
            self._advertise()

    def _advertise(self) -> None:
        for sensor in self.world.sensors:
            if sensor.connected or not sensor.reachable:
                continue
            adv = _advertisement(sensor)
            if not self.is_allowed_uuid(adv.service_uuids):
                continue
            address = sensor.spec.address
            device = self.create_or_update_device(address, address, sensor.spec.name, sensor, adv)
            self.call_detection_callbacks(device, adv)


def _services(sensor: VirtualSensor) -> BleakGATTServiceCollection:
    def mtu() -> int:
        return MTU_BYTES - 3

    col = BleakGATTServiceCollection()
    nus = BleakGATTService(None, 1, diy_v1.NUS_SERVICE)
    col.add_service(nus)
    rx = BleakGATTCharacteristic(None, 2, diy_v1.NUS_RX, ["write", "write-without-response"], mtu, nus)
    tx = BleakGATTCharacteristic(None, 4, diy_v1.NUS_TX, ["notify"], mtu, nus)
    ann = BleakGATTCharacteristic(None, 7, diy_v1.ANNOTATION_CHAR, ["read"], mtu, nus)
    for c in (rx, tx, ann):
        col.add_characteristic(c)
    col.add_descriptor(BleakGATTDescriptor(None, 5, CCCD, tx))
    dis = BleakGATTService(None, 16, DIS_SERVICE)
    col.add_service(dis)
    col.add_characteristic(BleakGATTCharacteristic(None, 17, FIRMWARE_REVISION_CHAR, ["read"], mtu, dis))
    return col


class VirtualClientBackend(BaseBleakClient):
    """Client backend relaying GATT operations to a :class:`VirtualSensor`."""

    world: ClassVar[VirtualWorld]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._sensor: VirtualSensor | None = None

    @property
    def name(self) -> str:
        sensor = self.world.find(self.address)
        return sensor.spec.name if sensor is not None else self.address

    @property
    def mtu_size(self) -> int:
        return MTU_BYTES

    @property
    def is_connected(self) -> bool:
        return self._sensor is not None

    def _connected_sensor(self) -> VirtualSensor:
        if self._sensor is None:
            raise BleakError("Not connected")
        return self._sensor

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        sensor = self.world.find(self.address)
        if sensor is None:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        await self.world.clock.sleep(0.05)  # connection set-up takes a few connection intervals
        try:
            sensor.attach(self._link_lost)
        except ConnectionError as e:
            raise BleakError(str(e)) from None
        self.services = _services(sensor)
        self._sensor = sensor

    def _link_lost(self) -> None:
        self._sensor = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        sensor, self._sensor = self._sensor, None
        if sensor is not None:
            sensor.detach()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        sensor = self._connected_sensor()
        if characteristic.uuid == diy_v1.ANNOTATION_CHAR:
            return bytearray(json.dumps(sensor.annotations(), allow_nan=False).encode("utf-8"))
        if characteristic.uuid == FIRMWARE_REVISION_CHAR:
            return bytearray(sensor.spec.firmware.encode("utf-8"))
        raise BleakError(f"characteristic {characteristic.uuid} is not readable")

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        self._connected_sensor()
        return bytearray(b"\x00\x00")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        sensor = self._connected_sensor()
        if characteristic.uuid != diy_v1.NUS_RX:
            raise BleakError(f"characteristic {characteristic.uuid} is not writable")
        sensor.handle_command(bytes(data))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: SizedBuffer) -> None:
        self._connected_sensor()

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        sensor = self._connected_sensor()
        if characteristic.uuid != diy_v1.NUS_TX:
            raise BleakError(f"characteristic {characteristic.uuid} does not notify")
        sensor.set_notify(callback)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._connected_sensor().set_notify(None)


def make_backends(world: VirtualWorld) -> BackendPair:
    """Scanner and client backend classes bound to ``world``."""

    class Scanner(VirtualScannerBackend):
        pass

    class Client(VirtualClientBackend):
        pass

    Scanner.world = world
    Client.world = world
    return BackendPair(scanner=Scanner, client=Client, name="virtual", context=world)


def sim_backends(
    *,
    clock: Clock,
    protocol: Protocol = Protocol.BRIDGE,
    options: Mapping[str, Any] | None = None,
) -> BackendPair:
    """A one-sensor virtual world, from plain options (what the CLI's ``--device sim`` uses).

    Parameters
    ----------
    clock : Clock
    protocol : Protocol
    options : mapping, optional
        :class:`~glutesense.virtual.params.PersonParams` fields (``pattern``,
        ``glute_lag_ms``, ``snr_db``, ``seed``, ...), plus sensor fields ``name``,
        ``address``, ``device_t0_us``, ``drift_ppm``, ``seq_start``, and fault fields
        ``drop_probability``, ``disconnect_at_s``, ``down_s``.
    """
    opts = dict(options or {})
    sensor_keys = ("name", "address", "rssi_dbm", "device_t0_us", "drift_ppm", "seq_start", "firmware")
    fault_keys = ("drop_probability", "disconnect_at_s", "down_s")
    sensor_kw = {k: opts.pop(k) for k in sensor_keys if k in opts}
    fault_kw = {k: opts.pop(k) for k in fault_keys if k in opts}
    params = PersonParams.from_json(opts)
    spec = VirtualSensorSpec(params=params, protocol=protocol, faults=Faults(**fault_kw), **sensor_kw)
    return make_backends(VirtualWorld((spec,), clock=clock))
