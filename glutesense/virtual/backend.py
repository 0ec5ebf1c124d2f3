"""The virtual sensor as a Bleak backend (``BleakScanner(backend=...)``, ``BleakClient(backend=...)``).

Bleak instantiates backend classes itself, so :func:`make_backends` makes subclasses
bound to one :class:`VirtualWorld` (no module-level state).  The client relays GATT
operations to the world's :class:`~glutesense.virtual.sensor.VirtualSensor`; the GATT
table is built from the device profile the sensor speaks (diy-v1 shown)::

    profile service       6e400001-...   control 6e400002 (write), notify 6e400003,
                                         annotations 6e400010 (read, JSON; simulators only)
    Device Information    0x180a         firmware revision 0x2a26 (read)

The control characteristic is also notifiable when the profile lists it among its notify
characteristics (Polar's PMD control point answers that way).
"""

from __future__ import annotations

import asyncio
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

from glutesense.model.roles import Protocol
from glutesense.profiles import DeviceProfile
from glutesense.transport.base import BackendPair
from glutesense.transport.clock import Clock, MonotonicClock
from glutesense.transport.tasks import cancel_and_wait
from glutesense.virtual.params import PersonParams
from glutesense.virtual.sensor import Faults, VirtualSensor, VirtualSensorSpec
from glutesense.virtual.wire import SIM_ANNOTATION_CHAR, WIRES

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

    def hear_cue(self, address: str, label: str) -> None:
        """The person wearing the sensor at ``address`` hears cue ``label`` from the app.

        The transport calls this (through ``BackendPair.cue_hook``) for devices that cannot
        echo markers, so their virtual person still follows the guided test.
        """
        sensor = self.find(address)
        if sensor is not None:
            sensor.hear_cue(label)


def _advertisement(sensor: VirtualSensor) -> AdvertisementData:
    return AdvertisementData(
        local_name=sensor.spec.advertised_name,
        manufacturer_data={},
        service_data={},
        service_uuids=list(sensor.wire.profile.service_uuids),
        tx_power=None,
        rssi=sensor.spec.rssi_dbm,
        platform_data=("glutesense-virtual",),
    )


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


class VirtualScannerBackend(AdvertisingScanner):
    """Scanner backend advertising the world's sensors (those not connected and in range)."""

    world: ClassVar[VirtualWorld]

    def _interval_s(self) -> float:
        return self.world.adv_interval_s

    def _advertised(self) -> list[tuple[str, str, Any, AdvertisementData]]:
        return [
            (sensor.spec.address, sensor.spec.advertised_name, sensor, _advertisement(sensor))
            for sensor in self.world.sensors
            if not sensor.connected and sensor.reachable
        ]


def _services(sensor: VirtualSensor) -> BleakGATTServiceCollection:
    """The GATT table of a device speaking the sensor's profile (plus annotations and DIS)."""
    return profile_services(sensor.wire.profile)


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


class VirtualClientBackend(SimulatedClientBackend):
    """Client backend relaying GATT operations to a :class:`VirtualSensor`."""

    world: ClassVar[VirtualWorld]

    def _find(self) -> VirtualSensor | None:
        return self.world.find(self.address)

    def _clock(self) -> Clock:
        return self.world.clock

    def _services_of(self, device: VirtualSensor) -> BleakGATTServiceCollection:
        return _services(device)

    def _notify_chars(self, device: VirtualSensor) -> tuple[str, ...]:
        return device.wire.profile.notify_chars

    def _read_extra(self, device: VirtualSensor, uuid: str) -> bytes | None:
        if uuid == SIM_ANNOTATION_CHAR:
            return json.dumps(device.annotations(), allow_nan=False).encode("utf-8")
        return None

    def _command(self, device: VirtualSensor, uuid: str, data: bytes) -> None:
        device.handle_command(uuid, data)


def make_backends(world: VirtualWorld) -> BackendPair:
    """Scanner and client backend classes bound to ``world``."""

    class Scanner(VirtualScannerBackend):
        pass

    class Client(VirtualClientBackend):
        pass

    Scanner.world = world
    Client.world = world
    return BackendPair(scanner=Scanner, client=Client, name="virtual", context=world, cue_hook=world.hear_cue)


SENSOR_KEYS = (
    "name",
    "address",
    "rssi_dbm",
    "device_t0_us",
    "drift_ppm",
    "seq_start",
    "firmware",
    "emg_roles",
)
FAULT_KEYS = (
    "drop_probability",
    "disconnect_at_s",
    "disconnects_at_s",
    "down_s",
    "duplicate_probability",
    "burst_every_s",
    "never_answers",
)


def sensor_spec(
    *, protocol: Protocol = Protocol.BRIDGE, profile: str = "diy-v1", options: Mapping[str, Any] | None = None
) -> VirtualSensorSpec:
    """A virtual sensor from plain options (see :func:`sim_backends`)."""
    opts = dict(options or {})
    sensor_kw = {k: opts.pop(k) for k in SENSOR_KEYS if k in opts}
    if "emg_roles" in sensor_kw and sensor_kw["emg_roles"] is not None:
        from glutesense.model.roles import Role

        sensor_kw["emg_roles"] = tuple(Role(r) for r in sensor_kw["emg_roles"])
    fault_kw = {k: opts.pop(k) for k in FAULT_KEYS if k in opts}
    if "disconnects_at_s" in fault_kw:
        fault_kw["disconnects_at_s"] = tuple(fault_kw["disconnects_at_s"])
    params = PersonParams.from_json(opts)
    return VirtualSensorSpec(
        params=params, protocol=protocol, profile=profile, faults=Faults(**fault_kw), **sensor_kw
    )


def sim_backends(
    *,
    clock: Clock,
    protocol: Protocol = Protocol.BRIDGE,
    options: Mapping[str, Any] | None = None,
    profile: str = "diy-v1",
) -> BackendPair:
    """A one-sensor virtual world, from plain options (what the CLI's ``--device sim`` uses).

    Parameters
    ----------
    clock : Clock
    protocol : Protocol
    options : mapping, optional
        :class:`~glutesense.virtual.params.PersonParams` fields (``pattern``,
        ``glute_lag_ms``, ``snr_db``, ``seed``, ...), plus sensor fields (``name``,
        ``address``, ``device_t0_us``, ``drift_ppm``, ``seq_start``, ``emg_roles``) and
        :class:`~glutesense.virtual.sensor.Faults` fields (``drop_probability``,
        ``disconnect_at_s``, ``disconnects_at_s``, ``down_s``, ``duplicate_probability``,
        ``burst_every_s``, ``never_answers``).
    profile : str
        Device profile the virtual sensor speaks (see :data:`glutesense.virtual.wire.WIRES`).
    """
    spec = sensor_spec(protocol=protocol, profile=profile, options=options)
    return make_backends(VirtualWorld((spec,), clock=clock))


def showcase_backends(*, clock: Clock) -> BackendPair:
    """A virtual world with one sensor of every profile the simulator speaks (for ``scan``)."""
    specs = tuple(
        VirtualSensorSpec(profile=name, address=f"5A:1E:00:00:00:{i + 1:02X}", rssi_dbm=-50 - 4 * i)
        for i, name in enumerate(WIRES)
    )
    return make_backends(VirtualWorld(specs, clock=clock))
