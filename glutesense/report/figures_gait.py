"""Walk report figures: the cycle-normalised envelopes gait labs show, and onsets stride by stride.

Each stride's envelope (the report's RMS trace) is resampled on 0-100 % of its cycle (0 = its
touchdown, 100 = the same foot's next one); the figure draws the mean over strides with a band of one
SD, each muscle normalised to the peak of its mean, the median onset (an onset before touchdown is
drawn at 100 + its %, the end of the previous cycle, as gait labs do) and the typical onset range of
healthy gait (:data:`glutesense.clinical.norms.GAIT_NORMS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from glutesense.analysis.metrics import RepResult
from glutesense.analysis.pipeline import AnalysisResult, ChannelResult
from glutesense.clinical import SessionClinical
from glutesense.clinical.gait import GAIT_MUSCLES, GaitSide
from glutesense.model.arrays import FloatArray
from glutesense.model.records import Recording
from glutesense.model.roles import Muscle, Role
from glutesense.report.figures import MUSCLE_COLOR, OKABE_ITO, FigureOut, png_bytes, session_figure

CYCLE_PCT = np.linspace(0.0, 100.0, 101)
_NAMES = {Muscle.GLUTE_MAX: "glute max", Muscle.GLUTE_MED: "glute med", Muscle.HAMSTRING: "hamstrings"}


def cycle_envelopes(ch: ChannelResult, reps: Sequence[RepResult]) -> FloatArray:
    """Each stride's envelope on :data:`CYCLE_PCT`, µV, shape (n_strides, 101) (NaN outside the data)."""
    t = ch.trace_t0_s + np.arange(ch.trace_uv.size) / ch.trace_hz
    rows = [
        np.interp(r.touchdown_s + CYCLE_PCT / 100.0 * r.stride_s, t, ch.trace_uv, left=np.nan, right=np.nan)
        for r in reps
        if r.touchdown_s is not None and r.stride_s
    ]
    return np.vstack(rows) if rows else np.zeros((0, CYCLE_PCT.size))


def _wrap(pct: float | None) -> float | None:
    return None if pct is None else (pct + 100.0 if pct < 0 else pct)


def _panel(ax: plt.Axes, result: AnalysisResult, g: GaitSide) -> None:
    reps = [r for r in result.reps if r.side is g.side]
    for muscle in GAIT_MUSCLES:
        ch = result.channel(Role.emg(muscle, g.side))
        timing = g.timing(muscle)
        if ch is None or timing is None:
            continue
        env = cycle_envelopes(ch, reps)
        if not env.size or not np.isfinite(env).any():
            continue
        mean, sd = np.nanmean(env, axis=0), np.nanstd(env, axis=0)
        peak = float(np.nanmax(mean)) or 1.0
        color = MUSCLE_COLOR[muscle]
        ax.plot(CYCLE_PCT, mean / peak, color=color, lw=1.6, label=_NAMES[muscle])
        ax.fill_between(CYCLE_PCT, (mean - sd) / peak, (mean + sd) / peak, color=color, alpha=0.15, lw=0)
        on = _wrap(timing.onset_pct_median)
        if on is not None:
            ax.axvline(on, color=color, ls="--", lw=1.1)
        if timing.norm is not None:
            lo, hi = (_wrap(x) for x in timing.norm.onset_pct)
            y = 1.15 + 0.07 * GAIT_MUSCLES.index(muscle)
            if lo is not None and hi is not None and lo <= hi:
                ax.plot([lo, hi], [y, y], color=color, lw=4, alpha=0.5, solid_capstyle="butt")
            elif lo is not None and hi is not None:  # the range spans touchdown: two pieces
                ax.plot([lo, 100.0], [y, y], color=color, lw=4, alpha=0.5, solid_capstyle="butt")
                ax.plot([0.0, hi], [y, y], color=color, lw=4, alpha=0.5, solid_capstyle="butt")
    ax.axvline(0.0, color=OKABE_ITO["black"], lw=0.8)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.05, 1.4)
    cad = f", {g.cadence_spm:.0f} strides/min" if g.cadence_spm else ""
    ax.set_title(f"{g.side.value} ({g.n_strides} strides, {g.gait}ing{cad})", fontsize=9)
    ax.set_xlabel("gait cycle (% from touchdown)", fontsize=8)
    ax.set_ylabel("envelope (of its mean's peak)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="center right")


def gait_cycle_figure(result: AnalysisResult, clin: SessionClinical) -> Figure | None:
    """Per side: mean ± SD envelope over the cycle per muscle, median onsets, typical onset ranges."""
    sides = [g for g in clin.gait if g.n_strides]
    if not sides:
        return None
    fig, axes = plt.subplots(1, len(sides), figsize=(5.2 * len(sides) + 0.6, 3.8), squeeze=False)
    for ax, g in zip(axes[0], sides, strict=True):
        _panel(ax, result, g)
    fig.suptitle(
        "Gait cycle: mean envelope ± 1 SD over strides; dashed = median onset; bars = typical onset of "
        "healthy gait",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def stride_onsets_figure(result: AnalysisResult, clin: SessionClinical) -> Figure | None:
    """Per side: each muscle's onset (% of the cycle from touchdown) stride by stride."""
    sides = [g for g in clin.gait if g.n_strides]
    if not sides:
        return None
    fig, axes = plt.subplots(1, len(sides), figsize=(5.2 * len(sides) + 0.6, 3.2), squeeze=False)
    for ax, g in zip(axes[0], sides, strict=True):
        reps = [r for r in result.reps if r.side is g.side]
        for muscle, get in (
            (Muscle.GLUTE_MAX, lambda r: r.glute_onset_pct),
            (Muscle.GLUTE_MED, lambda r: r.glute_med_onset_pct),
            (Muscle.HAMSTRING, lambda r: r.hamstring_onset_pct),
        ):
            pts = [(r.rep, get(r)) for r in reps if get(r) is not None]
            if pts:
                x, y = zip(*pts, strict=True)
                ax.plot(x, y, "o", ms=3, color=MUSCLE_COLOR[muscle], label=_NAMES[muscle])
        ax.axhline(0.0, color=OKABE_ITO["black"], lw=0.8)
        ax.set_title(f"{g.side.value}: onset per stride", fontsize=9)
        ax.set_xlabel("stride", fontsize=8)
        ax.set_ylabel("onset (% of cycle from touchdown)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def walk_figures(
    result: AnalysisResult, clin: SessionClinical, recording: Recording
) -> tuple[FigureOut, ...]:
    """The walk report's figures, in report order."""
    specs = (
        (
            "gait_cycle.png",
            "The gait cycle: each muscle's mean envelope over strides (± 1 SD), its median "
            "onset and the typical onset of healthy gait.",
            lambda: gait_cycle_figure(result, clin),
        ),
        (
            "stride_onsets.png",
            "Onsets stride by stride: how consistent each muscle's timing is.",
            lambda: stride_onsets_figure(result, clin),
        ),
        (
            "session.png",
            "The whole session: raw EMG per channel with touchdowns, detected bursts and lost data.",
            lambda: session_figure(result, recording),
        ),
    )
    out = []
    for name, caption, build in specs:
        fig = build()
        if fig is not None:
            out.append(FigureOut(name, caption, png_bytes(fig)))
    return tuple(out)
