"""The guided recorder, end to end through the virtual sensor at a scaled clock."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from glutesense.acquire.recorder import (
    RecorderStatus,
    ScheduledCue,
    build_schedule,
    record,
    schedule_duration_s,
)
from glutesense.model.records import Event, RawPacket, StreamKind
from glutesense.model.roles import Protocol, Side
from glutesense.profiles import diy_v1
from glutesense.transport.base import BackendPair
from glutesense.transport.ble import DeviceNotFound, ReconnectPolicy, SensorLink
from glutesense.transport.clock import LoopClock, ScaledClock, run_in_virtual_time
from glutesense.virtual.devices import link_target, resolve_backend

SPEED = 20.0


class FakeWriter:
    """In-memory stand-in for ``SessionWriter``."""

    def __init__(self, meta: Mapping[str, Any]) -> None:
        self.meta = dict(meta)
        self.packets: list[RawPacket] = []
        self.events: list[tuple[Event, dict[str, Any]]] = []
        self.closed = False

    def add_packet(self, pkt: RawPacket) -> None:
        assert not self.closed
        self.packets.append(pkt)

    def add_event(self, event: Event, **extra: Any) -> None:
        assert not self.closed
        self.events.append((event, extra))

    def update_meta(self, patch: Mapping[str, Any]) -> None:
        self.meta.update(patch)

    def close(self) -> None:
        self.closed = True


def _short_bridge() -> tuple[ScheduledCue, ...]:
    return build_schedule(Protocol.BRIDGE, reps=2, rest_s=2.0, rep_period_s=4.5, hold_s=2.0, countdown_s=1.0)


def _run(
    schedule: tuple[ScheduledCue, ...],
    protocol: Protocol = Protocol.BRIDGE,
    *,
    policy: ReconnectPolicy | None = None,
    **sim: Any,
) -> tuple[Any, FakeWriter, list[RecorderStatus], BackendPair]:
    clock = LoopClock()  # virtual time: deterministic, and independent of the machine's load
    pair = resolve_backend("sim", clock=clock, protocol=protocol, sim=sim)
    assert pair is not None
    writers: list[FakeWriter] = []
    statuses: list[RecorderStatus] = []

    def open_writer(meta: dict[str, Any]) -> FakeWriter:
        writers.append(FakeWriter(meta))
        return writers[-1]

    def link() -> SensorLink:
        return SensorLink(
            link_target("sim", pair), clock=clock, backend=pair, scan_timeout_s=2.0, reconnect=policy
        )

    result = run_in_virtual_time(record(link, open_writer, schedule, clock, on_status=statuses.append))
    assert len(writers) == 1
    return result, writers[0], statuses, pair


def test_bridge_schedule() -> None:
    s = build_schedule(Protocol.BRIDGE, reps=3, rest_s=5.0, rep_period_s=6.0, hold_s=2.5, countdown_s=3.0)
    assert [c.label for c in s] == ["rest", "cue", "lower", "cue", "lower", "cue", "lower", "end"]
    assert [c.t_s for c in s] == [0.5, 8.5, 11.0, 14.5, 17.0, 20.5, 23.0, 25.0]
    assert s[0].duration_s == 5.0
    assert [c.rep for c in s[1:-1]] == [1, 1, 2, 2, 3, 3]
    assert {c.side for c in s} == {None}
    assert s[1].countdown_s == 3.0
    assert s[3].countdown_s == 2.5  # fits in the 3.5 s pause, 1 s after lowering
    assert not s[-1].is_event
    assert schedule_duration_s(s) == 25.0
    with pytest.raises(ValueError, match="exceed hold_s"):
        build_schedule(Protocol.BRIDGE, rep_period_s=3.0, hold_s=2.5)


def test_single_leg_stand_schedule() -> None:
    s = build_schedule(
        Protocol.SINGLE_LEG_STAND, reps=2, sides=(Side.RIGHT, Side.LEFT), hold_s=3.0, rep_period_s=7.0
    )
    labels = [c.marker_label for c in s if c.is_event]
    assert labels == [
        "rest",
        *["lift:right", "squeeze:right", "release:right"] * 2,
        *["lift:left", "squeeze:left", "release:left"] * 2,
    ]
    lifts = [c for c in s if c.label == "lift"]
    squeezes = [c for c in s if c.label == "squeeze"]
    assert [q.t_s - lift.t_s for lift, q in zip(lifts, squeezes, strict=True)] == [1.5] * 4
    assert [c.rep for c in squeezes] == [1, 2, 1, 2]
    with pytest.raises(ValueError, match="at least one side"):
        build_schedule(Protocol.SINGLE_LEG_STAND, sides=())


def test_record_bridge_end_to_end() -> None:
    schedule = _short_bridge()
    result, w, statuses, _ = _run(schedule, pattern="glute_late", glute_lag_ms=120.0, seed=4)
    assert result.completed
    assert w.closed
    # metadata: start, device, time scale, ground truth, stop
    assert w.meta["start_ns"] == result.start_ns
    assert w.meta["time_scale"] == 1.0  # stamps are (virtual) seconds
    (dev,) = w.meta["devices"]
    assert (dev["profile"], dev["name"], dev["firmware"]) == (
        "diy-v1",
        "GluteSense-SIM",
        "glutesense-sim 0.1 (diy-v1)",
    )
    assert [c["role"] for c in dev["channels"]["emg"][:2]] == ["glute_max_l", "hamstring_l"]
    assert w.meta["stopped"] is True
    assert w.meta["recorder"]["n_packets"] == result.n_packets
    # cue events, in order, never before their scheduled time
    cues = [(e, x) for e, x in w.events if e.trial_type in {"rest", "cue", "lower"}]
    assert [e.trial_type for e, _ in cues] == ["rest", "cue", "lower", "cue", "lower"]
    assert [x.get("rep") for _, x in cues] == [None, 1, 1, 2, 2]
    for e, x in cues:
        assert x["scheduled_s"] <= e.onset_s < x["scheduled_s"] + 0.5
        assert x["marker"] >= 1
    assert cues[0][0].duration_s == 2.0
    assert result.n_cues == result.n_markers_sent == 5
    # every packet forwarded, stamped after the start
    assert len(w.packets) == result.n_packets
    assert all(p.t_rx_ns >= result.start_ns for p in w.packets)
    kinds = [diy_v1.parse(p.payload).stream for p in w.packets]
    n_emg = kinds.count(StreamKind.EMG)
    assert n_emg == pytest.approx(40 * schedule_duration_s(schedule), rel=0.08)
    marks = [
        diy_v1.parse(p.payload).marker for p, k in zip(w.packets, kinds, strict=True) if k is StreamKind.MARK
    ]
    assert marks == [1, 2, 3, 4, 5]
    assert result.lost_packets == 0
    # ground truth: the person did what the cues said, 120 ms glute-late
    truth = w.meta["ground_truth"]
    assert result.ground_truth
    assert [r["rep"] for r in truth["reps"]] == [1, 1, 2, 2]
    assert truth["reps"][0]["glute_lag_ms"] == pytest.approx(120.0, abs=40.0)
    # the truth's device-time cues sit where the session's cue events are
    host_t0_s = (truth["device"]["host_t0_ns"] - result.start_ns) / 1e9
    device_cues = [c["t_s"] + host_t0_s for c in truth["cues"]]
    assert device_cues == pytest.approx([e.onset_s for e, _ in cues], abs=0.1)
    # status: a countdown before the first lift, the instruction texts, packets handed over
    countdowns = [
        s.countdown_s for s in statuses if s.countdown_s is not None and s.next_text == "Lift your hips"
    ]
    assert countdowns
    assert max(countdowns) <= 1.0
    assert {"Relax and keep still", "Lift your hips", "Lower slowly"} <= {s.text for s in statuses}
    assert sum(len(s.new_packets) for s in statuses) <= result.n_packets
    assert statuses[-1].t_s >= schedule_duration_s(schedule) - 0.5


def test_record_single_leg_stand_with_false_starts() -> None:
    schedule = build_schedule(
        Protocol.SINGLE_LEG_STAND, reps=1, rest_s=1.0, rep_period_s=5.0, hold_s=1.5, countdown_s=0.5
    )
    result, w, _, _ = _run(schedule, Protocol.SINGLE_LEG_STAND, false_starts=1, seed=2)
    assert result.completed
    ev = [(e.trial_type, x.get("side")) for e, x in w.events]
    assert ev == [
        ("rest", None),
        ("lift", "left"),
        ("squeeze", "left"),
        ("release", "left"),
        ("lift", "right"),
        ("squeeze", "right"),
        ("release", "right"),
    ]
    reps = w.meta["ground_truth"]["reps"]
    assert [(r["side"], r["false_starts"]) for r in reps] == [("left", 1), ("right", 1)]


def test_record_logs_disconnect_reconnect_and_gap() -> None:
    policy = ReconnectPolicy(first_delay_s=0.3, factor=2.0, max_delay_s=1.0)
    result, w, statuses, _ = _run(_short_bridge(), policy=policy, disconnect_at_s=4.0, down_s=0.7, seed=1)
    assert result.completed
    assert (result.n_disconnects, result.n_reconnects) == (1, 1)
    labels = [e.trial_type for e, _ in w.events]
    i_dis, i_re = labels.index("disconnect"), labels.index("reconnect")
    assert i_dis < i_re
    gaps = [(e, x) for e, x in w.events if e.trial_type == "gap"]
    assert {x["stream"] for _, x in gaps} == {"emg", "imu"}
    emg_gap, emg_x = next((e, x) for e, x in gaps if x["stream"] == "emg")
    assert emg_gap.duration_s == pytest.approx(emg_x["lost_packets"] * 0.025)
    assert emg_gap.duration_s >= 0.7
    assert result.lost_packets == sum(x["lost_packets"] for _, x in gaps)
    assert w.events[i_dis][0].onset_s == pytest.approx(4.0 + 0.5, abs=0.6)  # device 4 s ~ session 4 s
    assert any("disconnect" in s.notices for s in statuses)
    # rep 1 was under way when the link dropped: marked interrupted, paused, repeated as rep 1
    assert result.n_interrupted == 1
    wanted = {"cue", "lower", "interrupted"}
    reps = [(e.trial_type, x.get("rep")) for e, x in w.events if e.trial_type in wanted]
    assert reps == [("cue", 1), ("interrupted", None), ("cue", 1), ("lower", 1), ("cue", 2), ("lower", 2)]
    (interrupted,) = [e for e, _ in w.events if e.trial_type == "interrupted"]
    assert interrupted.rep == 1
    repeat = [e for e, x in w.events if e.trial_type == "cue" and x.get("rep") == 1][1]
    reconnect = w.events[i_re][0]
    assert repeat.onset_s >= reconnect.onset_s + 2.9  # a fresh countdown after the link came back
    assert any(s.text.startswith("Sensor link lost") for s in statuses)


def test_record_stops_early_when_the_link_is_lost() -> None:
    policy = ReconnectPolicy(first_delay_s=0.2, factor=1.0, max_attempts=2)
    result, w, _, _ = _run(_short_bridge(), policy=policy, disconnect_at_s=3.0, down_s=1000.0)
    assert not result.completed
    assert "gave up" in result.message
    assert w.closed
    assert result.duration_s < schedule_duration_s(_short_bridge())
    assert [e.trial_type for e, _ in w.events].count("disconnect") == 2  # dropped, then gave up


def test_record_without_a_device_opens_no_file() -> None:
    clock = ScaledClock(SPEED)
    pair = resolve_backend("sim", clock=clock)
    opened: list[dict[str, Any]] = []

    def open_writer(meta: dict[str, Any]) -> FakeWriter:
        opened.append(meta)
        return FakeWriter(meta)

    def link() -> SensorLink:
        return SensorLink("GluteSense-ELSEWHERE", clock=clock, backend=pair, scan_timeout_s=0.2)

    with pytest.raises(DeviceNotFound):
        asyncio.run(record(link, open_writer, _short_bridge(), clock))
    assert opened == []


def test_user_marks_become_events() -> None:
    clock = ScaledClock(SPEED)
    pair = resolve_backend("sim", clock=clock)
    writers: list[FakeWriter] = []

    def open_writer(meta: dict[str, Any]) -> FakeWriter:
        writers.append(FakeWriter(meta))
        return writers[-1]

    async def main() -> None:
        marks: asyncio.Queue[str] = asyncio.Queue()
        marks.put_nowait("felt a cramp")
        link = SensorLink(link_target("sim", pair), clock=clock, backend=pair, scan_timeout_s=2.0)
        schedule = build_schedule(
            Protocol.BRIDGE, reps=1, rest_s=0.5, rep_period_s=3.0, hold_s=1.0, tail_s=0.5
        )
        await record(lambda: link, open_writer, schedule, clock, marks=marks)

    asyncio.run(main())
    marks = [(e, x) for e, x in writers[0].events if e.trial_type == "mark"]
    assert [x["text"] for _, x in marks] == ["felt a cramp"]


def test_record_into_a_real_session_file(tmp_path: Path) -> None:
    writer_mod = pytest.importorskip("glutesense.session.writer")
    reader_mod = pytest.importorskip("glutesense.session.reader")
    clock = ScaledClock(SPEED)
    pair = resolve_backend("sim", clock=clock, sim={"seed": 6})
    path = tmp_path / "s.gses"
    schedule = build_schedule(Protocol.BRIDGE, reps=1, rest_s=1.0, rep_period_s=3.0, hold_s=1.0, tail_s=0.5)

    def open_writer(meta: dict[str, Any]) -> Any:
        return writer_mod.SessionWriter(path, {"protocol": "bridge", **meta})

    def link() -> SensorLink:
        return SensorLink(link_target("sim", pair), clock=clock, backend=pair, scan_timeout_s=2.0)

    result = asyncio.run(record(link, open_writer, schedule, clock))
    data = reader_mod.read_session(path)
    assert len(data.packets) == result.n_packets
    assert data.meta["ground_truth"]["reps"][0]["rep"] == 1
    assert data.meta["protocol"] == "bridge"
    assert [e.trial_type for e in data.events] == ["rest", "cue", "lower"]
