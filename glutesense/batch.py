"""Many recordings, one table: analyze files in parallel on Dask (or a local process pool).

``glutesense batch 'data/**/*.edf' --protocol bridge --out DIR`` calls :func:`run_batch`.
Each file is analyzed by :func:`analyze_one` in a worker process (a top-level function, so it
pickles for both Dask and :mod:`concurrent.futures`); a file that fails gives an
:class:`Outcome` with its error and the others go on.  The combined table is every file's
``reps`` table with the file's path in front, in input order, so it does not depend on the
scheduler or the number of workers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glutesense.model.warning_notes import collected

SCHEDULERS = ("dask", "processes")


@dataclass(frozen=True)
class Job:
    """One file to analyze, with the settings every file shares."""

    path: str
    protocol: str
    detector: str = "default"
    fs_hz: float | None = None
    roles: tuple[tuple[str, str], ...] = ()
    emg_unit: str | None = None
    report_dir: str | None = None
    bids_dir: str | None = None
    bids_session: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What one file gave: its reps rows (column -> value) or the reason it failed."""

    path: str
    rows: tuple[dict[str, Any], ...] = ()
    columns: tuple[str, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.error is None


def analyze_one(job: Job) -> Outcome:
    """Analyze one file; every failure becomes an ``Outcome`` with a one-line reason."""
    from glutesense.api import analyze, read

    try:
        rec = read(job.path, fs_hz=job.fs_hz, roles=dict(job.roles) or None, emg_unit=job.emg_unit)
        with collected() as library:  # a worker's library warnings: notes, not raw stderr lines
            res = analyze(rec, job.protocol, detector=job.detector)
            table = res.reps
            if job.report_dir is not None:
                res.report(job.report_dir)
            if job.bids_dir is not None:
                from glutesense.export.bids import write_bids

                write_bids(rec, job.bids_dir, session=job.bids_session, dataset_files=False)
    except (ValueError, OSError) as e:  # InputError, ExportError, analysis refusals
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        return Outcome(job.path, error=msg if job.path in msg else f"{job.path}: {msg}")
    except Exception as e:  # one bad file must not stop the batch
        return Outcome(job.path, error=f"{job.path}: internal error: {type(e).__name__}: {e}")
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    rows = tuple({str(k): v for k, v in r.items()} for r in records)
    notes = (*res.analysis.notes, *library)
    return Outcome(job.path, rows, tuple(str(c) for c in table.columns), notes=notes)


def expand(patterns: Iterable[str]) -> list[str]:
    """Files matching the glob patterns (``**`` recursive), sorted, each once; plain paths kept."""
    import glob

    out: dict[str, None] = {}
    for pat in patterns:
        hits = sorted(glob.glob(pat, recursive=True)) if glob.has_magic(pat) else [pat]
        for h in hits:
            if not Path(h).is_dir():
                out.setdefault(h, None)
    return list(out)


def session_labels(paths: Sequence[str]) -> list[str]:
    """A BIDS session label per file: its name's letters and digits, made unique by a suffix."""
    seen: dict[str, int] = {}
    out = []
    for p in paths:
        base = re.sub(r"[^A-Za-z0-9]", "", Path(p).stem) or "1"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}{seen[base]}")
    return out


def run_batch(
    jobs: Sequence[Job],
    *,
    scheduler: str = "dask",
    address: str | None = None,
    workers: int | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Run ``jobs`` in parallel; outcomes in the order of ``jobs``.

    ``scheduler="dask"`` uses a Dask ``LocalCluster`` of ``workers`` processes (one thread each),
    or the distributed scheduler at ``address``; ``"processes"`` a local process pool.
    ``on_done`` is called as each file finishes (for a progress bar).
    """
    n = workers or os.cpu_count() or 1
    done: dict[str, Outcome] = {}
    for outcome in _dask(jobs, address, n) if scheduler == "dask" else _pool(jobs, n):
        done[outcome.path] = outcome
        if on_done is not None:
            on_done(outcome)
    return [done[j.path] for j in jobs]


def _pool(jobs: Sequence[Job], n: int) -> Iterator[Outcome]:
    with ProcessPoolExecutor(max_workers=n) as pool:
        futures: list[Future[Outcome]] = [pool.submit(analyze_one, j) for j in jobs]
        for f in as_completed(futures):
            yield f.result()


def _dask(jobs: Sequence[Job], address: str | None, n: int) -> Iterator[Outcome]:
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    if address is None:
        # Loopback only, on free ports (the scheduler's and its web server's: a None dashboard
        # address would mean 8787): nothing listens beyond this machine, and a busy 8786/8787
        # (another Dask, a notebook, a second batch) does not break the batch.
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address="127.0.0.1:0",
            silence_logs=50,
        )
    client = Client(cluster if cluster is not None else address)
    try:
        futures = client.map(analyze_one, list(jobs), pure=False)
        for f in dask_completed(futures):
            yield f.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def dask_available() -> bool:
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return False
    return True


def combined_table(outcomes: Sequence[Outcome]) -> tuple[Any, Any]:
    """``(reps, failures)`` DataFrames: every file's reps with ``recording`` (its path) first, in
    input order; one failure row (``recording``, ``error``) per file that failed."""
    import pandas as pd

    columns: list[str] = []
    for o in outcomes:
        columns += [c for c in o.columns if c not in columns]
    rows = [{"recording": o.path, **r} for o in outcomes for r in o.rows]
    reps = pd.DataFrame(rows, columns=["recording", *columns])
    for col in ("rep", "false_starts"):
        if col in reps:
            reps[col] = reps[col].astype("Int64")
    for col in reps.columns[1:]:
        if reps[col].dtype == object:
            converted = pd.to_numeric(reps[col], errors="coerce")
            if converted.notna().sum() == reps[col].notna().sum():
                reps[col] = converted
    failures = pd.DataFrame(
        [{"recording": o.path, "error": o.error} for o in outcomes if not o.ok],
        columns=["recording", "error"],
    )
    return reps, failures
