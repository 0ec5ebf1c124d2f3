"""Throughput of ``glutesense batch`` for 1 and 2 workers (Dask LocalCluster, and the process pool).

    python benchmarks/batch_scaling.py [--files 40] [--detector default] [--scheduler dask|processes|both]

Writes small synthetic bridge recordings (EDF+, 500 Hz, one rep, about 6 s) to a temporary folder,
analyzes them with :func:`glutesense.batch.run_batch`, and prints recordings per second (wall
clock, including the cluster's start) and the speed-up of 2 workers over 1.  The machine's other
load counts too: run it on a quiet machine for figures to compare.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from glutesense.batch import Job, run_batch
from glutesense.export import write_edf
from glutesense.virtual.synth import SynthSpec, make_recording


def make_files(folder: Path, n: int) -> list[str]:
    paths = []
    for i in range(n):
        spec = SynthSpec(
            n_reps=1, fs_hz=500.0, rest_s=2.0, hold_s=1.5, between_s=1.0, lag_ms=-50.0 + i, seed=i
        )
        p = folder / f"r{i:04d}.edf"
        write_edf(make_recording(spec)[0], p)
        paths.append(str(p))
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--detector", default="default")
    ap.add_argument("--scheduler", choices=["dask", "processes", "both"], default="both")
    args = ap.parse_args()
    schedulers = ["dask", "processes"] if args.scheduler == "both" else [args.scheduler]
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_files(Path(tmp), args.files)
        jobs = [Job(p, "bridge", args.detector) for p in paths]
        print(f"{args.files} recordings (500 Hz, ~6 s each), detector {args.detector}")
        for scheduler in schedulers:
            rates = {}
            for workers in (1, 2):
                t0 = time.perf_counter()
                out = run_batch(jobs, scheduler=scheduler, workers=workers)
                wall = time.perf_counter() - t0
                assert all(o.ok for o in out), [o.error for o in out if not o.ok]
                rates[workers] = args.files / wall
                print(f"{scheduler:9s} workers={workers}: {wall:7.1f} s  {rates[workers]:6.2f} recordings/s")
            print(f"{scheduler:9s} speed-up 2 vs 1 worker: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
