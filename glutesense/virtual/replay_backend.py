"""A Bleak backend that replays stored notifications, with injected faults.

Where :mod:`glutesense.virtual.backend` synthesises a person and a firmware, this backend
replays packet fixtures: the notifications of a stored session (or any list of
``(t_s, char, payload)``), re-sent at their original relative receive times, paced by the
injected clock.  It advertises one device with a given profile (its name and service), and
between the "firmware" and the radio it injects faults (:class:`ReplayFaults`):

* dropped notifications (by index, or with a probability),
* bursts: notifications held and handed over many at once, as BlueZ delivers them,
* duplicated notifications,
* mid-stream disconnects (the device is out of range for a while, then reconnectable),
* a device that advertises but never answers a connection request.

Like a real device's clock, the replay keeps running while the link is down or streaming is
stopped: what was due then is lost.  Every notification that never reached the host is
logged in :attr:`ReplayDevice.lost` (index, reason), every delivery in
:attr:`ReplayDevice.delivered`, so a test knows exactly where the gaps must be.

Bleak instantiates backend classes itself, so :func:`make_replay_backends` makes subclasses
bound to one :class:`ReplayDevice` (no module-level state).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bleak.backends.client import NotifyCallback
from bleak.backends.scanner import AdvertisementData
from bleak.backends.service import BleakGATTServiceCollection

from glutesense.model.records import RawPacket
from glutesense.profiles import DeviceProfile, get_profile
from glutesense.transport.base import BackendPair
from glutesense.transport.clock import Clock
from glutesense.transport.tasks import cancel_and_wait
from glutesense.virtual.gatt import AdvertisingScanner, SimulatedClientBackend, profile_services
from glutesense.virtual.link import LinkFaults, OneClientLink

DEFAULT_REPLAY_ADDRESS = "5A:1E:F1:00:00:01"


@dataclass(frozen=True)
class ReplayNotification:
    """One stored notification: receive time (s, any origin), notify-char index, payload."""

    t_s: float
    char: int
    payload: bytes


@dataclass(frozen=True)
class ReplayFaults(LinkFaults):
    """Faults injected between the replayed "firmware" and the radio (:class:`LinkFaults`; device
    times are replay seconds since the first notification; bursts share one host receive time;
    ``drop_probability`` applies to the notifications not in ``drop_indices``, drawn with ``seed``).

    Attributes
    ----------
    drop_indices : frozenset of int
        Notification indices that are never delivered.
    duplicate_indices : frozenset of int
        Notification indices delivered twice.
    seed : int
        Seed of the probabilistic faults.
    """

    drop_indices: frozenset[int] = frozenset()
    duplicate_indices: frozenset[int] = frozenset()
    seed: int = 0


@dataclass(frozen=True)
class ReplaySpec:
    """The replayed device: what it advertises, what it sends, and the faults.

    Attributes
    ----------
    notifications : tuple of ReplayNotification
        In the order they are sent (sorted by ``t_s``).
    profile : str
        Device profile it speaks (name and service it advertises, GATT table).
    name : str
        Advertised name; empty: the profile's first name prefix (or the profile name).
    address : str
    rssi_dbm : int
    faults : ReplayFaults
    firmware_revision : str
    """

    notifications: tuple[ReplayNotification, ...]
    profile: str = "diy-v1"
    name: str = ""
    address: str = DEFAULT_REPLAY_ADDRESS
    rssi_dbm: int = -55
    faults: ReplayFaults = field(default_factory=ReplayFaults)
    firmware_revision: str = "replay"

    @property
    def device_profile(self) -> DeviceProfile:
        return get_profile(self.profile)

    @property
    def advertised_name(self) -> str:
        p = self.device_profile
        return self.name or (p.name_prefixes[0] if p.name_prefixes else p.name)

    @classmethod
    def from_packets(cls, packets: Iterable[RawPacket], *, device: int = 0, **kwargs: Any) -> ReplaySpec:
        """A spec replaying the packets of ``device`` (receive times relative to the first)."""
        mine = sorted((p for p in packets if p.device == device), key=lambda p: p.t_rx_ns)
        t0 = mine[0].t_rx_ns if mine else 0
        notes = tuple(ReplayNotification((p.t_rx_ns - t0) / 1e9, p.char, p.payload) for p in mine)
        return cls(notifications=notes, **kwargs)

    @classmethod
    def from_session(cls, path: str, *, device: int = 0, **kwargs: Any) -> ReplaySpec:
        """A spec replaying one device of a stored session file, with that device's profile."""
        from glutesense.session import read_session

        data = read_session(path)
        kwargs.setdefault("profile", str(data.meta["devices"][device]["profile"]))
        return cls.from_packets(data.packets, device=device, **kwargs)


class ReplayDevice(OneClientLink):
    """The device side: advertises, accepts one client, replays notifications with faults.

    Parameters
    ----------
    spec : ReplaySpec
    clock : Clock
        Paces the replay (use the clock the link stamps with).
    """

    def __init__(self, spec: ReplaySpec, clock: Clock) -> None:
        self.spec = spec
        self.profile = spec.device_profile
        self.clock = clock
        self.delivered: list[int] = []
        """Indices of delivered notifications (a duplicated one appears twice)."""
        self.lost: list[tuple[int, str]] = []
        """``(index, reason)`` of every notification that never reached the host."""
        self.n_disconnects = 0
        self.done = asyncio.Event()
        self._notify: dict[int, NotifyCallback] = {}
        self._sending = False
        self._task: asyncio.Task[None] | None = None
        self._held: list[tuple[int, int]] = []  # (index, copies)
        self._down_until_ns: int | None = None

    # --------------------------------------------------------------- state
    @property
    def link_name(self) -> str:
        return self.spec.advertised_name

    @property
    def reachable(self) -> bool:
        return self._down_until_ns is None or self.clock.now_ns() >= self._down_until_ns

    @property
    def lost_indices(self) -> list[int]:
        return sorted(i for i, _ in self.lost)

    def detach(self) -> None:
        self._on_link_lost = None
        self._notify = {}
        self._sending = False
        self._lose_held("disconnected")

    def set_notify(self, char: int, callback: NotifyCallback | None) -> None:
        if callback is None:
            self._notify.pop(char, None)
        else:
            self._notify[char] = callback
        if not self.profile.start_commands and self._notify:  # streams once subscribed
            self._start()

    def handle_command(self, data: bytes) -> None:
        if data in self.profile.start_commands:
            self._start()
        elif data in self.profile.stop_commands:
            self._sending = False
        # other commands (markers, settings) are accepted and ignored: the fixture holds the replies

    def _start(self) -> None:
        self._sending = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._replay(), name="replay device")

    async def stop(self) -> None:
        """Cancel the replay task (end of test)."""
        task, self._task = self._task, None
        await cancel_and_wait(task)

    # -------------------------------------------------------------- replay
    async def _replay(self) -> None:
        notes = self.spec.notifications
        faults = self.spec.faults
        rng = random.Random(faults.seed)
        t0_ns = self.clock.now_ns()
        first_s = notes[0].t_s if notes else 0.0
        drops = list(faults.disconnects_at_s)
        drops.sort()
        next_burst_s = faults.burst_every_s
        try:
            for i, n in enumerate(notes):
                rel_s = n.t_s - first_s
                due_ns = t0_ns + round(rel_s * 1e9)
                while drops and drops[0] <= rel_s:  # link drops due before this notification
                    d = drops.pop(0)
                    await self._sleep_until(t0_ns + round(d * 1e9))
                    self._drop_link()
                while faults.burst_every_s > 0 and next_burst_s <= rel_s:
                    await self._sleep_until(t0_ns + round(next_burst_s * 1e9))
                    self._flush()
                    next_burst_s += faults.burst_every_s
                await self._sleep_until(due_ns)
                dropped = rng.random() < faults.drop_probability or i in faults.drop_indices
                doubled = rng.random() < faults.duplicate_probability or i in faults.duplicate_indices
                if dropped:
                    self.lost.append((i, "dropped"))
                elif not (self.connected and self._sending and n.char in self._notify):
                    self.lost.append((i, "not connected" if not self.connected else "not streaming"))
                elif faults.burst_every_s > 0:
                    self._held.append((i, 2 if doubled else 1))
                else:
                    self._deliver(i, 2 if doubled else 1)
            self._flush()
        finally:
            self.done.set()

    async def _sleep_until(self, t_ns: int) -> None:
        wait_ns = t_ns - self.clock.now_ns()
        if wait_ns > 0:
            await self.clock.sleep(wait_ns / 1e9)

    def _deliver(self, i: int, copies: int) -> None:
        n = self.spec.notifications[i]
        callback = self._notify.get(n.char)
        if callback is None or not self.connected:
            self.lost.append((i, "not connected"))
            return
        for _ in range(copies):
            self.delivered.append(i)
            callback(bytearray(n.payload))

    def _flush(self) -> None:
        held, self._held = self._held, []
        for i, copies in held:
            self._deliver(i, copies)

    def _lose_held(self, reason: str) -> None:
        held, self._held = self._held, []
        self.lost.extend((i, reason) for i, _ in held)

    def _drop_link(self) -> None:
        self._down_until_ns = self.clock.now_ns() + round(self.spec.faults.down_s * 1e9)
        callback = self._on_link_lost
        if callback is None:
            return
        self.n_disconnects += 1
        self.detach()
        callback()


def _advertisement(device: ReplayDevice) -> AdvertisementData:
    return AdvertisementData(
        local_name=device.spec.advertised_name,
        manufacturer_data={},
        service_data={},
        service_uuids=list(device.profile.service_uuids),
        tx_power=None,
        rssi=device.spec.rssi_dbm,
        platform_data=("glutesense-replay",),
    )


class ReplayScannerBackend(AdvertisingScanner):
    """Scanner backend advertising the replay device (when not connected and in range)."""

    device: ClassVar[ReplayDevice]
    adv_interval_s: ClassVar[float] = 0.05

    def _interval_s(self) -> float:
        return self.adv_interval_s

    def _advertised(self) -> list[tuple[str, str, Any, AdvertisementData]]:
        dev = self.device
        if dev.connected or not dev.reachable:
            return []
        return [(dev.spec.address, dev.spec.advertised_name, dev, _advertisement(dev))]


class ReplayClientBackend(SimulatedClientBackend):
    """Client backend relaying GATT operations to a :class:`ReplayDevice`."""

    device: ClassVar[ReplayDevice]

    @property
    def name(self) -> str:
        return self.device.spec.advertised_name

    def _find(self) -> ReplayDevice | None:
        dev = self.device
        return dev if dev.spec.address.upper() == self.address.upper() else None

    def _clock(self) -> Clock:
        return self.device.clock

    def _services_of(self, device: ReplayDevice) -> BleakGATTServiceCollection:
        return profile_services(device.profile)

    def _notify_chars(self, device: ReplayDevice) -> tuple[str, ...]:
        return device.profile.notify_chars

    def _command(self, device: ReplayDevice, uuid: str, data: bytes) -> None:
        device.handle_command(data)


def make_replay_backends(spec: ReplaySpec, *, clock: Clock) -> BackendPair:
    """Scanner and client backend classes bound to a new :class:`ReplayDevice` of ``spec``.

    The device is ``BackendPair.context`` (its ``lost``, ``delivered`` and ``done``).
    """
    device = ReplayDevice(spec, clock)

    class Scanner(ReplayScannerBackend):
        pass

    class Client(ReplayClientBackend):
        pass

    Scanner.device = device
    Client.device = device
    return BackendPair(scanner=Scanner, client=Client, name="replay", context=device)
