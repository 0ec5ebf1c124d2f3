"""Figures across reps and sides: the lag per rep against the healthy bands, and left versus right."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from glutesense.analysis.pipeline import AnalysisResult
from glutesense.clinical import SessionClinical, norms
from glutesense.model.roles import Protocol, Side
from glutesense.report.figure_base import GREY, OKABE_ITO, SIDE_COLOR, SIDE_MARKER, side_reps


def lag_figure(result: AnalysisResult, clin: SessionClinical) -> Figure:
    """Lag per rep and side with its uncertainty, and the typical and "later than healthy" bands."""
    fig, ax = plt.subplots(figsize=(9.0, 3.6))
    t = clin.thresholds
    late = 0.0
    if result.protocol is Protocol.BRIDGE:
        rng = norms.GLUTE_LAG_VS_HAMSTRING
        lo, hi = rng.band_ms(t.typical_sd)
        late = rng.band_ms(t.delayed_sd)[1]
        ax.axhspan(lo, hi, color=OKABE_ITO["green"], alpha=0.12, lw=0, label=f"typical ({rng.source.key})")
        ax.axhspan(
            late, late + 2000, color=OKABE_ITO["vermillion"], alpha=0.12, lw=0, label="later than healthy"
        )
    offsets = {Side.LEFT: -0.08, Side.RIGHT: 0.08}
    values: list[float] = []
    for side in Side:
        pts = [(r.rep, r.result.glute_lag_ms, r.glute_lag_sd_ms) for r in side_reps(clin, side)]
        pts = [p for p in pts if p[1] is not None]
        if not pts:
            continue
        x = np.array([p[0] for p in pts], dtype=float) + offsets[side]
        y = np.array([p[1] for p in pts], dtype=float)
        err = np.array([np.nan if p[2] is None else p[2] for p in pts], dtype=float)
        values += list(y + np.nan_to_num(err)) + list(y - np.nan_to_num(err))
        ax.errorbar(
            x,
            y,
            yerr=None if np.isnan(err).all() else err,
            fmt=SIDE_MARKER[side],
            color=SIDE_COLOR[side],
            ecolor=SIDE_COLOR[side],
            capsize=3,
            label=f"{side.value} (± 1 SD)" if not np.isnan(err).all() else side.value,
        )
    ax.axhline(0.0, color=OKABE_ITO["black"], lw=0.8)
    if result.protocol is Protocol.BRIDGE:
        values += [norms.GLUTE_LAG_VS_HAMSTRING.band_ms(t.typical_sd)[0], late + 80.0]
    if values:
        lo_v, hi_v = min([*values, -50.0]), max([*values, 50.0])
        pad = 0.08 * (hi_v - lo_v)
        ax.set_ylim(lo_v - pad, hi_v + pad)
    ax.set_xlabel("rep")
    ax.set_ylabel("glute lag (ms; + = glute later)")
    ax.set_title("Glute onset minus hamstring onset, per rep", fontsize=10)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    return fig


def left_right_figure(result: AnalysisResult, clin: SessionClinical) -> Figure | None:
    """Left versus right: lag per rep (with medians) and glute hold activation."""
    sides = [s.side for s in clin.sides]
    if len(sides) < 2:
        return None
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2))
    for i, side in enumerate(sides):
        lags = [r.result.glute_lag_ms for r in side_reps(clin, side) if r.result.glute_lag_ms is not None]
        if lags:
            a1.plot(np.full(len(lags), i), lags, SIDE_MARKER[side], color=SIDE_COLOR[side], alpha=0.8)
            a1.hlines(np.median(lags), i - 0.25, i + 0.25, color=OKABE_ITO["black"], lw=2)
        holds = [  # a silent glute has no hold to show
            r.result.glute_hold_uv
            for r in side_reps(clin, side)
            if r.result.glute_hold_uv is not None and r.result.glute_onset_s is not None
        ]
        if holds:
            a2.bar(i, float(np.median(holds)), color=SIDE_COLOR[side], width=0.6)
            a2.plot(np.full(len(holds), i), holds, "k.", ms=4)
    for ax in (a1, a2):
        ax.set_xticks(range(len(sides)), [s.value for s in sides])
        ax.set_xlim(-0.7, len(sides) - 0.3)
    a1.axhline(0.0, color=GREY, lw=0.8)
    a1.set_ylabel("glute lag (ms; + = glute later)")
    a1.set_title("Lag per rep (bar = median)", fontsize=9)
    a2.set_ylabel("glute hold EMG RMS (µV)")
    si = clin.symmetry_index_pct
    a2.set_title(
        "Glute hold activation" + (f" (SI {round(si):+d} %)" if si is not None and round(si) else ""),
        fontsize=9,
    )
    fig.tight_layout()
    return fig
