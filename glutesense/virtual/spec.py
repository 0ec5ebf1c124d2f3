"""What a virtual sensor is, as data: its settings (:class:`VirtualSensorSpec`), the faults injected
between its firmware and the radio (:class:`Faults`) and its record of each packet it lost
(:class:`LostPacket`).  The firmware that runs from a spec is :mod:`glutesense.virtual.sensor`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from glutesense.model.records import StreamKind
from glutesense.model.roles import Protocol, Role
from glutesense.virtual.electrodes import ElectrodeFault
from glutesense.virtual.link import LinkFaults
from glutesense.virtual.params import PersonParams
from glutesense.virtual.wire import (
    DEFAULT_SIM_ROLES,
    make_wire,
)


@dataclass(frozen=True)
class Faults(LinkFaults):
    """Fault injection between the virtual sensor's firmware and the radio (:class:`LinkFaults`;
    device times are seconds since the first sample).

    Attributes
    ----------
    disconnect_at_s : float or None
        One more device time at which the link drops (besides ``disconnects_at_s``).
    """

    disconnect_at_s: float | None = None

    @property
    def disconnect_times_s(self) -> tuple[float, ...]:
        """Every scheduled link drop, device s, in order."""
        extra = () if self.disconnect_at_s is None else (self.disconnect_at_s,)
        return tuple(sorted((*extra, *self.disconnects_at_s)))

    def to_json(self) -> dict[str, Any]:
        return {
            "drop_probability": self.drop_probability,
            "disconnects_at_s": list(self.disconnect_times_s),
            "down_s": self.down_s,
            "duplicate_probability": self.duplicate_probability,
            "burst_every_s": self.burst_every_s,
            "never_answers": self.never_answers,
        }


@dataclass(frozen=True)
class VirtualSensorSpec:
    """One virtual sensor in a :class:`~glutesense.virtual.backend.VirtualWorld`.

    Attributes
    ----------
    name, address : str
        Advertised local name (empty: the profile's usual name) and Bluetooth address.
    rssi_dbm : int
        Advertised RSSI, dBm.
    params : PersonParams
        The person wearing the sensor.  Sample rates a device fixes (Polar, Ganglion, Myo)
        override the person's.
    protocol : Protocol
        The test the person does (fixes the resting posture).
    profile : str
        Device profile the sensor speaks (a name in :data:`glutesense.virtual.wire.WIRES`).
    emg_roles : tuple of Role, optional
        The person's muscles on the device's EMG channels, in channel order; default the
        profile's usual placement (diy-v1: all the person's roles).
    emg_per_packet, imu_per_packet : int
        diy-v1 samples per notification (25 at 1000 Hz and 10 at 100 Hz: 40 and 10 packets/s).
    device_t0_us : int
        Device clock at the first sample, µs (a device that booted a while ago).
    drift_ppm : float
        Device clock rate error: device seconds per host second is ``1 + drift_ppm * 1e-6``.
    seq_start : int
        First diy-v1 sequence number of every stream (near 0xFFFF to exercise wrap-around).
    faults : Faults
    electrode_faults : tuple of ElectrodeFault
        Loose, dead, hum-laden or swapped electrodes (:mod:`glutesense.virtual.electrodes`).
    firmware : str
        Firmware revision string (Device Information service).
    """

    name: str = ""
    address: str = "5A:1E:00:00:00:01"
    rssi_dbm: int = -55
    params: PersonParams = field(default_factory=PersonParams)
    protocol: Protocol = Protocol.BRIDGE
    profile: str = "diy-v1"
    emg_roles: tuple[Role, ...] | None = None
    emg_per_packet: int = 25
    imu_per_packet: int = 10
    device_t0_us: int = 1_234_567
    drift_ppm: float = 0.0
    seq_start: int = 0
    faults: Faults = field(default_factory=Faults)
    firmware: str = ""
    electrode_faults: tuple[ElectrodeFault, ...] = ()

    def __post_init__(self) -> None:
        wire = make_wire(self.profile)  # raises for a profile the simulator cannot speak
        if self.emg_per_packet < 1 or self.imu_per_packet < 1:
            raise ValueError("samples per packet must be >= 1")
        roles = self.device_roles
        n_max = (
            wire.n_emg_channels
            if wire.n_emg_channels is not None
            else len(wire.profile.channels.get(StreamKind.EMG, ()))
        )
        if len(roles) > n_max:
            raise ValueError(f"a {self.profile} sensor has {n_max} EMG channels, not {len(roles)}")
        unknown = [r.value for r in roles if r not in self.params.emg_roles]
        if unknown:
            raise ValueError(f"emg_roles {unknown} are not among the person's muscles")
        usual = tuple(c.role for c in wire.profile.channels.get(StreamKind.EMG, ()))
        if self.emg_roles is None and self.profile not in DEFAULT_SIM_ROLES and roles != usual[: len(roles)]:
            names = [r.value for r in usual[: len(roles)] if r is not None]
            raise ValueError(
                f"a {self.profile} sensor sends EMG channels in the profile's order; emg_roles must be "
                f"{names} (or give the sensor's emg_roles and map its channels)"
            )
        for fs in wire.rates(self.params.emg_fs_hz, self.params.imu_fs_hz):
            if fs != round(fs) or not 1 <= fs <= 0xFFFF:
                raise ValueError(f"the virtual sensor carries integer sample rates 1..65535 Hz, got {fs}")

    @property
    def device_roles(self) -> tuple[Role, ...]:
        """The person's muscles on the device's EMG channels, in channel order."""
        if self.emg_roles is not None:
            return self.emg_roles
        default = DEFAULT_SIM_ROLES.get(self.profile)
        if default is None:
            return self.params.emg_roles
        return tuple(r for r in default if r in self.params.emg_roles)

    @property
    def advertised_name(self) -> str:
        return self.name or make_wire(self.profile).default_name

    @property
    def firmware_revision(self) -> str:
        return self.firmware or f"glutesense-sim 0.1 ({self.profile})"


@dataclass(frozen=True)
class LostPacket:
    """A data packet the device produced that never reached the host.

    Attributes
    ----------
    stream : StreamKind
    index : int
        Packet number within its stream since the first start (0-based).
    t_first_s : float
        Device time of its first sample, s since the first sample.
    n_samples : int
    reason : str
        ``"dropped"`` (lost over the air) or ``"unsent"`` (link down or stopped).
    """

    stream: StreamKind
    index: int
    t_first_s: float
    n_samples: int
    reason: str
