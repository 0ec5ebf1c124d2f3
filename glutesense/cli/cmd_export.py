"""``glutesense export SESSION --to edf|bdf|csv|parquet OUTFILE`` and ``--to bids DIR``."""

from __future__ import annotations

import argparse
from pathlib import Path

from glutesense.cli.cmd_analyze import add_input_args, load
from glutesense.cli.errors import UsageError
from glutesense.cli.terminal import say


def add_args(p: argparse.ArgumentParser) -> None:
    from glutesense.export import EXPORTERS

    p.add_argument("session_file", metavar="SESSION", help="session (.gses), or any input analyze reads")
    p.add_argument("--to", required=True, choices=(*EXPORTERS, "bids"), help="output format")
    p.add_argument(
        "outfile", metavar="OUTFILE", help="file to write (no overwriting without --force); bids: a folder"
    )
    p.add_argument("--force", action="store_true", help="overwrite OUTFILE if it exists")
    add_bids_args(p)
    add_input_args(p)
    p.set_defaults(run=run)


def add_bids_args(p: argparse.ArgumentParser) -> None:
    """BIDS labels (``--to bids``, ``batch --bids``)."""
    p.add_argument("--subject", metavar="LABEL", help="BIDS subject label (default the session's pseudonym)")
    p.add_argument("--session", metavar="LABEL", help="BIDS session label (default none)")
    p.add_argument("--bids-data", choices=["edf", "bdf"], default="edf", help="BIDS data file format")


SUFFIXES = {"edf": (".edf",), "bdf": (".bdf",), "csv": (".csv", ".txt"), "parquet": (".parquet", ".pq")}
"""The file names each format may carry: an EDF named ``.txt`` would mislead every program after us."""


def check_suffix(out: Path, fmt: str) -> None:
    """Refuse an output name whose suffix says another format."""
    allowed = SUFFIXES.get(fmt)
    if allowed and out.suffix.lower() not in allowed:
        raise UsageError(
            f"{out}: --to {fmt} writes {fmt.upper() if fmt != 'parquet' else 'Parquet'}, but the name ends "
            f"in {out.suffix or '(no suffix)'}; name it {out.with_suffix(allowed[0]).name}"
        )


def run(args: argparse.Namespace) -> int:
    from glutesense.export import ExportError, export_recording

    out = Path(args.outfile)
    if args.to == "bids":
        return _run_bids(args, out)
    check_suffix(out, args.to)
    if out.exists() and not args.force:
        raise UsageError(f"{out}: already exists (use --force to overwrite)")
    rec = load(args.session_file, args)
    try:
        result = export_recording(rec, out, args.to)
    except ExportError as e:
        raise UsageError(str(e) if str(out) in str(e) else f"{out}: {e}") from None
    for path in result.paths:
        say(f"wrote {path}")
    for note in result.notes:
        say(f"  note: {note}")
    return 0


def _run_bids(args: argparse.Namespace, out: Path) -> int:
    from glutesense.export import ExportError
    from glutesense.export.bids import write_bids

    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is a file; --to bids writes a dataset folder")
    rec = load(args.session_file, args)
    try:
        result = write_bids(rec, out, subject=args.subject, session=args.session, bdf=args.bids_data == "bdf")
    except ExportError as e:
        raise UsageError(str(e)) from None
    for path in result.paths:
        say(f"wrote {path}")
    for note in result.notes:
        say(f"  note: {note}")
    return 0
