"""``glutesense train``: a guided exercise set with live feedback, stored as a session, then its report."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glutesense.acquire.training import EXERCISES, Exercise, SetPlan, build_set_schedule
from glutesense.cli.cmd_record import RecordRequest, add_sim_args, decoded_counts, request_from_args
from glutesense.cli.errors import UsageError
from glutesense.cli.liveview import LiveView
from glutesense.cli.terminal import say


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--exercise", required=True, choices=[e.value for e in Exercise], help="what to train")
    p.add_argument(
        "--device",
        required=True,
        metavar="sim[:PROFILE]|ADDRESS|NAME",
        help="'sim' or a sensor (see 'glutesense scan')",
    )
    p.add_argument(
        "--reps",
        type=int,
        default=12,
        help="planned reps (default 12); the set ends sooner when the glute tires",
    )
    p.add_argument("--lift-s", type=float, help="time to lift, s (default: the exercise's tempo)")
    p.add_argument(
        "--hold-s", type=float, help="hold at the top (the squeeze: how long to stay above the line), s"
    )
    p.add_argument("--rest-s", type=float, help="rest between reps, s")
    p.add_argument(
        "--target",
        type=float,
        default=40.0,
        metavar="PCT",
        help="target level, %% of the reference (default 40)",
    )
    p.add_argument(
        "--tired-drop-pct",
        type=float,
        default=10.0,
        help="end the set when the glute's median frequency fell this much, %%",
    )
    p.add_argument("--full-set", action="store_true", help="run every planned rep even when the glute tires")
    p.add_argument(
        "--subject", default="anon", help="pseudonymous subject id (letters, digits, _.-; no names)"
    )
    p.add_argument("--out", metavar="FILE", help="session file (default SUBJECT_EXERCISE_TIME.gses)")
    p.add_argument("--report", metavar="DIR", help="report folder (default: the session's name + _report)")
    p.add_argument("--no-report", action="store_true", help="record only")
    p.add_argument("--scan-timeout", type=float, default=5.0, help="how long to look for the device, s")
    add_sim_args(p, speed=1.0)
    p.add_argument(
        "--sim-fatigue-pct",
        type=float,
        default=20.0,
        help="virtual person: how far its glute's median frequency falls over the planned set, %%",
    )
    p.add_argument(
        "--sim-session",
        type=int,
        default=1,
        help="virtual person: its Nth training session (it gets better: glute leads sooner, tires less)",
    )
    p.set_defaults(run=run)


@dataclass(frozen=True)
class TrainRequest:
    """A training set: the recording request, the plan and the feedback settings."""

    record: RecordRequest
    plan: SetPlan
    target_share: float
    tired_drop_pct: float
    stop_when_tired: bool

    def meta(self) -> dict[str, Any]:
        lift, hold, rest = self.plan.timing()
        return {
            "exercise": self.plan.exercise.value,
            "planned_reps": self.plan.reps,
            "lift_s": lift,
            "hold_s": hold,
            "rest_s": rest,
            "target_share": self.target_share,
            "tired_drop_pct": self.tired_drop_pct,
            "stop_when_tired": self.stop_when_tired,
            "order_matters": EXERCISES[self.plan.exercise].glute_first,
            "success_hold_s": self.success_hold_s(),
        }

    def success_hold_s(self) -> float:
        """The squeeze succeeds when held above the target for 80 % of its hold (others: no count)."""
        return 0.8 * self.plan.timing()[1] if self.plan.exercise is Exercise.SQUEEZE else 0.0

    def settings(self) -> Any:
        from glutesense.analysis.training import TrainingSettings

        return TrainingSettings(
            target_share=self.target_share,
            tired_drop_pct=self.tired_drop_pct,
            order_matters=EXERCISES[self.plan.exercise].glute_first,
            success_hold_s=self.success_hold_s(),
        )


def request(args: argparse.Namespace) -> TrainRequest:
    exercise = Exercise(args.exercise)
    plan = SetPlan(exercise, args.reps, args.lift_s, args.hold_s, args.rest_s)
    try:
        build_set_schedule(plan)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not 5.0 <= args.target <= 150.0:
        raise UsageError("--target must be a share of the reference between 5 and 150 %")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out) if args.out else Path(f"{args.subject}_{exercise.value}_{stamp}.gses")
    ns = argparse.Namespace(**vars(args))
    ns.device = [args.device]
    ns.protocol, ns.side, ns.map, ns.lsl = "bridge", "both", None, False
    ns.rest_s, ns.rep_period_s, ns.hold_s = 0.0, 6.0, 2.5
    req = request_from_args(ns, out)
    sim = dict(req.sim)
    fatigue = max(0.0, args.sim_fatigue_pct) / 100.0
    sim.update(emg_spectrum="surface", fatigue_per_active_s=fatigue / plan.active_span_s())
    from glutesense.virtual.progress import after_sessions

    sim = after_sessions(sim, args.sim_session)
    from dataclasses import replace

    return TrainRequest(
        replace(req, sim=sim), plan, args.target / 100.0, args.tired_drop_pct, not args.full_set
    )


async def train_session(req: TrainRequest, *, show: bool) -> tuple[Any, list[str]]:
    """Connect, guide the set with feedback after each rep, record; (recorder result, verdict lines)."""
    from glutesense.acquire.live import LiveEnvelopes
    from glutesense.acquire.status import RecorderStatus
    from glutesense.acquire.train_monitor import TrainingMonitor
    from glutesense.acquire.training import record_set
    from glutesense.cli.record_live import session_meta
    from glutesense.decode.decoder import SessionDecoder
    from glutesense.session import SessionWriter

    r = req.record
    clock, link = _link(r)
    monitor = TrainingMonitor(req.settings(), stop_when_tired=req.stop_when_tired)
    state: dict[str, Any] = {}
    view = LiveView(enabled=show, title=f"{req.plan.exercise.value}  {r.subject}")

    def open_writer(meta: Mapping[str, Any]) -> Any:
        full = {**session_meta(r), **meta, "training": req.meta()}
        state["decoder"] = SessionDecoder(full)
        state["live"] = LiveEnvelopes(state["decoder"].devices)
        return monitor.wrap(SessionWriter(r.out, full))

    def on_status(s: RecorderStatus) -> None:
        dec, live = state.get("decoder"), state.get("live")
        if dec is not None and live is not None:
            for pkt in s.new_packets:
                for block in dec.push(pkt):
                    live.feed(block)
        verdict = monitor.tick(s.t_s, dec, live)
        if verdict is not None:
            state["last"] = verdict
            if not show:
                say(verdict, flush=True)
        countdown = f"  in {s.countdown_s:.0f}" if s.countdown_s else ""
        lines = [f"{s.text}{countdown}", monitor.level_line(live), state.get("last", "")]
        view.set_status("\n".join(x for x in lines if x))
        if live is not None:
            view.update(s.t_s, live)

    schedule = build_set_schedule(req.plan)
    with view:
        result = await record_set(
            link, open_writer, schedule, clock, on_status=on_status, stop=monitor.should_stop
        )
    return result, monitor.verdicts


def _link(r: RecordRequest) -> tuple[Any, Any]:
    from glutesense.model.roles import Protocol
    from glutesense.profiles import get_profile
    from glutesense.transport.ble import SensorLink
    from glutesense.transport.clock import LoopClock, MonotonicClock, ScaledClock
    from glutesense.virtual.devices import is_sim, link_target, resolve_backend, sim_profile

    clock: Any = ScaledClock(r.speed) if r.speed != 1 else MonotonicClock()
    if math.isinf(r.speed):
        clock = LoopClock()
    backend = resolve_backend(r.device, clock=clock, protocol=Protocol.BRIDGE, sim=r.sim)
    profile = get_profile(sim_profile(r.device)) if is_sim(r.device) else None
    link = SensorLink(
        link_target(r.device, backend),
        clock=clock,
        backend=backend,
        profile=profile,
        scan_timeout_s=r.scan_timeout_s,
    )
    return clock, link


def run(args: argparse.Namespace) -> int:
    from glutesense.transport.ble import TransportError
    from glutesense.transport.clock import run_in_virtual_time

    req = request(args)
    out = req.record.out
    if out.exists():
        raise UsageError(f"{out}: already exists; choose another --out")
    show = sys.stderr.isatty()
    spec = EXERCISES[req.plan.exercise]
    say(
        f"{req.plan.exercise.value}: {req.plan.reps} reps; first a reference squeeze, "
        f"then: {spec.lift_text.lower()}"
    )
    try:
        coro = train_session(req, show=show)
        result, verdicts = run_in_virtual_time(coro) if math.isinf(req.record.speed) else asyncio.run(coro)
    except TransportError as e:
        raise UsageError(str(e)) from None
    if show:
        for line in verdicts:
            say(line)
    say(f"session: {out}  ({result.duration_s:.1f} s, {decoded_counts(out, result.n_packets)})")
    if not result.completed:
        say(f"warning: the set did not complete: {result.message}", file=sys.stderr)
        return 1
    if args.no_report:
        return 0
    report = Path(args.report) if args.report else out.with_name(out.stem + "_report")
    _write_report(out, report)
    say(f"report: {report / 'report.html'}")
    return 0


def _write_report(session: Path, out_dir: Path) -> None:
    import glutesense as gs

    rec = gs.read(session)
    gs.analyze(rec, protocol="bridge").report(out_dir)
