"""``glutesense batch 'data/**/*.edf' --protocol bridge --out DIR``: many files, one table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from glutesense.cli.errors import UsageError
from glutesense.cli.terminal import say


def add_args(p: argparse.ArgumentParser) -> None:
    from glutesense.cli.cmd_analyze import add_analysis_args

    p.add_argument("patterns", nargs="+", metavar="PATTERN", help="files or quoted globs ('data/**/*.edf')")
    add_analysis_args(p)
    p.add_argument(
        "--out", required=True, metavar="DIR", help="output folder: reps.parquet, reps.csv, failures.csv"
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler (tcp://host:8786)")
    p.add_argument("--workers", type=int, metavar="N", help="local workers (default: one per core)")
    p.add_argument(
        "--processes",
        action="store_true",
        help="a local process pool instead of Dask (the default without Dask)",
    )
    p.add_argument(
        "--reports", action="store_true", help="also write each file's report into DIR/reports/NAME/"
    )
    p.add_argument("--bids", metavar="BIDS_DIR", help="also write every recording into this BIDS-EMG dataset")
    p.add_argument("--fs", type=float, metavar="HZ", help="sample rate of CSVs without a time_s column")
    p.add_argument("--map", metavar="ROLE=NAME[,...]", help="map file columns/signals to roles")
    p.add_argument("--emg-unit", choices=["uV", "mV", "V"], help="unit of EMG columns in CSVs (default uV)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from glutesense.batch import Job, dask_available, expand, run_batch, session_labels
    from glutesense.io import parse_map

    paths = expand(args.patterns)
    if not paths:
        raise UsageError(f"no files match {' '.join(args.patterns)}")
    try:
        roles = tuple((r.value, c) for r, c in parse_map(args.map).items())
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    scheduler = "processes" if args.processes else "dask"
    if scheduler == "dask" and not dask_available():
        if args.scheduler:
            raise UsageError("--scheduler needs Dask: pip install 'glutesense[scale]'")
        scheduler = "processes"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sessions = session_labels(paths) if args.bids else [None] * len(paths)
    jobs = [
        Job(
            p,
            args.protocol,
            args.detector,
            args.fs,
            roles,
            args.emg_unit,
            str(out / "reports" / ses_or_stem(p, i)) if args.reports else None,
            args.bids,
            s,
        )
        for i, (p, s) in enumerate(zip(paths, sessions, strict=True))
    ]
    bar = _Progress(len(jobs))
    with bar:
        try:
            outcomes = run_batch(
                jobs, scheduler=scheduler, address=args.scheduler, workers=args.workers, on_done=bar.done
            )
        except OSError as e:
            if args.scheduler is None:
                raise
            raise UsageError(f"{args.scheduler}: cannot reach the Dask scheduler ({e})") from None
    return _finish(outcomes, out, args.bids, scheduler)


def ses_or_stem(path: str, i: int) -> str:
    return f"{i + 1:04d}_{Path(path).stem}"


def _finish(outcomes: list, out: Path, bids: str | None, scheduler: str) -> int:
    from glutesense.batch import combined_table

    table, failures = combined_table(outcomes)
    table.to_parquet(out / "reps.parquet", index=False)
    table.to_csv(out / "reps.csv", index=False, na_rep="", float_format="%.4f")
    failures.to_csv(out / "failures.csv", index=False)
    if bids:
        from glutesense.export.bids import write_dataset_files

        root = Path(bids)
        write_dataset_files(root, sorted(d.name[4:] for d in root.glob("sub-*") if d.is_dir()))
    n_ok = sum(o.ok for o in outcomes)
    where = out / "reps.parquet"
    say(f"{n_ok} of {len(outcomes)} recordings analyzed ({scheduler}); {len(table)} rows in {where}")
    for o in outcomes:
        if not o.ok:
            say(f"glutesense batch: {o.error}", file=sys.stderr)
    return 0 if n_ok == len(outcomes) else 2


class _Progress:
    """A rich progress bar on a terminal, nothing otherwise."""

    def __init__(self, total: int) -> None:
        from glutesense.cli.progress import is_terminal

        self.total = total
        self.progress = None
        if is_terminal():
            from rich.progress import Progress

            self.progress = Progress(transient=True)
            self.task = self.progress.add_task("analyzing", total=total)

    def __enter__(self) -> _Progress:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def done(self, _outcome: object) -> None:
        if self.progress is not None:
            self.progress.advance(self.task)
