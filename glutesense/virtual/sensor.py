"""The virtual sensor's firmware: sampling, packets, commands, faults.

A :class:`VirtualSensor` is the device side of the virtual world: it owns a
:class:`~glutesense.virtual.person.VirtualPerson`, paces sampling with the injected
clock, speaks one device profile through a :class:`~glutesense.virtual.wire.Wire`
(``diy-v1`` by default) and survives its BLE clients (the Bleak client backend in
:mod:`glutesense.virtual.backend` only relays).

Firmware behaviour, as a real diy-v1 device should behave (see ``firmware_notes/diy-v1.md``):

* sampling starts at the first start command (or, for a device that streams once
  subscribed, the first subscription) and then never stops while powered; the device
  clock and the per-stream packet counters count every packet *produced*, so packets
  lost over the air or while disconnected show as gaps in both;
* a stop command or a disconnect stops sending; a later start resumes sending from the
  current time (nothing buffered is replayed);
* a marker command is echoed (diy-v1) stamped with the device time it arrived; the
  person hears the cue then.  Devices without markers hear cues through
  :meth:`VirtualSensor.hear_cue` (the person hears the app, not the device).

Faults (:class:`Faults`) act between the firmware and the radio: lost, duplicated and
burst-delivered notifications, link drops, a device that never answers.  Every data
packet that never reached the host is logged in :attr:`VirtualSensor.lost` (the
sensor's own record of what it dropped).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glutesense.model.records import StreamKind
from glutesense.model.roles import Protocol, Role
from glutesense.transport.clock import Clock
from glutesense.virtual.link import LinkFaults, OneClientLink
from glutesense.virtual.params import PersonParams
from glutesense.virtual.person import VirtualPerson
from glutesense.virtual.wire import (
    DEFAULT_SIM_ROLES,
    Action,
    FloatArray,
    Notification,
    PacketStream,
    Wire,
    make_wire,
)

NotifyCallback = Callable[[bytearray], None]


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


@dataclass
class _StreamState:
    spec: PacketStream
    produced: int = 0  # packets produced since the first start

    def end_s(self, n_packets: int) -> float:
        """Device time of the last sample of packet number ``n_packets - 1`` (when it can be sent)."""
        return (n_packets * self.spec.per_packet - 1) / self.spec.fs_hz


class VirtualSensor(OneClientLink):
    """Runtime state of one virtual sensor (device side); see the module docstring."""

    def __init__(self, spec: VirtualSensorSpec, clock: Clock) -> None:
        self.spec = spec
        self.clock = clock
        self.wire: Wire = make_wire(
            spec.profile,
            seq_start=spec.seq_start,
            emg_per_packet=spec.emg_per_packet,
            imu_per_packet=spec.imu_per_packet,
        )
        p = spec.params
        emg_fs, imu_fs = self.wire.rates(p.emg_fs_hz, p.imu_fs_hz)
        if (emg_fs, imu_fs) != (p.emg_fs_hz, p.imu_fs_hz):
            from dataclasses import replace

            p = replace(p, emg_fs_hz=emg_fs, imu_fs_hz=imu_fs)
        self.params = p
        self.person = VirtualPerson(p, spec.protocol)
        roles = spec.device_roles
        self._columns = [p.emg_roles.index(r) for r in roles]
        n_hw = self.wire.n_emg_channels
        self._n_pad = 0 if n_hw is None else max(0, n_hw - len(roles))
        self._rng = np.random.default_rng([p.seed, 0xD1E])
        self._pad_rng = np.random.default_rng([p.seed, 0xBAD])
        self._streams = tuple(_StreamState(s) for s in self.wire.streams(p.emg_fs_hz, p.imu_fs_hz))
        self._n_marks = 0
        self._t0_host_ns: int | None = None
        self._notify: dict[int, NotifyCallback] = {}
        self._sending = False
        self._task: asyncio.Task[None] | None = None
        self._unreachable_until_ns = 0
        self._faults_done = 0
        self._held: list[Notification] = []
        self._next_burst_s = spec.faults.burst_every_s
        self.n_sent = 0
        self.n_dropped = 0
        self.n_unsent = 0  # produced while not sending (stopped or disconnected)
        self.n_duplicated = 0
        self.lost: list[LostPacket] = []

    # ------------------------------------------------------- sample source
    def emg(self, n_samples: int) -> FloatArray:
        values = self.person.generate_emg(n_samples)[:, self._columns]
        if self._n_pad:
            pad = self.params.background_uv * self._pad_rng.standard_normal((n_samples, self._n_pad))
            values = np.hstack([values, pad])
        return values

    def imu(self, n_samples: int) -> FloatArray:
        return self.person.generate_imu(n_samples)

    def device_t_us(self, t_s: float) -> int:
        """The u32 device clock (µs) at device time ``t_s``."""
        return (self.spec.device_t0_us + round(t_s * 1e6)) & 0xFFFFFFFF

    def device_t_ns(self, t_s: float) -> int:
        """The 64-bit device clock (ns) at device time ``t_s``."""
        return self.spec.device_t0_us * 1000 + round(t_s * 1e9)

    # ----------------------------------------------------------------- time
    @property
    def started(self) -> bool:
        return self._t0_host_ns is not None

    def device_time_s(self) -> float:
        """Device seconds since the first sample (0 before the first start)."""
        if self._t0_host_ns is None:
            return 0.0
        return (self.clock.now_ns() - self._t0_host_ns) * 1e-9 * (1.0 + self.spec.drift_ppm * 1e-6)

    # ----------------------------------------------------------- connection
    @property
    def link_name(self) -> str:
        return self.spec.advertised_name

    @property
    def reachable(self) -> bool:
        return self.clock.now_ns() >= self._unreachable_until_ns

    def detach(self) -> None:
        """The client disconnects: stop sending."""
        self._on_link_lost = None
        self._notify = {}
        self._held = []
        self._stop_sending()

    def set_notify(self, char: int, callback: NotifyCallback | None) -> None:
        """Enable (or disable, with None) notifications of notify characteristic ``char``."""
        if callback is None:
            self._notify.pop(char, None)
            if self.wire.starts_on_subscribe and not self._notify:
                self._stop_sending()
            return
        self._notify[char] = callback
        if self.wire.starts_on_subscribe and not self._sending:
            self._start_sending()

    # -------------------------------------------------------------- commands
    def handle_command(self, char_uuid: str, data: bytes) -> None:
        """A write to a characteristic of the device."""
        result = self.wire.command(char_uuid, data)
        if result.action is Action.START:
            self._start_sending()
        elif result.action is Action.STOP:
            self._stop_sending()
        elif result.action is Action.MARKER:
            self._marker(result.marker_id, result.label)
        for char, payload in result.replies:
            self._send_now(char, payload)

    def hear_cue(self, label: str) -> None:
        """The person hears a cue from the app (for devices that cannot echo markers)."""
        if self.started:
            t_s = self.device_time_s()
            self._produce_until(t_s, send=self._sending)
            self.person.on_cue(label, t_s)

    def _marker(self, marker_id: int, label: str) -> None:
        t_s = self.device_time_s()
        if self.started:
            self._produce_until(t_s, send=self._sending)
            self.person.on_cue(label, t_s)
        note = self.wire.marker(marker_id, self._n_marks, t_s, self)
        self._n_marks += 1
        if note is not None:
            self._send_now(*note)

    def _start_sending(self) -> None:
        if self._t0_host_ns is None:
            self._t0_host_ns = self.clock.now_ns()
        else:
            self._produce_until(self.device_time_s(), send=False)  # sampled while not sending
        self._sending = True
        if self._task is None or self._task.done():
            name = f"{self.spec.advertised_name} stream"
            self._task = asyncio.get_running_loop().create_task(self._run(), name=name)

    def _stop_sending(self) -> None:
        self._sending = False
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # ------------------------------------------------------------- streaming
    async def _run(self) -> None:
        period_s = min(s.spec.period_s for s in self._streams)
        drops = self.spec.faults.disconnect_times_s
        while self._sending:
            t_s = self.device_time_s()
            if self._faults_done < len(drops) and t_s >= drops[self._faults_done]:
                self._produce_until(drops[self._faults_done] - 1e-9, send=True)
                self._flush_burst()
                self._drop_link()
                return
            self._produce_until(t_s, send=True)
            if self._held and t_s >= self._next_burst_s:
                self._flush_burst()
                while self._next_burst_s <= t_s:
                    self._next_burst_s += self.spec.faults.burst_every_s
            # Wake when the next packet is complete on the device clock (at most a period away).
            next_end_s = min(s.end_s(s.produced + 1) for s in self._streams)
            rate = 1.0 + self.spec.drift_ppm * 1e-6
            await self.clock.sleep(min(period_s, max((next_end_s - self.device_time_s()) / rate, 1e-6)))

    def _drop_link(self) -> None:
        self._faults_done += 1
        self._unreachable_until_ns = self.clock.now_ns() + int(self.spec.faults.down_s * 1e9)
        callback = self._on_link_lost
        self.detach()
        if callback is not None:
            callback()

    def _produce_until(self, t_s: float, *, send: bool) -> None:
        """Produce every packet whose last sample is due by device time ``t_s``, in time order."""
        # A packet counts as due 10 µs early: rounding in the wake-up time must not hold it back.
        due = [math.floor(((t_s + 1e-5) * s.spec.fs_hz + 1) / s.spec.per_packet) for s in self._streams]
        while True:
            pending = [
                (s.end_s(s.produced + 1), i) for i, s in enumerate(self._streams) if s.produced < due[i]
            ]
            if not pending:
                return
            _, i = min(pending)
            s = self._streams[i]
            t_first_s = s.produced * s.spec.per_packet / s.spec.fs_hz
            notes = self.wire.packet(s.spec, s.produced, t_first_s, self)
            lost = LostPacket(s.spec.kind, s.produced, t_first_s, s.spec.per_packet, "")
            s.produced += 1
            self._deliver(notes, lost, send=send)

    def _deliver(self, notes: tuple[Notification, ...], lost: LostPacket, *, send: bool) -> None:
        """Send one data packet's notifications through the faults (or log them as lost)."""
        if not send or not self._sending or not self._notify:
            self.n_unsent += 1
            self.lost.append(_with_reason(lost, "unsent"))
            return
        faults = self.spec.faults
        if faults.drop_probability and self._rng.random() < faults.drop_probability:
            self.n_dropped += 1
            self.lost.append(_with_reason(lost, "dropped"))
            return
        for note in notes:
            copies = 1
            if faults.duplicate_probability and self._rng.random() < faults.duplicate_probability:
                copies, self.n_duplicated = 2, self.n_duplicated + 1
            for _ in range(copies):
                if faults.burst_every_s > 0:
                    self._held.append(note)
                else:
                    self._send_now(*note)

    def _flush_burst(self) -> None:
        held, self._held = self._held, []
        for note in held:
            self._send_now(*note)

    def _send_now(self, char: int, payload: bytes) -> None:
        callback = self._notify.get(char)
        if callback is None:
            return
        self.n_sent += 1
        callback(bytearray(payload))

    # ----------------------------------------------------------------- truth
    def annotations(self) -> dict[str, Any]:
        """The annotation characteristic's content: ``{"ground_truth": ...}``."""
        truth = self.person.truth()
        truth["device"] = {
            "name": self.spec.advertised_name,
            "address": self.spec.address,
            "profile": self.spec.profile,
            "firmware": self.spec.firmware_revision,
            "device_t0_us": self.spec.device_t0_us,
            "drift_ppm": self.spec.drift_ppm,
            "emg_roles": [r.value for r in self.spec.device_roles],
            "streams": {
                s.spec.kind.name.lower(): {"fs_hz": s.spec.fs_hz, "per_packet": s.spec.per_packet}
                for s in self._streams
            },
            "packets_produced": {s.spec.kind.name.lower(): s.produced for s in self._streams},
            "packets_sent": self.n_sent,
            "packets_dropped": self.n_dropped,
            "packets_unsent": self.n_unsent,
            "packets_duplicated": self.n_duplicated,
            "lost": [[p.stream.name.lower(), p.index, p.reason] for p in self.lost],
            "faults": self.spec.faults.to_json(),
            "host_t0_ns": self._t0_host_ns,
            "host_t0_note": "simulator only: the injected clock's reading at the first sample",
        }
        return {"ground_truth": truth}


def _with_reason(p: LostPacket, reason: str) -> LostPacket:
    return LostPacket(p.stream, p.index, p.t_first_s, p.n_samples, reason)
