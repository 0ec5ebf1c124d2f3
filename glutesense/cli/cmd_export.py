"""``glutesense export SESSION --to edf|bdf|csv|parquet OUTFILE``."""

from __future__ import annotations

import argparse
from pathlib import Path

from glutesense.cli.cmd_analyze import add_input_args, load
from glutesense.cli.errors import UsageError

FORMATS = ("edf", "bdf", "csv", "parquet")


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", metavar="SESSION", help="session (.gses), or any input analyze reads")
    p.add_argument("--to", required=True, choices=FORMATS, help="output format")
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
        written = export_recording(rec, out, args.to)
    except ExportError as e:
        raise UsageError(f"{out}: {e}") from None
    for path in written or (out,):
        print(f"wrote {path}")
    return 0
