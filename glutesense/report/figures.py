"""Report figures (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from glutesense.analysis import AnalysisResult
from glutesense.roles import Muscle, Role, Side

_COLORS = {Muscle.GLUTE_MAX: "tab:red", Muscle.HAMSTRING: "tab:blue"}


def envelope_figure(result: AnalysisResult, side: Side) -> Figure:
    """Glute and hamstring envelopes of one side, with cues and detected onsets."""
    fig, ax = plt.subplots(figsize=(10, 3.2))
    for muscle, color in _COLORS.items():
        ch = result.channel(Role.emg(muscle, side))
        if ch is None:
            continue
        t = ch.trace_t0_s + np.arange(ch.trace_uv.size) / ch.trace_hz
        ax.plot(t, ch.trace_uv, color=color, lw=0.8, label=f"{muscle.value} envelope")
    for r in result.reps:
        if r.side is not side:
            continue
        if r.cue_s is not None:
            ax.axvline(r.cue_s, color="0.4", ls="--", lw=0.8)
        if r.glute_onset_s is not None:
            ax.axvline(r.glute_onset_s, color=_COLORS[Muscle.GLUTE_MAX], lw=1.2)
        if r.hamstring_onset_s is not None:
            ax.axvline(r.hamstring_onset_s, color=_COLORS[Muscle.HAMSTRING], lw=1.2)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("EMG RMS (µV)")
    ax.set_title(f"{side.value}: envelopes, cues (dashed) and onsets (solid)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def lag_figure(result: AnalysisResult) -> Figure:
    """Glute-minus-hamstring lag per rep and side."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for side, marker in ((Side.LEFT, "o"), (Side.RIGHT, "s")):
        pts = [(r.rep, r.glute_lag_ms) for r in result.reps if r.side is side and r.glute_lag_ms is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), marker=marker, ls="-", label=side.value)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel("rep")
    ax.set_ylabel("glute lag (ms, + = glute later)")
    ax.set_title("Glute onset minus hamstring onset")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def png_bytes(fig: Figure) -> bytes:
    """Render and close a figure; PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def all_figures(result: AnalysisResult) -> dict[str, bytes]:
    """File name -> PNG bytes of every report figure."""
    figs = {f"envelopes_{s.side.value}.png": png_bytes(envelope_figure(result, s.side)) for s in result.sides}
    figs["lag_per_rep.png"] = png_bytes(lag_figure(result))
    return figs
