"""``glutesense replay SESSION``: the stored packets through the live pipeline again."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from glutesense.acquire.replay import replay_session
from glutesense.cli.cmd_analyze import add_analysis_args, analyze_to
from glutesense.cli.errors import UsageError
from glutesense.cli.liveview import LiveView
from glutesense.cli.terminal import say
from glutesense.session import SessionError, read_session


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", metavar="SESSION", help="native session file (.gses)")
    p.add_argument("--realtime", action="store_true", help="pace packets as they were received")
    p.add_argument("--out", metavar="DIR", help="also write tables and report into DIR")
    add_analysis_args(p)
    p.set_defaults(run=run, protocol=None)
    for a in p._actions:  # the session knows its protocol; --protocol overrides it
        if a.dest == "protocol":
            a.required = False
            a.help = "the test performed (default: the session's own)"


def run(args: argparse.Namespace) -> int:
    from glutesense.analysis.pipeline import analyze
    from glutesense.model.roles import Protocol
    from glutesense.report.verdict import verdict_lines

    try:
        data = read_session(args.session)
    except SessionError as e:
        raise UsageError(str(e)) from None
    for dmg in data.damage:
        say(f"{args.session}: file damage: {dmg.describe()}", file=sys.stderr)
    protocol = Protocol(args.protocol or data.meta.get("protocol") or "bridge")
    with LiveView(enabled=sys.stderr.isatty(), title=f"replay {Path(args.session).name}") as view:
        rec = asyncio.run(replay_session(data, realtime=args.realtime, on_update=view.update))
    if args.out:
        result = analyze_to(rec, protocol, args.detector, Path(args.out))
        say(f"report: {Path(args.out) / 'report.html'}")
    else:
        try:
            result = analyze(rec, protocol, detector=args.detector)
        except ValueError as e:
            raise UsageError(f"{args.session}: {e}") from None
    say(f"replayed {len(data.packets)} packets ({data.duration_s:.1f} s of recording)")
    for line in verdict_lines(result):
        say(f"  {line}")
    return 0
