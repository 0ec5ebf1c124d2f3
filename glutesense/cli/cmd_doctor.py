"""``glutesense doctor``: is this machine ready to record from a real sensor?  (exit 0 ready, 1 not)"""

from __future__ import annotations

import argparse

from glutesense.cli.doctor import Machine, Status, diagnose, this_machine
from glutesense.cli.terminal import say


def add_args(p: argparse.ArgumentParser) -> None:
    p.set_defaults(run=run)


def report(machine: Machine) -> tuple[int, list[str]]:
    """The exit status and the lines to print."""
    live, optional = diagnose(machine)
    lines = ["live recording over Bluetooth LE:"]
    lines += [f"  {f.line()}" for f in live]
    lines.append("optional extras:")
    lines += [f"  {f.line()}" for f in optional]
    blocking = [f for f in live if f.blocks and f.status is not Status.OK]
    if blocking:
        lines.append(
            f"not ready for live recording: {len(blocking)} problem(s) above; "
            "the virtual sensor works anyway: glutesense record --device sim --speed inf"
        )
        return 1, lines
    lines.append("ready for live recording: glutesense scan, then glutesense record --device ADDRESS")
    return 0, lines


def run(args: argparse.Namespace) -> int:
    code, lines = report(this_machine())
    for line in lines:
        say(line)
    return code
