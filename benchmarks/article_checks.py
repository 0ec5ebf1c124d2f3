"""Accuracy and speed of the article's other checks: the single-leg stand and the walking test.

Recordings come from the benchmark's own motor-unit generators (:mod:`sls_sim`, :mod:`walk_sim`),
written apart from glutesense's simulators and detectors.  Each condition prints accuracy and speed
in the same run:

* single-leg stand, per condition (sample rate, noise, tries per rep, squeeze latencies 100-1500 ms):
  latency found (share of reps with a usable squeeze), latency error median and p90 against the
  truth's sustained onset, false starts counted exactly (share of separable reps), tries ever taken
  as the onset (must be 0), and analysis speed in Msamples/s;
* walking and running, per condition (cadence 50-90 strides/min, walk, run, late glute):
  onset error median and p90 per muscle against the truth, share within 20 ms, firing order, and
  speed.

    python benchmarks/article_checks.py            # the full grid (a few minutes)
    python benchmarks/article_checks.py --quick    # one seed per condition
    python benchmarks/article_checks.py --only "15 dB"   # the conditions whose name holds the text
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import sls_sim
import walk_sim

from glutesense.analysis.pipeline import analyze
from glutesense.model.roles import Protocol


@dataclass(frozen=True)
class SlsCondition:
    name: str
    fs_hz: float
    snr_db: float
    tries: tuple[int, ...] | None
    merged_p: float = 0.0


@dataclass(frozen=True)
class WalkCondition:
    name: str
    fs_hz: float
    snr_db: float
    gait: str
    cadence_spm: float


SLS_CONDITIONS = (
    SlsCondition("1 kHz, 25 dB, 0-3 tries", 1000.0, 25.0, None),
    SlsCondition("2 kHz, 25 dB, 0-3 tries", 2000.0, 25.0, None),
    SlsCondition("1 kHz, 15 dB, 0-3 tries", 1000.0, 15.0, None),
    SlsCondition("1 kHz, 25 dB, no tries", 1000.0, 25.0, (0,)),
    SlsCondition("1 kHz, 25 dB, 3 tries each", 1000.0, 25.0, (3,)),
    SlsCondition("1 kHz, 25 dB, 30 % merged tries", 1000.0, 25.0, None, 0.3),
)

WALK_CONDITIONS = (
    WalkCondition("walk 50 spm, 1 kHz, 25 dB", 1000.0, 25.0, "walk", 50.0),
    WalkCondition("walk 70 spm, 1 kHz, 25 dB", 1000.0, 25.0, "walk", 70.0),
    WalkCondition("walk 90 spm, 2 kHz, 25 dB", 2000.0, 25.0, "walk", 90.0),
    WalkCondition("walk 55 spm, 1 kHz, 15 dB", 1000.0, 15.0, "walk", 55.0),
    WalkCondition("run 85 spm, 1 kHz, 22 dB", 1000.0, 22.0, "run", 85.0),
    WalkCondition("late glute 55 spm, 1 kHz, 25 dB", 1000.0, 25.0, "late", 55.0),
)

MUSCLES = ("glute_max", "hamstring", "glute_med")


def _pct(values: Iterable[float], q: float) -> float:
    a = np.asarray(list(values), dtype=float)
    return float(np.percentile(a, q)) if a.size else float("nan")


def _timed_analyze(recording: object, protocol: Protocol) -> tuple[object, float, int]:
    n = sum(s.data.size for s in recording.streams)  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    result = analyze(recording, protocol)  # type: ignore[arg-type]
    return result, time.perf_counter() - t0, n


def sls_row(cond: SlsCondition, seeds: Iterable[int]) -> dict[str, float | str]:
    usable = found = 0
    errors_ms: list[float] = []
    separable = exact = taken_as_onset = 0
    wall_s = 0.0
    samples = 0
    for seed in seeds:
        spec = sls_sim.SlsSpec(
            fs_hz=cond.fs_hz,
            snr_db=cond.snr_db,
            seed=seed,
            n_reps=4,
            tries=cond.tries,
            merged_p=cond.merged_p,
        )
        rec = sls_sim.simulate(spec)
        res, dt, n = _timed_analyze(sls_sim.to_recording(rec), Protocol.SINGLE_LEG_STAND)
        wall_s += dt
        samples += n
        rows = {(r.side.value, r.rep): r for r in res.reps}  # type: ignore[attr-defined]
        for t in rec.truths:
            r = rows.get((t.side, t.rep))
            usable += 1
            if r is None or r.glute_onset_s is None:
                continue
            found += 1
            errors_ms.append(abs(1000.0 * (r.glute_onset_s - t.onset_s)))
            if t.tries and r.glute_onset_s <= t.tries[-1].end_s:
                taken_as_onset += 1
            if t.separable:
                separable += 1
                exact += int(r.false_starts == len(t.tries))
    return {
        "condition": cond.name,
        "reps": usable,
        "found %": 100.0 * found / max(usable, 1),
        "median ms": _pct(errors_ms, 50),
        "p90 ms": _pct(errors_ms, 90),
        "tries exact %": 100.0 * exact / max(separable, 1),
        "try as onset": taken_as_onset,
        "Msamples/s": samples / wall_s / 1e6,
    }


def walk_row(cond: WalkCondition, seeds: Iterable[int]) -> dict[str, float | str]:
    errors: dict[str, list[float]] = {m: [] for m in MUSCLES}
    strides = 0
    order_right = order_total = 0
    wall_s = 0.0
    samples = 0
    for seed in seeds:
        spec = walk_sim.WalkSpec(
            fs_hz=cond.fs_hz,
            snr_db=cond.snr_db,
            seed=seed,
            n_strides=30,
            gait=cond.gait,
            cadence_spm=cond.cadence_spm,
        )
        rec = walk_sim.simulate(spec)
        res, dt, n = _timed_analyze(walk_sim.to_recording(rec), Protocol.WALK)
        wall_s += dt
        samples += n
        for r in res.reps:  # type: ignore[attr-defined]
            got = {
                "glute_max": r.glute_onset_s,
                "hamstring": r.hamstring_onset_s,
                "glute_med": r.glute_med_onset_s,
            }
            truth: dict[str, float] = {}
            for m in MUSCLES:
                cands = [t for t in rec.truths if t.side == r.side.value and t.muscle == m]
                if not cands or r.touchdown_s is None:
                    continue
                t = min(cands, key=lambda c: abs(c.touchdown_s - r.touchdown_s))
                if abs(t.touchdown_s - r.touchdown_s) >= 0.15:
                    continue
                truth[m] = t.onset_s
                g = got[m]
                errors[m].append(np.inf if g is None else abs(1000.0 * (g - t.onset_s)))
            strides += 1
            g_max, g_ham = got["glute_max"], got["hamstring"]
            both = "glute_max" in truth and "hamstring" in truth
            if both and abs(truth["glute_max"] - truth["hamstring"]) >= 0.04:
                order_total += 1
                if g_max is not None and g_ham is not None:
                    order_right += int((g_max < g_ham) == (truth["glute_max"] < truth["hamstring"]))
    every = [e for m in MUSCLES for e in errors[m]]
    return {
        "condition": cond.name,
        "strides": strides,
        "median ms": _pct([e for e in every if np.isfinite(e)], 50),
        "p90 ms": _pct(every, 90),
        "within 20 ms %": 100.0 * float(np.mean(np.asarray(every) <= 20.0)) if every else float("nan"),
        "worst muscle within 20 ms %": min(
            100.0 * float(np.mean(np.asarray(errors[m]) <= 20.0)) for m in MUSCLES if errors[m]
        ),
        "order % (lag >= 40 ms)": 100.0 * order_right / order_total if order_total else float("nan"),
        "Msamples/s": samples / wall_s / 1e6,
    }


def _print(title: str, rows: list[dict[str, float | str]]) -> None:
    print(f"\n## {title}\n")
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("| " + " | ".join("---" for _ in keys) + " |")
    for row in rows:
        print("| " + " | ".join(_cell(v) for v in row.values()) + " |")


def _cell(v: float | str) -> str:
    if isinstance(v, str):
        return v
    if float(v).is_integer():
        return f"{v:.0f}"
    return f"{v:.2f}" if abs(v) < 1 else f"{v:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one seed per condition")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per condition (default 3)")
    ap.add_argument(
        "--only", default="", help="run only the conditions whose name holds this text (e.g. '15 dB', 'walk')"
    )
    args = ap.parse_args()
    seeds = range(1, 2) if args.quick else range(1, args.seeds + 1)
    t0 = time.perf_counter()
    sls = [c for c in SLS_CONDITIONS if args.only in c.name]
    walk = [c for c in WALK_CONDITIONS if args.only in c.name]
    if sls:
        _print("Single-leg stand (4 reps per side per recording)", [sls_row(c, seeds) for c in sls])
    if walk:
        _print("Walking and running (30 strides per recording)", [walk_row(c, seeds) for c in walk])
    print(f"\n(total {time.perf_counter() - t0:.0f} s; Msamples/s = analysis of every stream, no report)")


if __name__ == "__main__":
    main()
