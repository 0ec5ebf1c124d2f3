"""``glutesense wake``: a sitting-break prompt every N minutes, the squeeze verified by the sensor."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from glutesense.cli.errors import UsageError
from glutesense.cli.terminal import ring, say

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h)?\s*$")


def duration_s(text: str) -> float:
    """``25m``, ``90s``, ``2h`` or plain minutes (``25``) -> seconds."""
    m = _DURATION.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected a duration such as 25m, 90s or 2h, got {text!r}")
    scale = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, None: 60.0}[m.group(2)]
    return float(m.group(1)) * scale


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", required=True, metavar="sim|ADDRESS|NAME", help="'sim' or a sensor")
    p.add_argument(
        "--every", type=duration_s, default=25 * 60.0, help="time between prompts (default 25m; 20m-30m)"
    )
    p.add_argument(
        "--for", dest="total", type=duration_s, default=8 * 3600.0, help="how long to run (default 8h)"
    )
    p.add_argument(
        "--window-s", type=float, default=20.0, help="how long each prompt waits for the squeeze, s"
    )
    p.add_argument(
        "--log", metavar="FILE", default="wake_log.json", help="the day's log (JSON; default wake_log.json)"
    )
    p.add_argument(
        "--scan-timeout", type=float, default=5.0, help="how long to look for the sensor at each prompt, s"
    )
    p.add_argument("--no-notify", action="store_true", help="terminal bell only, no desktop notification")
    g = p.add_argument_group("virtual sensor (--device sim)")
    g.add_argument("--speed", type=float, default=1.0, help="virtual clock speed; 'inf' runs in virtual time")
    g.add_argument(
        "--sim-answer-share", type=float, default=0.7, help="share of prompts the virtual person answers"
    )
    g.add_argument("--sim-seed", type=int, default=1, help="random seed of the virtual person")
    p.set_defaults(run=run)


def _notify(n: int, *, desktop: bool) -> None:
    text = f"Break {n}: stand up and squeeze your glutes"
    ring()
    say(text, flush=True)
    if desktop and shutil.which("notify-send"):
        subprocess.Popen(
            ["notify-send", "glutesense", text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )


def _make_link(args: argparse.Namespace, clock: Any) -> Any:
    from glutesense.model.roles import Protocol
    from glutesense.profiles import get_profile
    from glutesense.transport.ble import SensorLink
    from glutesense.virtual.devices import is_sim, link_target, resolve_backend, sim_profile

    sim = is_sim(args.device)

    def make(n: int) -> Any:
        options = {
            "seed": args.sim_seed * 1000 + n,
            "prompt_answer_share": args.sim_answer_share,
            "pattern": "glute_first",
        }
        backend = resolve_backend(args.device, clock=clock, protocol=Protocol.BRIDGE, sim=options)
        return SensorLink(
            link_target(args.device, backend),
            clock=clock,
            backend=backend,
            profile=get_profile(sim_profile(args.device)) if sim else None,
            scan_timeout_s=args.scan_timeout,
        )

    return make


def run(args: argparse.Namespace) -> int:
    from glutesense.acquire.wake import BreakEntry, WakePlan, check_in, day_summary, run_breaks
    from glutesense.transport.ble import BluetoothUnavailable, TransportError
    from glutesense.transport.clock import LoopClock, MonotonicClock, ScaledClock, run_in_virtual_time
    from glutesense.virtual.devices import is_sim

    if not 60.0 <= args.every <= 4 * 3600.0:
        raise UsageError("--every must lie between 1m and 4h (the routine: 20m-30m)")
    if args.total < args.every:
        raise UsageError("--for must be at least one --every long")
    if args.speed <= 0 or (args.speed != 1 and not is_sim(args.device)):
        raise UsageError("--speed other than 1 only works with the virtual sensor (--device sim)")
    if not 0.0 <= args.sim_answer_share <= 1.0:
        raise UsageError("--sim-answer-share must lie between 0 and 1")
    log = Path(args.log)
    plan = WakePlan(every_s=args.every, total_s=args.total, window_s=args.window_s)
    clock: Any = (
        LoopClock()
        if math.isinf(args.speed)
        else ScaledClock(args.speed)
        if args.speed != 1
        else MonotonicClock()
    )
    desktop = not args.no_notify and not is_sim(args.device)

    def on_entry(entry: BreakEntry, entries: list[BreakEntry]) -> None:
        late = f", {entry.latency_ms / 1000:.1f} s after the prompt" if entry.latency_ms is not None else ""
        say(f"break {entry.n}: {entry.status}{late}", flush=True)
        doc = {
            "every_s": plan.every_s,
            "summary": day_summary(entries),
            "breaks": [e.to_json() for e in entries],
        }
        tmp = log.with_name(log.name + ".tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        tmp.replace(log)

    say(
        f"wake: a prompt every {plan.every_s / 60:g} min for {plan.total_s / 3600:g} h "
        f"({len(plan.prompt_times())} prompts)"
    )
    make_link = _make_link(args, clock)

    async def routine() -> list[BreakEntry]:
        name = await check_in(make_link)
        say(f"sensor {name or args.device}: found; it is disconnected between prompts", flush=True)
        return await run_breaks(
            plan, clock, make_link, on_prompt=lambda n: _notify(n, desktop=desktop), on_entry=on_entry
        )

    try:
        entries = run_in_virtual_time(routine()) if math.isinf(args.speed) else asyncio.run(routine())
    except BluetoothUnavailable as e:
        raise UsageError(str(e)) from None
    except TransportError as e:  # not found or would not connect: at the start, not 25 min later
        raise UsageError(f"{e}; switch the sensor on, then start wake again") from None
    s = day_summary(entries)
    say(
        f"today: {s['prompts']} prompts, {s['breaks_taken']} breaks taken, "
        f"{s['breaks_verified']} verified; log: {log}"
    )
    return 0
