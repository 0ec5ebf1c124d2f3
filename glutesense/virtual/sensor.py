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
from dataclasses import dataclass
from typing import Any

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.model.roles import Role
from glutesense.transport.clock import Clock
from glutesense.virtual.electrodes import Electrodes
from glutesense.virtual.link import OneClientLink
from glutesense.virtual.person import VirtualPerson
from glutesense.virtual.spec import (
    LostPacket,
    VirtualSensorSpec,
)
from glutesense.virtual.wire import (
    Action,
    Notification,
    PacketStream,
    Wire,
    make_wire,
)

NotifyCallback = Callable[[bytearray], None]


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
        pads: list[Role | None] = [None] * self._n_pad
        self._electrodes = Electrodes(spec.electrode_faults, [*roles, *pads], p.emg_fs_hz, p.mains_hz, p.seed)
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
        return self._electrodes.apply(values)

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
            "electrode_faults": [f.text for f in self.spec.electrode_faults],
            "host_t0_ns": self._t0_host_ns,
            "host_t0_note": "simulator only: the injected clock's reading at the first sample",
        }
        return {"ground_truth": truth}


def _with_reason(p: LostPacket, reason: str) -> LostPacket:
    return LostPacket(p.stream, p.index, p.t_first_s, p.n_samples, reason)
