"""Per-rep figures of one side: envelopes rep by rep, and every rep overlaid with the median."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from glutesense.analysis.pipeline import AnalysisResult
from glutesense.clinical import SessionClinical
from glutesense.clinical.wording import signed_ms
from glutesense.model.roles import Muscle, Role, Side
from glutesense.report.figure_base import (
    GREY,
    MAX_OVERLAY,
    MAX_PANELS,
    MUSCLE_COLOR,
    OKABE_ITO,
    align_time,
    ref_level,
    side_reps,
    window,
)


def rep_panels_figure(
    result: AnalysisResult, clin: SessionClinical, side: Side, *, max_cols: int = 4
) -> Figure | None:
    """Per rep: glute and hamstring envelopes aligned on movement onset, onsets marked, the lag shaded.

    The first :data:`MAX_PANELS` reps, ``max_cols`` panels a row (2 for a phone-width copy).
    """
    reps = [r for r in side_reps(clin, side) if align_time(r)[0] is not None][:MAX_PANELS]
    g = result.channel(Role.emg(Muscle.GLUTE_MAX, side))
    h = result.channel(Role.emg(Muscle.HAMSTRING, side))
    if not reps or g is None or h is None:
        return None
    ncols = min(len(reps), max_cols)
    nrows = (len(reps) + ncols - 1) // ncols
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(max(2.6 * ncols + 0.6, 7.0), 2.3 * nrows + 0.9), squeeze=False
    )
    label = align_time(reps[0])[1]
    for ax, rep in zip(axes.flat, reps, strict=False):
        t0, _ = align_time(rep)
        assert t0 is not None
        for ch, muscle in ((g, Muscle.GLUTE_MAX), (h, Muscle.HAMSTRING)):
            t_rel, y = window(ch, t0, 1.0, 1.5)
            ax.plot(t_rel * 1000, y, color=MUSCLE_COLOR[muscle], lw=1.0)
        r = rep.result
        marks = ((r.glute_onset_s, Muscle.GLUTE_MAX), (r.hamstring_onset_s, Muscle.HAMSTRING))
        for t_on, muscle in marks:
            if t_on is not None:
                ax.axvline((t_on - t0) * 1000, color=MUSCLE_COLOR[muscle], ls="--", lw=1.2)
        if r.glute_onset_s is not None and r.hamstring_onset_s is not None:
            a, b = sorted(((r.glute_onset_s - t0) * 1000, (r.hamstring_onset_s - t0) * 1000))
            ax.axvspan(a, b, color=OKABE_ITO["yellow"], alpha=0.45, lw=0)
        ax.axvline(0.0, color=OKABE_ITO["black"], lw=0.7)
        lag = "lag n/a" if r.glute_lag_ms is None else f"lag {signed_ms(r.glute_lag_ms)}"
        ax.set_title(f"rep {r.rep}: {lag}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(reps) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(f"time from {label} (ms)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("EMG RMS (µV)", fontsize=8)
    handles = [
        Line2D([], [], color=MUSCLE_COLOR[Muscle.GLUTE_MAX], lw=1.5, label="glute max"),
        Line2D([], [], color=MUSCLE_COLOR[Muscle.HAMSTRING], lw=1.5, label="hamstring"),
        Line2D([], [], color=GREY, ls="--", lw=1.2, label="onset"),
        Patch(color=OKABE_ITO["yellow"], alpha=0.45, label="lag"),
    ]
    fig.suptitle(f"{side.value.capitalize()} side, rep by rep", fontsize=10)
    fig.legend(handles=handles, loc="upper right", ncol=4 if ncols > 2 else 2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92 if nrows == 1 else 0.95))
    return fig


def overlay_figure(
    result: AnalysisResult, clin: SessionClinical, side: Side, *, stacked: bool = False
) -> Figure | None:
    """All reps overlaid (normalised to the reference) with their median, glute and hamstring side by side
    (``stacked``: one above the other, for phone width)."""
    reps = [r for r in side_reps(clin, side) if align_time(r)[0] is not None]
    if not reps:
        return None
    shape, size = ((2, 1), (5.0, 5.6)) if stacked else ((1, 2), (9.0, 3.0))
    fig, axes = plt.subplots(*shape, figsize=size, sharey=True, squeeze=False)
    axes = axes.flatten()
    label = align_time(reps[0])[1]
    for ax, muscle in zip(axes, (Muscle.GLUTE_MAX, Muscle.HAMSTRING), strict=True):
        ch = result.channel(Role.emg(muscle, side))
        if ch is None:
            ax.set_visible(False)
            continue
        ref = ref_level(clin, ch.role) or 1.0
        rows = []
        t_rel = np.zeros(0)
        drawn = set(np.linspace(0, len(reps) - 1, min(len(reps), MAX_OVERLAY)).round().astype(int).tolist())
        for k, rep in enumerate(reps):
            t0, _ = align_time(rep)
            assert t0 is not None
            t_rel, y = window(ch, t0, 1.0, 2.0)
            y = 100.0 * y / ref
            rows.append(y)
            if k in drawn:
                first = k == min(drawn)
                ax.plot(
                    t_rel * 1000,
                    y,
                    color=MUSCLE_COLOR[muscle],
                    lw=0.6,
                    alpha=0.35,
                    label="each rep" if first else None,
                )
        stack = np.vstack(rows)
        ok = np.isfinite(stack).any(axis=0)
        med = np.full(stack.shape[1], np.nan)
        if ok.any():
            med[ok] = np.nanmedian(stack[:, ok], axis=0)
        ax.plot(t_rel * 1000, med, color=OKABE_ITO["black"], lw=1.8, label="median")
        ax.axvline(0.0, color=GREY, lw=0.8)
        name = "glute max" if muscle is Muscle.GLUTE_MAX else "hamstring"
        ax.set_title(f"{side.value} {name}: {len(reps)} reps and median", fontsize=9)
        ax.set_xlabel(f"time from {label} (ms)")
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes if stacked else axes[:1]:
        ax.set_ylabel(f"EMG RMS (% of {clin.reference_kind})")
    fig.tight_layout()
    return fig
