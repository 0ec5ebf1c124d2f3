"""The rise fit alone: the coarse-to-fine grid against the whole grid and the NumPy path, same inputs.

    python benchmarks/risefit_speed.py            # 4 bridge_sim recordings + 1 minute of speed.py's session
    python benchmarks/risefit_speed.py --quick    # 2 recordings

Every ``fit_rise`` call of the default detector while ``analyze`` runs on the recordings is captured
(its exact inputs), then replayed three ways in one process, interleaved: the shipped path (compiled
kernel, coarse-to-fine grid), the same kernel on the whole grid (``risegrid.PRUNE_NATS = inf``: every
(model, onset) cell fitted) and the NumPy path on the whole grid (the plain baseline).  Prints CPU
time per fit (best of 3), the ratios, the share of cells fitted, and the largest difference of the
onset, its SD and the shape evidence from the whole grid (they must be rounding).  Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import glutesense.detect.default as default_mod  # noqa: E402
from glutesense.detect import risefit, risegrid  # noqa: E402

Call = tuple[tuple[Any, ...], dict[str, Any]]


def capture(quick: bool) -> tuple[list[Call], list[str]]:
    """Inputs of every rise fit of ``analyze`` on the benchmark recordings, and their labels."""
    from bridge_sim import SimSpec, simulate
    from onset_accuracy import _to_recording
    from speed import long_recording

    from glutesense.analysis.pipeline import analyze

    calls: list[Call] = []
    labels: list[str] = []
    real = default_mod.fit_rise

    def spy(*args: Any, **kw: Any) -> risefit.RiseFit | None:
        calls.append((args, kw))
        return real(*args, **kw)

    cells = [
        (2000, 6.0, "mix", 1),
        (500, 3.0, "mix", 3),
        (1000, 15.0, "consistent", 2),
        (2000, 25.0, "consistent", 4),
    ]
    default_mod.fit_rise = spy  # type: ignore[assignment]
    try:
        for fs, snr, mode, seed in cells[: 2 if quick else 4]:
            n0 = len(calls)
            analyze(
                _to_recording(simulate(SimSpec(fs_hz=fs, snr_db=snr, artifacts=True, seed=seed, mode=mode))),
                "bridge",
            )
            labels += [f"bridge_sim {fs} Hz {snr:g} dB {mode}"] * (len(calls) - n0)
        n0 = len(calls)
        analyze(long_recording(1.0), "bridge")
        labels += ["speed.py session (1 min)"] * (len(calls) - n0)
    finally:
        default_mod.fit_rise = real  # type: ignore[assignment]
    return calls, labels


def run(calls: list[Call], *, whole: bool, numpy_path: bool) -> tuple[float, list[risefit.RiseFit | None]]:
    """CPU seconds of all fits and their results under one configuration."""
    risegrid.PRUNE_NATS, risefit._FORCE_NUMPY[0] = (np.inf if whole else 30.0), numpy_path
    try:
        t0 = time.process_time()
        out = [risefit.fit_rise(*a, **k) for a, k in calls]
        return time.process_time() - t0, out
    finally:
        risegrid.PRUNE_NATS, risefit._FORCE_NUMPY[0] = 30.0, False


def differences(
    a: list[risefit.RiseFit | None], b: list[risefit.RiseFit | None]
) -> tuple[float, float, float]:
    """Largest |onset| and |SD| difference (ms) and of the normalised shape evidence."""
    d_on = d_sd = d_ev = 0.0
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            continue
        d_on = max(d_on, 1000.0 * abs(x.onset_s - y.onset_s))
        d_sd = max(d_sd, 1000.0 * abs(x.onset_sd_s - y.onset_sd_s))
        ex, ey = x.shape_evidence(), y.shape_evidence()
        d_ev = max(d_ev, float(np.max(np.abs(np.exp(ex - ex.max()) - np.exp(ey - ey.max())))))
    return d_on, d_sd, d_ev


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 bridge_sim recordings instead of 4")
    args = ap.parse_args(argv)
    calls, labels = capture(args.quick)
    if not risefit.use_kernel():
        print("numba is not installed: only the NumPy path runs (pip install glutesense[fast])")
    run(calls[:2], whole=False, numpy_path=False)  # compile / load the kernel
    configs = {
        "shipped (kernel, coarse to fine)": (False, False),
        "kernel, whole grid": (True, False),
        "NumPy, whole grid": (True, True),
    }
    best = {name: np.inf for name in configs}
    results: dict[str, list[risefit.RiseFit | None]] = {}
    for _ in range(3):  # interleaved, best of 3: the machine is shared
        for name, (whole, numpy_path) in configs.items():
            dt, results[name] = run(calls, whole=whole, numpy_path=numpy_path)
            best[name] = min(best[name], dt)
    print(f"# {len(calls)} rise fits captured from analyze ({', '.join(sorted(set(labels)))})")
    ref = best["NumPy, whole grid"]
    for name, dt in best.items():
        print(f"{name:34s} {1000 * dt / len(calls):8.2f} ms per fit   {ref / dt:6.1f}x the NumPy whole grid")
    d_on, d_sd, d_ev = differences(results["shipped (kernel, coarse to fine)"], results["NumPy, whole grid"])
    print(
        f"shipped vs NumPy whole grid: largest |d onset| {d_on:.2e} ms, |d SD| {d_sd:.2e} ms, "
        f"|d shape evidence| {d_ev:.1e}"
    )
    for label in sorted(set(labels)):
        sel = [c for c, lab in zip(calls, labels, strict=True) if lab == label]
        t_s, _ = run(sel, whole=False, numpy_path=False)
        t_w, _ = run(sel, whole=True, numpy_path=False)
        print(
            f"  {label:40s} {len(sel):4d} fits  {1000 * t_s / len(sel):6.2f} ms per fit, "
            f"{t_w / t_s:4.1f}x faster than its whole grid"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
