"""Regenerate the sample sessions: the virtual sensor, recorded through the Bleak path.

    python sample_recordings/make_samples.py

Each sample is a native session (``.gses``) with the virtual person's ground truth in its
metadata, plus ``NAME_truth.json`` (the truth on the session clock) for readers without
glutesense.  The recordings run at 8x real time, so all four take about half a minute.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from glutesense.cli.main import main
from glutesense.io import read_native
from glutesense.virtual.truth import truth_in_session_time

HERE = Path(__file__).resolve().parent

SAMPLES = {
    "bridge_glute_first": ["--protocol", "bridge", "--reps", "4", "--sim-pattern", "glute-first",
                           "--sim-lag-ms", "-60", "--sim-seed", "11"],
    "bridge_glute_late": ["--protocol", "bridge", "--reps", "4", "--sim-pattern", "glute-late",
                          "--sim-lag-ms", "120", "--sim-seed", "12"],
    "sls_glute_first": ["--protocol", "single-leg-stand", "--reps", "2", "--rep-period-s", "6.5", "--sim-pattern", "glute-first",
                        "--sim-lag-ms", "-50", "--sim-seed", "13"],
    "sls_glute_late": ["--protocol", "single-leg-stand", "--reps", "2", "--rep-period-s", "6.5", "--sim-pattern", "glute-late",
                       "--sim-lag-ms", "150", "--sim-false-starts", "2", "--sim-seed", "14"],
}


def make(name: str, extra: list[str]) -> None:
    out = HERE / f"{name}.gses"
    if out.exists():
        out.unlink()
    code = main(["record", "--device", "sim", "--speed", "8", "--subject", "SIM01", "--rest-s", "4",
                 "--rep-period-s", "5", "--out", str(out), *extra])
    if code != 0:
        raise SystemExit(f"recording {name} failed with exit status {code}")
    truth = truth_in_session_time(read_native(out))
    (HERE / f"{name}_truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    names = sys.argv[1:] or list(SAMPLES)
    for n in names:
        make(n, SAMPLES[n])
        print(f"wrote {HERE / n}.gses")
