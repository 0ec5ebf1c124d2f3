"""How well can an onset be placed at all?  An oracle experiment for docs/accuracy.md.

The most favourable case there is: white Gaussian carrier and white background (no filtering, no
mains, no artifacts), the rest level known, the activation a raised-cosine rise of 150 ms, and the
fit of ``glutesense.detect.risefit`` told the true shape (``known shape``) or choosing among its
default shape family (``family``).  Whatever error remains is the information limit of the data,
not a weakness of detection or conditioning: no detector can do much better on real recordings.

The second table asks the same question over the benchmark's own realistic range (``bridge_sim``'s
five rise shapes, rise times 30-250 ms, SNR 3-25 dB, 200-2000 Hz): a near-oracle that is told the
true shape (exactly ``bridge_sim``'s function) and the rest level, knows the rise time lies in 30-250 ms
(marginalised, flat) and profiles out the plateau power, sees a white carrier with as many independent samples
per second as the benchmark's analysis band allows (``2 B`` for a band of ``B`` Hz: 20 Hz to
min(450 Hz, 0.45 fs); a band-limited Gaussian signal carries no more), and only has to place the onset
(posterior median on a 2 ms grid).  Its errors bound from below what any detector can reach on
``onset_accuracy.py``.  A second near-oracle is not told the shape: it averages over the five shapes
with equal weight, which is the benchmark's own mix, so on average no detector can do better; its
``order%`` is the firing order it would get right for the benchmark's lags (two independent onset
errors drawn from its own).

The third column group is the ``consistent`` mode (each muscle of a session keeps one shape and a
rise time within +-20 % of its own mean): the near-oracle is told the shape and the mean, i.e. what a
detector that learnt the muscle's rise perfectly from its other reps would know.

Usage::

    python benchmarks/information_limit.py                      # a few minutes
    python benchmarks/information_limit.py --range-only --write # the per-cell near-oracle for
                                                                # onset_accuracy.py (near_oracle.json)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.special import logsumexp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bridge_sim import SHAPES, shape_value

from glutesense.detect.risefit import RISE_SHAPES, RiseShape, fit_rise, rise_amplitude

FloatArray = npt.NDArray[np.float64]

RISE_GRID_S = np.array([0.015, 0.03, 0.05, 0.07, 0.09, 0.12, 0.15, 0.18, 0.22, 0.26, 0.3])


def trial(rng: np.random.Generator, fs: float, snr_db: float, rise_s: float,
          shapes: tuple[RiseShape, ...]) -> float:
    k = max(1, round(0.005 * fs))
    n = int(1.5 * fs)
    t = np.arange(n) / fs
    t0 = 0.6 + rng.uniform(0.0, 0.005)
    amp = 10 ** (snr_db / 20.0) * rise_amplitude(RiseShape.RAISED_COSINE, (t - t0) / rise_s)
    x = rng.standard_normal(n) * np.sqrt(1.0 + amp**2)
    power = np.square(x)[: n // k * k].reshape(-1, k).mean(axis=1)
    t_bins = (np.arange(power.size) + 0.5) * k / fs
    hi = int((t0 + rise_s + 0.1) * fs / k)
    fit = fit_rise(t_bins[:hi], power[:hi], nu=k, base_power=1.0, prior_nu=0.2 * fs,
                   onset_range_s=(0.3, 0.9), onset_step_s=max(0.002, 1 / fs), rise_grid_s=RISE_GRID_S,
                   bin_s=k / fs, shapes=shapes)
    assert fit is not None
    return (fit.onset_s - t0) * 1000.0


def _shape_loglik(t: FloatArray, x2: FloatArray, grid: FloatArray, shape: str, plateau: float,
                  rises: FloatArray | None = None) -> FloatArray:
    """Log-likelihood over the onset grid for one shape: rise time marginalised over ``rises`` (flat;
    default 30-250 ms), plateau power profiled out (Newton steps from the true value), rest power
    known (1)."""
    rises = np.linspace(0.03, 0.25, 9) if rises is None else rises
    s = shape_value(shape, (t[None, None, :] - grid[None, :, None]) / rises[:, None, None]) ** 2
    a = np.full((*s.shape[:2], 1), plateau)
    for _ in range(5):
        lam = 1.0 + a * s
        g1 = (s / lam - x2 * s / lam**2).sum(axis=2, keepdims=True)
        g2 = (-(s**2) / lam**2 + 2.0 * x2 * s**2 / lam**3).sum(axis=2, keepdims=True)
        a = np.clip(a - g1 / np.where(g2 > 0, g2, np.inf), 0.05 * plateau, 20.0 * plateau)
    lam = 1.0 + a * s
    loglik = -0.5 * (np.log(lam) + x2 / lam).sum(axis=2)  # (rises, onsets)
    return np.asarray(logsumexp(loglik, axis=0) - np.log(rises.size))


def _median(grid: FloatArray, loglik: FloatArray) -> float:
    post = np.exp(loglik - loglik.max())
    cdf = np.cumsum(post) / post.sum()
    return float(grid[int(np.searchsorted(cdf, 0.5))])


def _oracle_signal(rng: np.random.Generator, fs: float, snr_db: float, shape: str,
                   rise_s: float) -> tuple[FloatArray, FloatArray, FloatArray, float, float]:
    """White-carrier power samples of one activation: (t, x2, onset grid, true onset, plateau power)."""
    fs = 2.0 * (min(450.0, 0.45 * fs) - 20.0)  # independent samples per second in the band
    t0 = 0.35 + rng.uniform(0.0, 1.0 / fs)
    n = round((t0 + 0.4) * fs)
    t = np.arange(n) / fs  # the rest level is known: samples before the onset grid carry nothing
    plateau = 10 ** (snr_db / 10.0)
    x2 = rng.standard_normal(n) ** 2 * (1.0 + plateau * shape_value(shape, (t - t0) / rise_s) ** 2)
    grid = np.arange(t0 - 0.3, t0 + 0.25, 0.002)  # from 0.05 s
    return t, x2, grid, t0, plateau


def oracle_trial(rng: np.random.Generator, fs: float, snr_db: float, shape: str,
                 rise_s: float) -> tuple[float, float]:
    """Signed onset errors (ms) of the near-oracle told the shape, and of the one that is not (it
    averages over ``bridge_sim``'s five shapes with equal weight: Bayes-optimal for the benchmark's own
    mix, so no detector can beat it on average); module docstring."""
    t, x2, grid, t0, plateau = _oracle_signal(rng, fs, snr_db, shape, rise_s)
    per_shape = {sh: _shape_loglik(t, x2, grid, sh, plateau) for sh in SHAPES}
    known = _median(grid, per_shape[shape])
    unknown = _median(grid, logsumexp(np.vstack(list(per_shape.values())), axis=0))
    return (known - t0) * 1000.0, (unknown - t0) * 1000.0


def consistent_trial(rng: np.random.Generator, fs: float, snr_db: float, shape: str,
                     mean_rise_s: float) -> float:
    """``consistent`` mode: signed onset error (ms) of the near-oracle told the muscle's shape and
    mean rise time, its rise in this rep marginalised over +-20 % of that mean (what a detector that
    learnt the muscle's rise perfectly from its other reps would know)."""
    rise_s = mean_rise_s * rng.uniform(0.8, 1.2)
    t, x2, grid, t0, plateau = _oracle_signal(rng, fs, snr_db, shape, rise_s)
    rises = mean_rise_s * np.linspace(0.8, 1.2, 5)
    return (_median(grid, _shape_loglik(t, x2, grid, shape, plateau, rises)) - t0) * 1000.0


def _order_right(rng: np.random.Generator, errors_ms: FloatArray, n: int = 20000) -> float:
    """Firing order right (%) for the benchmark's lags (uniform -150..+250 ms, |lag| >= 40 ms) when each
    of the two onsets carries an independent error drawn from ``errors_ms``."""
    lag = rng.uniform(-150.0, 250.0, n)
    lag = lag[np.abs(lag) >= 40.0]
    seen = lag + rng.choice(errors_ms, lag.size) - rng.choice(errors_ms, lag.size)
    return 100.0 * float(np.mean(np.sign(seen) == np.sign(lag)))


CELLS = tuple((lo, hi, fs) for lo, hi in ((3.0, 10.0), (10.0, 17.0), (17.0, 25.0))
              for fs in (200.0, 500.0, 1000.0, 2000.0))
"""onset_accuracy.py's realistic cells: (SNR band low, high, dB; fs, Hz)."""
ORACLE_JSON = Path(__file__).resolve().parent / "near_oracle.json"


def cell_key(lo: float, hi: float, fs: float) -> str:
    return f"{lo:g}-{hi:g}@{fs:g}"


def benchmark_range(rng: np.random.Generator, n_per_cell: int) -> dict[str, dict[str, float]]:
    """Both benchmark modes on the same cells; returns ``{mode@cell: {med, p90, bias, order}}``."""
    print("\n# near-oracle over onset_accuracy.py's realistic range: bridge_sim shapes, rise 30-250 ms; "
          f"{n_per_cell} onsets per cell and mode; error vs the activation start, ms")
    print("#   mix: every activation draws shape and rise afresh; oracle told the rest level, rise "
          "marginalised over 30-250 ms, shape told / shape inferred (equal-weight average of the five)")
    print("#   consistent: each muscle keeps one shape, rise within +-20 % of its own mean; oracle told "
          "the shape and the mean (rise marginalised over +-20 %): a perfect per-session learner")
    print(f"{'snr_db':>7} {'fs_hz':>6} | {'mix, shape told: med':>20} {'p90':>6} {'bias':>6} | "
          f"{'mix, inferred: med':>18} {'p90':>6} {'bias':>6} {'order%':>6} | "
          f"{'consistent: med':>15} {'p90':>6} {'bias':>6} {'order%':>6}")
    table: dict[str, dict[str, float]] = {}
    everything, consistent_all = [], []
    pairing = np.random.default_rng(99)  # apart from ``rng``: the error columns do not depend on it
    for lo, hi, fs in CELLS:
        e = np.array([
            oracle_trial(rng, fs, rng.uniform(lo, hi), str(rng.choice(SHAPES)), rng.uniform(0.03, 0.25))
            for _ in range(n_per_cell)
        ])
        c = np.array([
            consistent_trial(rng, fs, rng.uniform(lo, hi), str(rng.choice(SHAPES)),
                             rng.uniform(0.03 / 0.8, 0.25 / 1.2))
            for _ in range(n_per_cell)
        ])
        everything.append(e)
        consistent_all.append(c)
        for mode, err in (("mix", e[:, 1]), ("consistent", c)):
            table[f"{mode}@{cell_key(lo, hi, fs)}"] = {
                "med": float(np.median(np.abs(err))), "p90": float(np.percentile(np.abs(err), 90)),
                "bias": float(np.median(err)), "order": _order_right(pairing, err)}
        cols = [f"{np.median(np.abs(e[:, 0])):20.1f} {np.percentile(np.abs(e[:, 0]), 90):6.1f} "
                f"{np.median(e[:, 0]):6.1f}"]
        for mode, w in (("mix", 18), ("consistent", 15)):
            r = table[f"{mode}@{cell_key(lo, hi, fs)}"]
            cols.append(f"{r['med']:{w}.1f} {r['p90']:6.1f} {r['bias']:6.1f} {r['order']:6.1f}")
        print(f"{lo:3.0f}-{hi:<3.0f} {fs:6.0f} | " + " | ".join(cols))
    a = np.abs(np.vstack(everything))
    ca = np.abs(np.concatenate(consistent_all))
    print(f"{'all':>7} {'':>6} | {np.median(a[:, 0]):20.1f} {np.percentile(a[:, 0], 90):6.1f} {'':>6} | "
          f"{np.median(a[:, 1]):18.1f} {np.percentile(a[:, 1], 90):6.1f} | "
          f"{np.median(ca):15.1f} {np.percentile(ca, 90):6.1f}")
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-cell", type=int, default=30, help="onsets per cell and mode (default 30)")
    ap.add_argument("--range-only", action="store_true", help="skip the first (white, 150 ms) table")
    ap.add_argument("--write", action="store_true",
                    help=f"store the per-cell near-oracle for onset_accuracy.py in {ORACLE_JSON.name}")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(1)
    if not args.range_only:
        print("# oracle: white carrier, known rest, raised-cosine rise of 150 ms, 60 trials per row")
        print(f"{'fs_hz':>6} {'snr_db':>6} {'shapes':>12} {'med|e|':>7} {'p90|e|':>7} {'bias':>6}")
        for fs in (200.0, 1000.0):
            for snr in (5.0, 10.0, 20.0):
                for label, shapes in (("known shape", (RiseShape.RAISED_COSINE,)), ("family", RISE_SHAPES)):
                    e = np.array([trial(rng, fs, snr, 0.15, shapes) for _ in range(60)])
                    print(f"{fs:6.0f} {snr:6.0f} {label:>12} {np.median(np.abs(e)):7.1f} "
                          f"{np.percentile(np.abs(e), 90):7.1f} {np.median(e):6.1f}")
    table = benchmark_range(rng, args.per_cell)
    if args.write:
        command = "python benchmarks/information_limit.py " + " ".join(argv or sys.argv[1:])
        ORACLE_JSON.write_text(json.dumps({"per_cell": args.per_cell, "command": command, "cells": table},
                                          indent=1) + "\n")
        print(f"# wrote {ORACLE_JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
