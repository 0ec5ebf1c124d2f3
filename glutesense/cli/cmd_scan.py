"""``glutesense scan``: nearby supported sensors, and the virtual ones (one per profile it speaks)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from glutesense.cli.errors import UsageError
from glutesense.cli.terminal import say


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=float, default=5.0, help="how long to listen, s (default 5)")
    p.add_argument("--all", action="store_true", help="also list devices no profile recognises")
    p.add_argument("--no-sim", action="store_true", help="leave the virtual sensors out")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from glutesense.transport.ble import BluetoothUnavailable, FoundDevice, scan
    from glutesense.transport.clock import MonotonicClock
    from glutesense.virtual.devices import showcase_backend, sim_target

    rows: list[tuple[FoundDevice, str]] = []
    try:
        for d in asyncio.run(scan(args.timeout, supported_only=not args.all)):
            rows.append((d, d.address))
    except BluetoothUnavailable as e:
        if args.no_sim:
            raise UsageError(
                f"{e}; without Bluetooth only the virtual sensors can be listed (drop --no-sim)"
            ) from None
        say(f"note: {e}; listing the virtual sensors only", file=sys.stderr)
    if not args.no_sim:
        pair = showcase_backend(clock=MonotonicClock())
        for d in asyncio.run(scan(min(args.timeout, 0.5), backend=pair)):
            rows.append((d, sim_target(d.profile or "")))
    if not rows:
        say("no supported sensors found (is the sensor on and advertising?)")
        return 0
    say(f"{'address':<20} {'name':<22} {'rssi':>5}  {'profile':<18} record with")
    for d, target in rows:
        say(
            f"{d.address:<20} {d.name[:22]:<22} {d.rssi_dbm:>5}  {d.profile or '-':<18} "
            f"glutesense record --device {target}"
        )
    return 0
