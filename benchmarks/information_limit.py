"""How well can an onset be placed at all?  An oracle experiment for docs/accuracy.md.

The most favourable case there is: white Gaussian carrier and white background (no filtering, no
mains, no artifacts), the rest level known, the activation a raised-cosine rise of 150 ms, and the
fit of ``glutesense.detect.risefit`` told the true shape (``known shape``) or choosing among its
default shape family (``family``).  Whatever error remains is the information limit of the data,
not a weakness of detection or conditioning: no detector can do much better on real recordings.

Usage::

    python benchmarks/information_limit.py          # about 30 s
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from glutesense.detect.risefit import RISE_SHAPES, RiseShape, fit_rise, rise_amplitude

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


def main() -> int:
    rng = np.random.default_rng(1)
    print("# oracle: white carrier, known rest, raised-cosine rise of 150 ms, 60 trials per row")
    print(f"{'fs_hz':>6} {'snr_db':>6} {'shapes':>12} {'med|e|':>7} {'p90|e|':>7} {'bias':>6}")
    for fs in (200.0, 1000.0):
        for snr in (5.0, 10.0, 20.0):
            for label, shapes in (("known shape", (RiseShape.RAISED_COSINE,)), ("family", RISE_SHAPES)):
                e = np.array([trial(rng, fs, snr, 0.15, shapes) for _ in range(60)])
                print(f"{fs:6.0f} {snr:6.0f} {label:>12} {np.median(np.abs(e)):7.1f} "
                      f"{np.percentile(np.abs(e), 90):7.1f} {np.median(e):6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
