"""The virtual diy-v1 sensor's firmware: sampling, packets, commands, faults.

A :class:`VirtualSensor` is the device side of the virtual world: it owns a
:class:`~glutesense.virtual.person.VirtualPerson`, paces sampling with the injected
clock, speaks diy-v1 (``glutesense.profiles.diy_v1``) and survives its BLE clients
(the Bleak client backend in :mod:`glutesense.virtual.backend` only relays).

Firmware behaviour, as a real diy-v1 device should behave (see ``firmware_notes/diy-v1.md``):

* sampling starts at the first ``CMD_START`` and then never stops while powered; the
  device clock (``t_us``) and the per-stream sequence counters count every packet
  *produced*, so packets lost over the air or while disconnected show as gaps in
  both ``seq`` and ``t_us``;
* ``CMD_STOP`` or a disconnect stops sending; a later ``CMD_START`` resumes sending
  from the current time (nothing buffered is replayed);
* a marker command is handed to the person as a cue and echoed as a MARK packet
  stamped with the device time it arrived.
"""

from __future__ import annotations

import asyncio
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glutesense.profiles import diy_v1
from glutesense.records import StreamKind
from glutesense.roles import Protocol
from glutesense.transport.clock import Clock
from glutesense.virtual.params import PersonParams
from glutesense.virtual.person import VirtualPerson

NotifyCallback = Callable[[bytearray], None]


@dataclass(frozen=True)
class Faults:
    """Fault injection.

    Attributes
    ----------
    drop_probability : float
        Probability that a produced packet is not delivered (0..1).
    disconnect_at_s : float or None
        Device time (s since the first sample) at which the link drops once.
    down_s : float
        How long the device stays unreachable after that disconnect, s.
    """

    drop_probability: float = 0.0
    disconnect_at_s: float | None = None
    down_s: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.drop_probability <= 1.0:
            raise ValueError(f"drop_probability must be in [0, 1], got {self.drop_probability}")
        if self.down_s < 0:
            raise ValueError("down_s must be >= 0")


@dataclass(frozen=True)
class VirtualSensorSpec:
    """One virtual sensor in a :class:`~glutesense.virtual.backend.VirtualWorld`.

    Attributes
    ----------
    name, address : str
        Advertised local name and Bluetooth address.
    rssi_dbm : int
        Advertised RSSI, dBm.
    params : PersonParams
        The person wearing the sensor.
    protocol : Protocol
        The test the person does (fixes the resting posture).
    emg_per_packet, imu_per_packet : int
        Samples per notification (25 at 1000 Hz and 10 at 100 Hz: 40 and 10 packets/s).
    device_t0_us : int
        Device clock at the first sample, µs (a device that booted a while ago).
    drift_ppm : float
        Device clock rate error: device seconds per host second is ``1 + drift_ppm * 1e-6``.
    seq_start : int
        First sequence number of every stream (set near 0xFFFF to exercise wrap-around).
    faults : Faults
    firmware : str
        Firmware revision string (Device Information service).
    """

    name: str = "GluteSense-SIM"
    address: str = "5A:1E:00:00:00:01"
    rssi_dbm: int = -55
    params: PersonParams = field(default_factory=PersonParams)
    protocol: Protocol = Protocol.BRIDGE
    emg_per_packet: int = 25
    imu_per_packet: int = 10
    device_t0_us: int = 1_234_567
    drift_ppm: float = 0.0
    seq_start: int = 0
    faults: Faults = field(default_factory=Faults)
    firmware: str = "glutesense-sim 0.1 (diy-v1)"

    def __post_init__(self) -> None:
        n_emg = len(self.params.emg_roles)
        want = tuple(c.role for c in diy_v1.EMG_CHANNELS[:n_emg])
        if self.params.emg_roles != want:
            names = [r.value for r in want if r is not None]
            raise ValueError(
                f"a diy-v1 sensor sends EMG channels in the profile's order; emg_roles must be {names}"
            )
        if self.emg_per_packet < 1 or self.imu_per_packet < 1:
            raise ValueError("samples per packet must be >= 1")
        for fs in (self.params.emg_fs_hz, self.params.imu_fs_hz):
            if fs != round(fs) or not 1 <= fs <= 0xFFFF:
                raise ValueError(f"diy-v1 carries integer sample rates 1..65535 Hz, got {fs}")


@dataclass
class _StreamState:
    kind: StreamKind
    fs_hz: float
    per_packet: int
    produced: int = 0  # packets produced since the first start

    def end_s(self, n_packets: int) -> float:
        """Device time of the end of packet number ``n_packets - 1``."""
        return n_packets * self.per_packet / self.fs_hz


class VirtualSensor:
    """Runtime state of one virtual sensor (device side); see the module docstring."""

    def __init__(self, spec: VirtualSensorSpec, clock: Clock) -> None:
        self.spec = spec
        self.clock = clock
        self.person = VirtualPerson(spec.params, spec.protocol)
        self._rng = np.random.default_rng([spec.params.seed, 0xD1E])
        p = spec.params
        self._emg = _StreamState(StreamKind.EMG, p.emg_fs_hz, spec.emg_per_packet)
        self._imu = _StreamState(StreamKind.IMU, p.imu_fs_hz, spec.imu_per_packet)
        self._n_marks = 0
        self._t0_host_ns: int | None = None
        self._notify: NotifyCallback | None = None
        self._on_link_lost: Callable[[], None] | None = None
        self._sending = False
        self._task: asyncio.Task[None] | None = None
        self._unreachable_until_ns = 0
        self._fault_done = False
        self.n_sent = 0
        self.n_dropped = 0
        self.n_unsent = 0  # produced while not sending (stopped or disconnected)

    # ----------------------------------------------------------------- time
    @property
    def started(self) -> bool:
        return self._t0_host_ns is not None

    def device_time_s(self) -> float:
        """Device seconds since the first sample (0 before the first start)."""
        if self._t0_host_ns is None:
            return 0.0
        return (self.clock.now_ns() - self._t0_host_ns) * 1e-9 * (1.0 + self.spec.drift_ppm * 1e-6)

    def device_t_us(self, t_s: float) -> int:
        """The u32 device clock (µs) at device time ``t_s``."""
        return (self.spec.device_t0_us + round(t_s * 1e6)) & 0xFFFFFFFF

    # ----------------------------------------------------------- connection
    @property
    def connected(self) -> bool:
        return self._on_link_lost is not None

    @property
    def reachable(self) -> bool:
        return self.clock.now_ns() >= self._unreachable_until_ns

    def attach(self, on_link_lost: Callable[[], None]) -> None:
        """A client connects; ``on_link_lost`` is called if the device drops the link."""
        if self.connected:
            raise ConnectionError(f"{self.spec.name} is already connected to another client")
        if not self.reachable:
            raise ConnectionError(f"{self.spec.name} is out of range")
        self._on_link_lost = on_link_lost

    def detach(self) -> None:
        """The client disconnects: stop sending."""
        self._on_link_lost = None
        self._notify = None
        self._stop_sending()

    def set_notify(self, callback: NotifyCallback | None) -> None:
        self._notify = callback

    # -------------------------------------------------------------- commands
    def handle_command(self, data: bytes) -> None:
        """A write to the NUS RX characteristic."""
        if not data:
            return
        if data[:1] == diy_v1.CMD_START:
            self._start_sending()
        elif data[:1] == diy_v1.CMD_STOP:
            self._stop_sending()
        elif data[0] == diy_v1.CMD_MARKER and len(data) >= 3:
            (marker_id,) = struct.unpack_from("<H", data, 1)
            label = data[3:].decode("utf-8", errors="replace")
            self._marker(marker_id, label)

    def _marker(self, marker_id: int, label: str) -> None:
        t_s = self.device_time_s()
        if self.started:
            self._produce_until(t_s, send=self._sending)
            self.person.on_cue(label, t_s)
        pkt = diy_v1.Packet(
            StreamKind.MARK,
            self.spec.seq_start + self._n_marks,
            self.device_t_us(t_s),
            0,
            np.zeros((0, 0), np.int16),
            marker=marker_id,
        )
        self._n_marks += 1
        self._deliver(diy_v1.encode(pkt))

    def _start_sending(self) -> None:
        if self._t0_host_ns is None:
            self._t0_host_ns = self.clock.now_ns()
        else:
            self._produce_until(self.device_time_s(), send=False)  # sampled while not sending
        self._sending = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"{self.spec.name} stream")

    def _stop_sending(self) -> None:
        self._sending = False
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # ------------------------------------------------------------- streaming
    async def _run(self) -> None:
        period_s = self.spec.emg_per_packet / self.spec.params.emg_fs_hz
        faults = self.spec.faults
        while self._sending:
            t_s = self.device_time_s()
            if not self._fault_done and faults.disconnect_at_s is not None and t_s >= faults.disconnect_at_s:
                self._produce_until(faults.disconnect_at_s, send=True)
                self._drop_link()
                return
            self._produce_until(t_s, send=True)
            await self.clock.sleep(period_s)

    def _drop_link(self) -> None:
        self._fault_done = True
        self._unreachable_until_ns = self.clock.now_ns() + int(self.spec.faults.down_s * 1e9)
        callback = self._on_link_lost
        self.detach()
        if callback is not None:
            callback()

    def _produce_until(self, t_s: float, *, send: bool) -> None:
        """Produce every packet whose samples all lie before device time ``t_s``, in time order."""
        streams = (self._emg, self._imu)
        due = [math.floor(t_s * s.fs_hz / s.per_packet + 1e-9) for s in streams]
        while True:
            pending = [(s.end_s(s.produced + 1), i) for i, s in enumerate(streams) if s.produced < due[i]]
            if not pending:
                return
            _, i = min(pending)
            payload = self._packet(streams[i])
            if send:
                self._deliver(payload)
            else:
                self.n_unsent += 1

    def _packet(self, s: _StreamState) -> bytes:
        n = s.per_packet
        t_first_s = s.produced * n / s.fs_hz
        gen = self.person.generate_emg if s.kind is StreamKind.EMG else self.person.generate_imu
        values = gen(n)
        counts, saturated = diy_v1.to_counts(values, s.kind)
        pkt = diy_v1.Packet(
            s.kind,
            self.spec.seq_start + s.produced,
            self.device_t_us(t_first_s),
            int(s.fs_hz),
            counts,
            flags=diy_v1.FLAG_SATURATED if saturated else 0,
        )
        s.produced += 1
        return diy_v1.encode(pkt)

    def _deliver(self, payload: bytes) -> None:
        if self._notify is None or (not self._sending and payload[1] != StreamKind.MARK):
            self.n_unsent += 1
            return
        if self.spec.faults.drop_probability and self._rng.random() < self.spec.faults.drop_probability:
            self.n_dropped += 1
            return
        self.n_sent += 1
        self._notify(bytearray(payload))

    # ----------------------------------------------------------------- truth
    def annotations(self) -> dict[str, Any]:
        """The annotation characteristic's content: ``{"ground_truth": ...}``."""
        truth = self.person.truth()
        truth["device"] = {
            "name": self.spec.name,
            "address": self.spec.address,
            "firmware": self.spec.firmware,
            "device_t0_us": self.spec.device_t0_us,
            "drift_ppm": self.spec.drift_ppm,
            "emg_per_packet": self.spec.emg_per_packet,
            "imu_per_packet": self.spec.imu_per_packet,
            "packets_produced": {"emg": self._emg.produced, "imu": self._imu.produced},
            "packets_sent": self.n_sent,
            "packets_dropped": self.n_dropped,
            "packets_unsent": self.n_unsent,
            "faults": {
                "drop_probability": self.spec.faults.drop_probability,
                "disconnect_at_s": self.spec.faults.disconnect_at_s,
                "down_s": self.spec.faults.down_s,
            },
            "host_t0_ns": self._t0_host_ns,
            "host_t0_note": "simulator only: the injected clock's reading at the first sample",
        }
        return {"ground_truth": truth}
