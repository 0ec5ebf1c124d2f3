"""``glutesense demo``: virtual sensor -> recorded session (through Bleak) -> report."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from glutesense.cli.cmd_analyze import analyze_to
from glutesense.cli.cmd_record import RecordRequest, add_sim_args, request_from_args, run_record
from glutesense.cli.terminal import say
from glutesense.io import read_native
from glutesense.model.roles import GUIDED_PROTOCOLS, Protocol


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out", default="glutesense-demo", metavar="DIR", help="output folder (default ./glutesense-demo)"
    )
    p.add_argument(
        "--protocol", default="bridge", choices=[x.value for x in GUIDED_PROTOCOLS], help="test to simulate"
    )
    p.add_argument("--reps", type=int, default=4, help="repetitions (default 4)")
    p.add_argument(
        "--realtime", action="store_true", help="record in real time (default: virtual time, a few seconds)"
    )
    p.add_argument("--subject", default="demo", help=argparse.SUPPRESS)
    # virtual time by default: the same Bleak seam and session, and a busy machine cannot fall behind
    add_sim_args(p, speed=math.inf)
    p.set_defaults(
        run=run,
        device="sim",
        map=None,
        scan_timeout=5.0,
        side="both",
        rest_s=4.0,
        rep_period_s=5.0,
        hold_s=2.5,
    )


def _pace(speed: float) -> str:
    if math.isinf(speed):
        return "in virtual time, as fast as the machine allows"
    return "real time" if speed == 1 else f"{speed:g}x real time"


def _fell_behind(rec_duration_s: float, req: RecordRequest) -> float | None:
    """The planned session length (s) when the recording ran far longer: the event loop could not keep
    up with the scaled clock (each real second of lag is ``speed`` session seconds), so cues, samples
    and the virtual person's reactions drift apart."""
    from glutesense.acquire.recorder import build_schedule, schedule_duration_s

    if math.isinf(req.speed) or req.speed <= 1:
        return None
    planned_s = schedule_duration_s(
        build_schedule(req.protocol, req.reps, req.sides, req.rest_s, req.rep_period_s, req.hold_s)
    )
    return planned_s if rec_duration_s > 2.0 * planned_s + 5.0 else None


def run(args: argparse.Namespace) -> int:
    from glutesense.report.verdict import verdict_lines
    from glutesense.virtual.truth import truth_in_session_time

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    session = out / "demo_session.gses"
    if session.exists():
        session.unlink()  # the demo's own previous output
    if args.realtime:
        args.speed = 1.0
    if args.protocol == Protocol.SINGLE_LEG_STAND.value:
        args.rep_period_s = 6.5
        args.sim_false_starts = args.sim_false_starts or 1
    req = request_from_args(args, session)
    say(
        f"recording a {args.protocol} test from the virtual sensor ({_pace(req.speed)}) ...",
        file=sys.stderr,
    )
    run_record(req)
    rec = read_native(session)
    behind = _fell_behind(rec.duration_s, req)
    result = analyze_to(rec, Protocol(args.protocol), "default", out)
    say(f"session: {session}")
    say(f"report:  {out / 'report.html'}")
    for line in verdict_lines(result)[:3]:
        say(f"  {line}")
    truth = truth_in_session_time(rec)
    if truth is not None:
        errs = []
        for row in getattr(result, "reps", ()):
            t = next((r for r in truth["reps"] if r["rep"] == row.rep and r["side"] == row.side.value), None)
            if t is None:
                continue
            for got, want in (
                (row.glute_onset_s, t["glute_onset_s"]),
                (row.hamstring_onset_s, t["hamstring_onset_s"]),
            ):
                if got is not None and want is not None and not math.isnan(got):
                    errs.append(abs(got - want) * 1000)
        if errs:
            say(f"  (virtual person's truth: {len(errs)} onsets, largest error {max(errs):.0f} ms)")
    if behind:
        say(
            f"  Note: at {req.speed:g}x real time this machine fell behind the virtual sensor (the session "
            f"lasted {rec.duration_s:.0f} s instead of about {behind:.0f} s), which spoils its timing; run "
            "with --speed inf (virtual time) or a lower --speed.",
            file=sys.stderr,
        )
    return 0
