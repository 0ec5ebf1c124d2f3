"""Faults through the bleak seam: drops, bursts, duplicates, disconnects, a silent device.

Everything runs on the virtual-time event loop (``run_in_virtual_time`` + ``LoopClock``),
so a 30 s guided recording takes well under a second and is the same on every run: the
lossy run and the loss-free run of the same virtual person produce the same samples, and
the only difference is which notifications reached the host.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from glutesense.acquire.recorder import build_schedule, record
from glutesense.analysis.pipeline import analyze
from glutesense.decode.decoder import decode_packets
from glutesense.model.records import Event, RawPacket, Recording, StreamKind
from glutesense.model.roles import Protocol, Role
from glutesense.transport.ble import ConnectionFailed, ReconnectPolicy, SensorLink
from glutesense.transport.clock import LoopClock, run_in_virtual_time
from glutesense.virtual.devices import link_target, resolve_backend
from glutesense.virtual.sensor import VirtualSensor
from glutesense.virtual.spec import LostPacket

ONSET_TOLERANCE_MS = 5.0
"""Onsets of reps no gap touches must match the loss-free run this closely."""
GAP_GUARD_S = (0.2, 0.2)
"""An onset is "hit by a gap" when a lost sample lies within 0.2 s before to 0.2 s after it (the
detector reads the baseline before an onset and the rise after it).  Measured (8 reps, 32
onsets): every onset outside this guard matched to <= 1 ms; inside it, up to 31 ms."""
N_REPS = 8


class MemWriter:
    def __init__(self, meta: Mapping[str, Any]) -> None:
        self.meta = dict(meta)
        self.packets: list[RawPacket] = []
        self.events: list[Event] = []

    def add_packet(self, pkt: RawPacket) -> None:
        self.packets.append(pkt)

    def add_event(self, event: Event, **extra: Any) -> None:
        self.events.append(Event.from_json({**extra, **event.to_json()}))  # as SessionWriter stores it

    def update_meta(self, patch: Mapping[str, Any]) -> None:
        self.meta.update(patch)

    def close(self) -> None:
        pass


@dataclass
class Run:
    rec: Recording
    result: Any
    writer: MemWriter
    sensor: VirtualSensor


def _record(reps: int = 4, profile: str = "sim", **sim: Any) -> Run:
    schedule = build_schedule(Protocol.BRIDGE, reps=reps, rest_s=3.0, rep_period_s=6.0, hold_s=2.5)
    policy = ReconnectPolicy(first_delay_s=0.3, factor=2.0, max_delay_s=1.0)
    box: dict[str, Any] = {}

    async def main() -> Any:
        clock = LoopClock()
        pair = resolve_backend(profile, clock=clock, sim={"seed": 7, "pattern": "glute_late", **sim})
        assert pair is not None
        box["sensor"] = pair.context.sensors[0]

        def open_writer(meta: dict[str, Any]) -> MemWriter:
            box["writer"] = MemWriter(meta)
            return box["writer"]

        def link() -> SensorLink:
            return SensorLink(
                link_target(profile, pair), clock=clock, backend=pair, scan_timeout_s=2.0, reconnect=policy
            )

        return await record(link, open_writer, schedule, clock)

    result = run_in_virtual_time(main())
    w: MemWriter = box["writer"]
    rec = decode_packets(w.meta, w.packets, w.events)
    return Run(rec, result, w, box["sensor"])


@pytest.fixture(scope="module")
def clean() -> Run:
    return _record(reps=N_REPS)


@pytest.fixture(scope="module")
def lossy() -> Run:
    # 5 % of packets lost over the air, and the link drops three times between reps.
    return _record(reps=N_REPS, drop_probability=0.05, disconnects_at_s=(10.2, 16.2, 22.2), down_s=0.5)


def _lost(sensor: VirtualSensor, kind: StreamKind) -> list[LostPacket]:
    return [p for p in sensor.lost if p.stream is kind]


def test_lossy_run_lost_what_it_should(lossy: Run) -> None:
    r = lossy.result
    assert r.completed
    assert (r.n_disconnects, r.n_reconnects, r.n_interrupted) == (3, 3, 0)
    reasons = {p.reason for p in lossy.sensor.lost}
    assert reasons == {"dropped", "unsent"}
    n_emg = lossy.sensor.annotations()["ground_truth"]["device"]["packets_produced"]["emg"]
    dropped = sum(p.reason == "dropped" for p in _lost(lossy.sensor, StreamKind.EMG))
    assert 0.03 < dropped / n_emg < 0.07
    labels = [e.trial_type for e in lossy.rec.events]
    assert labels.count("disconnect") == 3 and labels.count("reconnect") == 3


@pytest.mark.parametrize("kind", [StreamKind.EMG, StreamKind.IMU])
def test_gaps_are_exactly_where_the_sensor_lost_packets(lossy: Run, clean: Run, kind: StreamKind) -> None:
    """NaN samples match the sensor's own drop log packet for packet; all else is the clean data."""
    name = kind.name.lower()
    stream = next(s for s in lossy.rec.streams if s.name == name)
    per_packet = 25 if kind is StreamKind.EMG else 10
    lost = {p.index for p in _lost(lossy.sensor, kind)}
    first = min(set(range(len(lost) + 1)) - lost)  # first packet that arrived
    nan = np.isnan(stream.data[0])
    nan_packets = set((np.flatnonzero(nan) // per_packet + first).tolist())
    last = first + stream.n_samples // per_packet - 1
    assert nan_packets == {i for i in lost if first <= i <= last}
    assert nan.sum() == per_packet * len(nan_packets)  # whole packets, nothing more
    # every sample that arrived is where the loss-free run has it, value for value
    ref = next(s for s in clean.rec.streams if s.name == name)
    off = first * per_packet
    n = min(stream.n_samples, ref.n_samples - off)
    np.testing.assert_array_equal(stream.data[:, :n][:, ~nan[:n]], ref.data[:, off : off + n][:, ~nan[:n]])
    # sample times agree with the loss-free run (same device clock, fitted on other packets)
    assert stream.fs_hz == pytest.approx(ref.fs_hz, rel=1e-6)
    assert stream.t0_s == pytest.approx(ref.t0_s + off / ref.fs_hz, abs=1e-4)
    # the gaps are counted
    packets = lossy.rec.packets.by_stream[f"0.{name}"]
    assert packets.dropped == len(nan_packets)
    gap_events = [e for e in lossy.rec.events if e.trial_type == "gap"]
    assert sum(e.duration_s for e in gap_events) == pytest.approx(
        sum(v.lost_s for v in lossy.rec.packets.by_stream.values()), abs=1e-3
    )


def test_onsets_match_the_loss_free_run(lossy: Run, clean: Run) -> None:
    a = analyze(clean.rec, Protocol.BRIDGE)
    b = analyze(lossy.rec, Protocol.BRIDGE)
    assert len(a.reps) == len(b.reps) == 2 * N_REPS
    emg = next(s for s in lossy.rec.streams if s.name == "emg")
    nan = np.isnan(emg.data[0])
    compared = skipped = 0
    diffs = []
    for ra, rb in zip(a.reps, b.reps, strict=True):
        assert (ra.side, ra.rep) == (rb.side, rb.rep)
        for attr in ("glute_onset_s", "hamstring_onset_s"):
            ta, tb = getattr(ra, attr), getattr(rb, attr)
            assert ta is not None
            lo = max(int((ta - GAP_GUARD_S[0] - emg.t0_s) * emg.fs_hz), 0)
            hi = int((ta + GAP_GUARD_S[1] - emg.t0_s) * emg.fs_hz)
            if nan[lo:hi].any():
                skipped += 1
                continue
            compared += 1
            assert tb is not None
            diffs.append(abs(tb - ta) * 1000)
    assert compared >= 8, (compared, skipped)
    assert max(diffs) <= ONSET_TOLERANCE_MS, diffs
    assert np.median(diffs) == 0.0  # the same samples give the same onset


def test_bursts_and_duplicates_decode_to_the_clean_data(clean: Run) -> None:
    """BlueZ-style bursts (100 ms of notifications at once) and 5 % duplicates change nothing."""
    run = _record(reps=1, burst_every_s=0.1, duplicate_probability=0.05)
    assert run.sensor.n_duplicated > 0
    stamps = np.array([p.t_rx_ns for p in run.writer.packets])
    assert (np.diff(stamps) == 0).mean() > 0.5  # most notifications share a stamp with the previous one
    emg = run.rec.streams[0]
    ref = clean.rec.streams[0]
    assert not np.isnan(emg.data).any()
    assert run.rec.packets.duplicates == run.sensor.n_duplicated
    n = emg.n_samples
    np.testing.assert_array_equal(emg.data, ref.data[:, :n])
    # the fit keeps to the lower envelope: timing within a packet interval of the clean run
    assert emg.t0_s == pytest.approx(ref.t0_s, abs=0.026)
    assert emg.fs_hz == pytest.approx(1000.0, rel=1e-3)


def test_disconnect_during_a_rep_repeats_it() -> None:
    run = _record(reps=2, disconnects_at_s=(7.5,), down_s=0.5)
    assert run.result.completed and run.result.n_interrupted == 1
    cues = [e for e in run.rec.events if e.trial_type.startswith("cue")]
    assert [(e.trial_type, e.rep) for e in cues] == [("cue:interrupted", 1), ("cue", 1), ("cue", 2)]
    res = analyze(run.rec, Protocol.BRIDGE)
    assert sorted({r.rep for r in res.reps}) == [1, 2]
    assert len(res.reps) == 4


@pytest.mark.parametrize("profile", ["sim", "sim:ganglion", "sim:myo"])
def test_counter_devices_survive_a_disconnect(profile: str) -> None:
    """Without a device clock, a reconnect starts a new clock segment placed by arrival."""
    run = _record(reps=1, profile=profile, disconnects_at_s=(2.0,), down_s=0.5)
    clock = run.rec.clock.devices[0]
    if profile == "sim":
        assert clock.segments == 1  # a device clock runs through the gap
    else:
        assert clock.segments >= 2 and "no device clock" in clock.note
    by_stream = run.rec.packets.by_stream
    assert by_stream["0.emg"].lost_s == pytest.approx(
        sum(p.n_samples for p in _lost(run.sensor, StreamKind.EMG)) / run.sensor.params.emg_fs_hz, abs=0.05
    )
    imu = next(s for s in run.rec.streams if s.name == "imu")
    assert imu.t0_s + imu.n_samples / imu.fs_hz == pytest.approx(run.rec.duration_s, abs=0.2)


def test_a_device_that_never_answers_is_a_clear_error() -> None:
    async def main() -> None:
        clock = LoopClock()
        pair = resolve_backend("sim", clock=clock, sim={"never_answers": True})
        link = SensorLink(link_target("sim", pair), clock=clock, backend=pair, connect_timeout_s=4.0)
        await link.connect()

    with pytest.raises(ConnectionFailed, match=r"no answer within 4 s"):
        run_in_virtual_time(main())


def test_truth_roles_are_unchanged_by_faults(lossy: Run) -> None:
    assert lossy.rec.has(Role.GLUTE_MAX_L) and lossy.rec.has(Role.HAMSTRING_R)
