"""The virtual sensor as a Bleak backend (``BleakScanner(backend=...)``, ``BleakClient(backend=...)``).

Bleak instantiates backend classes itself, so :func:`make_backends` makes subclasses
bound to one :class:`VirtualWorld` (no module-level state).  The client relays GATT
operations to the world's :class:`~glutesense.virtual.sensor.VirtualSensor`; the GATT table
and the relaying itself are in :mod:`glutesense.virtual.gatt`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from bleak.backends.scanner import AdvertisementData
from bleak.backends.service import BleakGATTServiceCollection

from glutesense.model.roles import Protocol
from glutesense.transport.base import BackendPair
from glutesense.transport.clock import Clock, MonotonicClock
from glutesense.virtual.electrodes import parse_fault
from glutesense.virtual.gatt import (
    AdvertisingScanner,
    SimulatedClientBackend,
    profile_services,
)
from glutesense.virtual.params import PersonParams
from glutesense.virtual.sensor import VirtualSensor
from glutesense.virtual.spec import Faults, VirtualSensorSpec
from glutesense.virtual.wire import SIM_ANNOTATION_CHAR, WIRES


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
    electrode_faults = tuple(parse_fault(str(f)) for f in opts.pop("electrode_faults", ()))
    if "disconnects_at_s" in fault_kw:
        fault_kw["disconnects_at_s"] = tuple(fault_kw["disconnects_at_s"])
    params = PersonParams.from_json(opts)
    return VirtualSensorSpec(
        params=params,
        protocol=protocol,
        profile=profile,
        faults=Faults(**fault_kw),
        electrode_faults=electrode_faults,
        **sensor_kw,
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
        ``burst_every_s``, ``never_answers``), and ``electrode_faults``: fault texts such as
        ``"loose:glute_max_l"`` (:func:`glutesense.virtual.electrodes.parse_fault`).
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
