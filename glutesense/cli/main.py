"""``glutesense`` command line: parser, dispatch and exit codes.

Exit status: 0 on success, 2 for bad usage or unreadable input (one line
naming the file and the problem), 1 for anything else.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from glutesense.cli import (
    cmd_analyze,
    cmd_batch,
    cmd_check,
    cmd_demo,
    cmd_doctor,
    cmd_export,
    cmd_record,
    cmd_replay,
    cmd_scan,
    cmd_train,
    cmd_trend,
    cmd_wake,
)
from glutesense.cli.errors import UsageError
from glutesense.cli.library_notes import notes_on_stderr
from glutesense.cli.terminal import safe, say
from glutesense.version import __version__

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

_FMT = argparse.RawDescriptionHelpFormatter

_COMMANDS: dict[str, tuple[str, str, Callable[[argparse.ArgumentParser], None]]] = {
    "scan": (
        "list nearby supported sensors (and the virtual one)",
        "examples:\n  glutesense scan\n  glutesense scan --timeout 10",
        cmd_scan.add_args,
    ),
    "record": (
        "guided live test -> session file",
        "examples:\n"
        "  glutesense record --device sim --protocol bridge --reps 3 --subject S01 --out s01.gses\n"
        "  glutesense record --device sim --speed inf --sim-pattern glute-absent --subject S02 "
        "--out s02.gses\n"
        "  glutesense record --device AA:BB:CC:DD:EE:FF --protocol single-leg-stand --side left "
        "--subject S01 --out s01_sls.gses\n"
        "  glutesense record --device GluteSense-1 --map glute_max_l=emg0,hamstring_l=emg1 --out a.gses",
        cmd_record.add_args,
    ),
    "train": (
        "guided glute exercises with live activation and fatigue feedback -> session + report",
        "examples:\n  glutesense train --exercise hip-thrust --device sim --speed inf\n"
        "  glutesense train --exercise squeeze --device GluteSense-1 --reps 8 --hold-s 5 --target 50\n"
        "  glutesense train --exercise side-plank --device sim --reps 3 --full-set --out plank.gses",
        cmd_train.add_args,
    ),
    "wake": (
        "sitting breaks: a prompt every 20-30 minutes, the glute squeeze verified by the sensor -> day's log",
        "examples:\n  glutesense wake --device GluteSense-1 --every 25m\n"
        "  glutesense wake --device sim --every 25m --for 2h --speed inf --log today.json",
        cmd_wake.add_args,
    ),
    "replay": (
        "re-run a session through the live pipeline",
        "examples:\n  glutesense replay s01.gses\n  glutesense replay s01.gses --realtime --out s01_report",
        cmd_replay.add_args,
    ),
    "check": (
        "is a session file intact? name each damaged span; --rewrite saves what could be read",
        "exit status: 0 intact, 1 damaged but read past, 2 unreadable\n"
        "examples:\n  glutesense check s01.gses\n  glutesense check s01.gses --rewrite s01_repaired.gses",
        cmd_check.add_args,
    ),
    "analyze": (
        "activation timing of a session, EDF+/BDF+ or CSV file -> tables and report",
        "examples:\n"
        "  glutesense analyze s01.gses --protocol bridge --out s01_report\n"
        "  glutesense analyze test.csv --protocol bridge --out out/\n"
        "  glutesense analyze raw.csv --fs 1000 --map glute_max_l=ch1,hamstring_l=ch2 --emg-unit mV "
        "--protocol bridge --out out/\n"
        "  glutesense analyze a.edf b.edf --protocol single-leg-stand --out batch/",
        cmd_analyze.add_args,
    ),
    "batch": (
        "many recordings in parallel (Dask or local processes) -> one table",
        "examples:\n  glutesense batch 'data/**/*.edf' --protocol bridge --out season/\n"
        "  glutesense batch 'data/*.gses' --protocol bridge --out season/ --scheduler tcp://scheduler:8786\n"
        "  glutesense batch 'data/*.csv' --protocol bridge --out season/ --bids season_bids/",
        cmd_batch.add_args,
    ),
    "trend": (
        "compare sessions of one person over time -> trend.csv, trend.json, trend.html",
        "examples:\n  glutesense trend week0.gses week4.gses --out trend/\n"
        "  glutesense trend a.csv b.csv c.csv --protocol bridge --out trend/",
        cmd_trend.add_args,
    ),
    "export": (
        "convert a session to EDF+/BDF+/CSV/Parquet",
        "examples:\n  glutesense export s01.gses --to edf s01.edf\n"
        "  glutesense export s01.gses --to csv s01.csv",
        cmd_export.add_args,
    ),
    "doctor": (
        "is this machine ready to record from a real sensor? (Bluetooth, permissions, extras)",
        "exit status: 0 ready, 1 not (each problem with its fix)\nexamples:\n  glutesense doctor",
        cmd_doctor.add_args,
    ),
    "demo": (
        "virtual sensor -> recorded session -> report",
        "examples:\n  glutesense demo\n"
        "  glutesense demo --sim-pattern glute-late --sim-lag-ms 120 --out demo_out\n"
        "  glutesense demo --realtime",
        cmd_demo.add_args,
    ),
}


class _Parser(argparse.ArgumentParser):
    """argparse whose messages (they quote the user's arguments) pass through :func:`safe`."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        super()._print_message(safe(message), file)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="glutesense",
        description="Do your glutes actually switch on? EMG activation timing for the glute bridge "
        "and the single-leg stand.",
        epilog="examples:\n  glutesense demo\n"
        "  glutesense analyze session.gses --protocol bridge --out report/\n"
        "Run 'glutesense COMMAND --help' for a command's options.",
        formatter_class=_FMT,
    )
    parser.add_argument("--version", action="version", version=f"glutesense {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, examples, add_args) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=examples, formatter_class=_FMT)
        add_args(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with notes_on_stderr():  # a library's warning: one clean note line, never raw
            return int(args.run(args) or 0)
    except UsageError as e:
        say(f"glutesense {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        say(f"glutesense {args.command}: interrupted", file=sys.stderr)
        return 1
    except Exception as e:  # the last line of defence: one line, no traceback
        say(f"glutesense {args.command}: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        if os.environ.get("GLUTESENSE_DEBUG"):
            raise
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
