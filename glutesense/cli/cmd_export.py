"""``glutesense export SESSION --to edf|bdf|csv|parquet OUTFILE``."""

from __future__ import annotations

import argparse
from pathlib import Path

from glutesense.cli.cmd_analyze import add_input_args, load
from glutesense.cli.errors import UsageError


def add_args(p: argparse.ArgumentParser) -> None:
    from glutesense.export import EXPORTERS

    p.add_argument("session", metavar="SESSION", help="session (.gses), or any input analyze reads")
    p.add_argument("--to", required=True, choices=tuple(EXPORTERS), help="output format")
    p.add_argument("outfile", metavar="OUTFILE", help="file to write (refuses to overwrite without --force)")
    p.add_argument("--force", action="store_true", help="overwrite OUTFILE if it exists")
    add_input_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from glutesense.export import ExportError, export_recording

    out = Path(args.outfile)
    if out.exists() and not args.force:
        raise UsageError(f"{out}: already exists (use --force to overwrite)")
    rec = load(args.session, args)
    try:
        result = export_recording(rec, out, args.to)
    except ExportError as e:
        raise UsageError(str(e) if str(out) in str(e) else f"{out}: {e}") from None
    for path in result.paths:
        print(f"wrote {path}")
    for note in result.notes:
        print(f"  note: {note}")
    return 0
