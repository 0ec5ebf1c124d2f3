"""``glutesense record``: a guided live test written to a session file."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import re
import sys
from pathlib import Path
from typing import Any

from glutesense.cli.errors import UsageError
from glutesense.cli.record_request import RecordRequest
from glutesense.cli.terminal import say
from glutesense.model.roles import GUIDED_PROTOCOLS, Protocol, Side

SIDES = {"both": (Side.LEFT, Side.RIGHT), "left": (Side.LEFT,), "right": (Side.RIGHT,)}
_SUBJECT_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def add_schedule_args(p: argparse.ArgumentParser, *, reps: int) -> None:
    guided = [x.value for x in GUIDED_PROTOCOLS]
    p.add_argument("--protocol", default="bridge", choices=guided, help="test to guide")
    p.add_argument("--reps", type=int, default=reps, help=f"repetitions per side (default {reps})")
    p.add_argument("--side", default="both", choices=sorted(SIDES), help="sides to test (default both)")
    p.add_argument("--rest-s", type=float, default=5.0, help="resting baseline before the first rep, s")
    p.add_argument("--rep-period-s", type=float, default=6.0, help="time from one rep's cue to the next, s")
    p.add_argument("--hold-s", type=float, default=2.5, help="how long each rep is held, s")


def add_sim_args(p: argparse.ArgumentParser, *, speed: float) -> None:
    g = p.add_argument_group("virtual sensor (--device sim)")
    g.add_argument(
        "--speed",
        type=float,
        default=speed,
        help=f"run the virtual sensor this many times faster than real time (default {speed:g}); a busy "
        "machine may fall behind above ~16x, which spoils the timing: 'inf' runs in virtual time, as fast "
        "as the CPU allows and always the same",
    )
    g.add_argument(
        "--sim-pattern",
        default="glute-late",
        choices=["glute-first", "glute-late", "glute-absent"],
        help="the virtual person's recruitment pattern",
    )
    g.add_argument("--sim-lag-ms", type=float, help="glute onset minus hamstring onset, ms")
    g.add_argument("--sim-snr-db", type=float, help="activation over background noise, dB")
    g.add_argument("--sim-seed", type=int, default=1, help="random seed of the virtual person")
    g.add_argument(
        "--sim-false-starts", type=int, default=0, help="single-leg stand: short bursts before the squeeze"
    )
    g.add_argument("--sim-drop", type=float, default=0.0, help="probability of losing a packet")
    g.add_argument(
        "--sim-disconnect-at-s",
        type=_times,
        metavar="S[,S...]",
        help="drop the link at these device times, s (e.g. 8,15)",
    )
    g.add_argument(
        "--sim-fault",
        action="append",
        type=_fault,
        metavar="KIND[:TARGET]",
        help="an electrode fault of the virtual sensor (repeatable): loose:ROLE (the electrode barely "
        "touches: noise, hum, a weak signal), dead:ROLE (no signal), mains[:ROLE] (strong 50 Hz hum on "
        "that channel, or on all), swapped[:left|right] (that side's glute max and hamstring leads "
        "swapped; default left); e.g. --sim-fault loose:glute_max_l --sim-fault mains",
    )


def _times(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds separated by commas, got {text!r}") from None


def _fault(text: str) -> str:
    from glutesense.virtual.electrodes import parse_fault

    try:
        return parse_fault(text).text
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--device",
        required=True,
        action="append",
        metavar="sim[:PROFILE]|ADDRESS|NAME",
        help="'sim' for the virtual sensor (diy-v1), 'sim:PROFILE' for a virtual sensor speaking "
        "another profile (sim:polar-h10, sim:ganglion, sim:myo, sim:myoware-ble-uart), or a "
        "sensor's address or advertised name (see 'glutesense scan'); repeat to record several "
        "devices into one session (the first is device 0; --map applies to it)",
    )
    p.add_argument(
        "--subject", default="anon", help="pseudonymous subject id (letters, digits, _.-; no names)"
    )
    p.add_argument("--out", metavar="FILE", help="session file to write (default SUBJECT_PROTOCOL_TIME.gses)")
    p.add_argument(
        "--map",
        metavar="ROLE=CHANNEL[,...]",
        help="map device channels to roles, e.g. "
        "glute_max_l=emg0,hamstring_l=emg1 (default: the device profile's map)",
    )
    p.add_argument("--scan-timeout", type=float, default=5.0, help="how long to look for the device, s")
    p.add_argument(
        "--plain",
        action="store_true",
        help="plain timestamped lines (cues, link notices, gaps, counters) instead of the live view; "
        "the default when standard output is not a terminal",
    )
    p.add_argument(
        "--skip-gate",
        action="store_true",
        help="skip the signal-quality check before the test (about 20 s: a rest, then a squeeze of each "
        "glute and a heel press for each hamstring); without it a failed check stops with exit 2 and "
        "the fixes",
    )
    p.add_argument(
        "--lsl", action="store_true", help="also publish the decoded streams and cues on Lab Streaming Layer"
    )
    add_schedule_args(p, reps=5)
    add_sim_args(p, speed=1.0)
    p.set_defaults(run=run)


def request_from_args(args: argparse.Namespace, out: Path) -> RecordRequest:
    from glutesense.io import parse_map

    if not _SUBJECT_RE.match(args.subject):
        raise UsageError(f"subject id {args.subject!r} must be a pseudonym of letters, digits, '_', '.', '-'")
    if args.reps < 1:
        raise UsageError("--reps must be at least 1")
    from glutesense.virtual.devices import is_sim, sim_profile

    devices = (args.device,) if isinstance(args.device, str) else tuple(args.device)
    if not devices:
        raise UsageError("--device is required")
    if args.speed <= 0 or (args.speed != 1 and not all(is_sim(d) for d in devices)):
        raise UsageError("--speed other than 1 only works with the virtual sensor (--device sim)")
    for device in devices:
        if is_sim(device):
            from glutesense.profiles import PROFILES

            if sim_profile(device) not in PROFILES:
                raise UsageError(f"--device {device}: unknown profile (known: {', '.join(PROFILES)})")
    try:
        channel_map = parse_map(args.map)
    except ValueError as e:
        raise UsageError(str(e)) from None
    sim: dict[str, Any] = {"pattern": args.sim_pattern.replace("-", "_"), "seed": args.sim_seed}
    if args.sim_lag_ms is not None:
        sim["glute_lag_ms"] = args.sim_lag_ms
    elif args.sim_pattern == "glute-late":
        sim["glute_lag_ms"] = 120.0
    if args.sim_snr_db is not None:
        sim["snr_db"] = args.sim_snr_db
    if args.sim_false_starts:
        sim["false_starts"] = args.sim_false_starts
    if args.sim_drop:
        sim["drop_probability"] = args.sim_drop
    if getattr(args, "sim_fault", None):
        sim["electrode_faults"] = list(args.sim_fault)
    if args.sim_disconnect_at_s:
        times = args.sim_disconnect_at_s
        times = (times,) if isinstance(times, int | float) else tuple(times)
        sim["disconnects_at_s"] = times
        sim.setdefault("down_s", 1.0)
    if getattr(args, "lsl", False):
        from glutesense.lsl.outlet import LslUnavailable, require_pylsl

        try:
            require_pylsl()
        except LslUnavailable as e:
            raise UsageError(str(e)) from None
    return RecordRequest(
        device=devices[0],
        devices=devices if len(devices) > 1 else (),
        out=out,
        subject=args.subject,
        protocol=Protocol(args.protocol),
        reps=args.reps,
        sides=SIDES[args.side],
        rest_s=args.rest_s,
        rep_period_s=args.rep_period_s,
        hold_s=args.hold_s,
        speed=args.speed,
        channel_map=channel_map,
        sim=sim,
        scan_timeout_s=args.scan_timeout,
        lsl=bool(getattr(args, "lsl", False)),
        plain=True if getattr(args, "plain", False) else (None if hasattr(args, "plain") else False),
        gate=not getattr(args, "skip_gate", True),
        verdicts=hasattr(args, "skip_gate"),
    )


def default_out(subject: str, protocol: str) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"{subject}_{protocol}_{stamp}.gses")


def run_record(req: RecordRequest) -> Any:
    """Run a recording with clear errors for the usual failures."""
    from glutesense.transport.ble import TransportError

    if req.out.exists():
        raise UsageError(f"{req.out}: already exists; choose another --out")
    from glutesense.cli.display import make_view
    from glutesense.cli.record_live import record_session
    from glutesense.transport.clock import run_in_virtual_time

    view = make_view(f"{req.protocol.value}  {req.subject}", plain=req.plain)
    try:
        if math.isinf(req.speed):
            return run_in_virtual_time(record_session(req, view))
        return asyncio.run(record_session(req, view))
    except TransportError as e:
        raise UsageError(str(e)) from None


def decoded_counts(out: Path, n_packets: int) -> str:
    """Packets and losses as decoding the session counts them: the figures of ``analyze`` and the report.

    The live count reads sequence counters only, which a Polar (device timestamps) or a MyoWare
    (arrival times only) does not send; the decoder places every profile's packets on its timeline.
    """
    from glutesense.io import InputError, read_native

    try:
        pk = read_native(out).packets
    except (InputError, ValueError):
        return f"{n_packets} packets, not decodable"
    if pk is None:
        return f"{n_packets} packets"
    lost_s = sum(st.lost_s for st in pk.by_stream.values())
    gaps = f"{pk.gaps} gap" + ("" if pk.gaps == 1 else "s")
    return f"{pk.received} packets, {pk.dropped} lost in {gaps} ({lost_s:.2f} s)"


def run(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else default_out(args.subject, args.protocol)
    req = request_from_args(args, out)
    result = run_record(req)
    say(
        f"session: {out}  ({result.duration_s:.1f} s, {decoded_counts(out, result.n_packets)}, "
        f"{result.n_disconnects} disconnects)"
    )
    if result.gate == "fail":
        say(f"signal check failed; the test was not run ({out} keeps the check):", file=sys.stderr)
        for fix in result.message.split("\n"):
            say(f"  - {fix}", file=sys.stderr)
        say("fix these and record again, or add --skip-gate to record anyway", file=sys.stderr)
        return 2
    if not result.completed:
        say(f"warning: the test did not complete: {result.message}", file=sys.stderr)
        return 1
    say(f"next: glutesense analyze {out} --protocol {args.protocol} --out {out.with_suffix('')}_report")
    return 0
