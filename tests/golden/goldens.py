"""Golden outputs of the sample sessions: what ``glutesense analyze`` writes for each shipped sample,
kept in ``tests/golden/NAME/`` and compared with tolerances, so that a change in any number is a
decision (regenerate with ``python tests/golden/regenerate.py --write`` and say why in the commit).

Tolerances are the method's own precision, not noise allowances: times to 1 ms, ms figures to 1 ms,
other numbers to 0.1 % (or 1e-6 absolute); text and counts exactly.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLES = ROOT / "sample_recordings"
PROTOCOLS = {"bridge": "bridge", "sls": "single-leg-stand"}
FILES = ("reps.csv", "summary.json")
VOLATILE_KEYS = frozenset({"source", "version", "created", "written_at", "path", "out"})


def sample_names() -> list[str]:
    return sorted(p.stem for p in SAMPLES.glob("*.gses"))


def analyze_sample(name: str, out: Path) -> Path:
    """Run the CLI on a shipped sample, as a user would; return the output folder."""
    protocol = PROTOCOLS[name.split("_")[0]]
    cmd = [sys.executable, "-m", "glutesense", "analyze", str(SAMPLES / f"{name}.gses"),
           "--protocol", protocol, "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, env={"MPLBACKEND": "Agg", "PATH": ""})
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr[-2000:]}")
    return out


def _tolerance(key: str, value: float) -> float:
    if key.endswith("_s"):
        return 1e-3
    if key.endswith("_ms"):
        return 1.0
    return max(1e-6, 1e-3 * abs(value))


def compare_values(got: Any, want: Any, path: str = "") -> list[str]:
    """Differences between two JSON-like values, each named by its path."""
    key = path.rsplit("/", 1)[-1]
    if key in VOLATILE_KEYS:
        return []
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{path}/{k}: missing" for k in want if k not in got and k not in VOLATILE_KEYS]
        out += [f"{path}/{k}: new" for k in got if k not in want and k not in VOLATILE_KEYS]
        for k in want.keys() & got.keys():
            out += compare_values(got[k], want[k], f"{path}/{k}")
        return out
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return [f"{path}: {len(got)} items, golden {len(want)}"]
        pairs = enumerate(zip(got, want, strict=True))
        return [d for i, (g, w) in pairs for d in compare_values(g, w, f"{path}[{i}]")]
    both_numbers = isinstance(want, int | float) and isinstance(got, int | float)
    if both_numbers and not isinstance(want, bool) and not isinstance(got, bool):
        if isinstance(want, float) and math.isnan(want):
            return [] if isinstance(got, float) and math.isnan(got) else [f"{path}: {got}, golden NaN"]
        ok = abs(got - want) <= _tolerance(key, float(want))
        return [] if ok else [f"{path}: {got}, golden {want}"]
    return [] if got == want else [f"{path}: {got!r}, golden {want!r}"]


def compare_tables(got: pd.DataFrame, want: pd.DataFrame) -> list[str]:
    if list(got.columns) != list(want.columns):
        return [f"columns {list(got.columns)}, golden {list(want.columns)}"]
    if len(got) != len(want):
        return [f"{len(got)} rows, golden {len(want)}"]
    out: list[str] = []
    for c in want.columns:
        for i, (g, w) in enumerate(zip(got[c].tolist(), want[c].tolist(), strict=True)):
            g = None if isinstance(g, float) and math.isnan(g) else g
            w = None if isinstance(w, float) and math.isnan(w) else w
            out += compare_values(g, w, f"reps.csv row {i + 1}/{c}")
    return out


def compare_outputs(got_dir: Path, golden_dir: Path) -> list[str]:
    diffs = compare_tables(pd.read_csv(got_dir / "reps.csv"), pd.read_csv(golden_dir / "reps.csv"))
    got = json.loads((got_dir / "summary.json").read_text())
    want = json.loads((golden_dir / "summary.json").read_text())
    return diffs + compare_values(got, want, "summary.json")
