"""The training set's figure: median frequency and amplitude per rep (matplotlib; report only)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from glutesense.analysis.training import GLUTES, SetSummary
from glutesense.report.figures import FigureOut, png_bytes


def fatigue_figure(summary: SetSummary) -> FigureOut:
    """MDF per rep of each glute and of both, with the Theil-Sen line; amplitude beside it."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
    reps = np.array([r.rep for r in summary.reps], dtype=float)
    for role in GLUTES:
        y = [m.spectrum.mdf_hz if (m := r.muscle(role)) else np.nan for r in summary.reps]
        ax.plot(reps, y, "o", ms=3, alpha=0.6, label=role.value)
        z = [m.spectrum.rms_uv if (m := r.muscle(role)) else np.nan for r in summary.reps]
        ax2.plot(reps, z, "o-", ms=3, label=role.value)
    pooled = [s.mdf_hz for s in summary.glute_fatigue.spectra]  # read against the set's own spectrum
    ax.plot(reps, pooled, "ks", ms=4, label="glutes (set)")
    t = summary.glute_fatigue.mdf
    if t is not None and reps.size:
        ax.plot(reps, t.first + t.slope * (reps - reps[0]), "k-", lw=1, label=f"{t.slope_pct:+.1f} %/rep")
    ax.set(xlabel="rep", ylabel="median frequency (Hz)", title="Fatigue: median frequency")
    ax2.set(xlabel="rep", ylabel="RMS (µV)", title="Amplitude")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return FigureOut(
        "training_fatigue.png", "Median frequency and amplitude per rep over the set", png_bytes(fig)
    )
