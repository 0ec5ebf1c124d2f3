"""``glutesense check SESSION [--rewrite OUT]``: is a session file intact, and what can be saved.

Exit status: 0 intact, 1 damaged but read past (each damaged span named), 2 unreadable.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from glutesense.cli.errors import UsageError
from glutesense.cli.terminal import say
from glutesense.session import SessionData, SessionError, SessionWriter, read_session


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", metavar="SESSION", help="native session file (.gses)")
    p.add_argument(
        "--rewrite", metavar="OUT", help="write what could be read to OUT as an intact session file"
    )
    p.set_defaults(run=run)


def _contents(data: SessionData) -> str:
    devices = data.meta.get("devices")
    n_dev = len(devices) if isinstance(devices, list) else 0
    return (
        f"format {data.version}, {len(data.packets)} packets from {n_dev} device(s), "
        f"{len(data.events)} events, {data.duration_s:.1f} s"
    )


def _intact_spans(data: SessionData, size: int) -> str:
    """The byte ranges that read cleanly, e.g. ``0-1200, 1433-52000``."""
    spans, pos = [], 0
    for d in data.damage:
        if d.start_byte > pos:
            spans.append(f"{pos}-{d.start_byte}")
        pos = d.end_byte
    if pos < size:
        spans.append(f"{pos}-{size}")
    return ", ".join(spans) or "none"


def rewrite(data: SessionData, out: Path) -> None:
    """Write ``data``'s metadata, packets and events to ``out`` as an intact format-2 file.

    The metadata gains ``repaired_from``: the source path and the damage found in it, so the
    copy says what it lost.
    """
    try:
        writer = SessionWriter(out, data.meta)
    except FileExistsError:
        raise UsageError(f"{out}: already exists (choose another --rewrite name)") from None
    except OSError as e:
        raise UsageError(f"{out}: cannot write ({e.strerror or e})") from None
    with writer:
        for pkt in data.packets:
            writer.add_packet(pkt)
        for event, extra in zip(data.events, data.event_extras, strict=True):
            writer.add_event(event, **extra)
        repaired = {"source": data.path, "file_damage": [d.to_json() for d in data.damage]}
        writer.update_meta({"repaired_from": repaired})


def run(args: argparse.Namespace) -> int:
    path = Path(args.session)
    try:
        data = read_session(path)
    except SessionError as e:
        raise UsageError(f"{e}; nothing can be recovered") from None
    if not data.damage:
        say(f"{path}: intact: {_contents(data)}; every record's checksum holds")
    else:
        say(f"{path}: damaged, read past: {_contents(data)} recovered")
        say(f"  intact bytes: {_intact_spans(data, path.stat().st_size)}")
        for d in data.damage:
            say(f"  {d.describe()}")
    if args.rewrite:
        rewrite(data, Path(args.rewrite))
        say(f"{args.rewrite}: written, format 2, {len(data.packets)} packets, {len(data.events)} events")
    return 1 if data.damage else 0
