"""The whole-session figure (raw EMG per channel, drawn from min/max envelopes so a one-hour session
renders in seconds: ``benchmarks/report_speed.py``) and the single-leg stand's squeeze figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from glutesense.analysis.pipeline import AnalysisResult
from glutesense.clinical import SessionClinical
from glutesense.model.records import Recording
from glutesense.model.roles import Muscle, Role
from glutesense.report.figure_base import (
    GREY,
    MAX_BUCKETS,
    MUSCLE_COLOR,
    OKABE_ITO,
    FloatArray,
    side_reps,
    window,
)
from glutesense.signal.runs import runs_of


def minmax_decimate(x: FloatArray, n_buckets: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Min/max envelope of ``x`` in ``n_buckets`` equal buckets: (bucket centre index, low, high).

    NaN samples are ignored; a bucket with no finite sample gives NaN.
    """
    n = x.size
    size = max(int(np.ceil(n / n_buckets)), 1)
    m = int(np.ceil(n / size))
    padded = np.full(m * size, np.nan)
    padded[:n] = x
    b = padded.reshape(m, size)
    ok = np.isfinite(b)
    any_ok = ok.any(axis=1)
    lo = np.where(ok, b, np.inf).min(axis=1)
    hi = np.where(ok, b, -np.inf).max(axis=1)
    lo[~any_ok] = np.nan
    hi[~any_ok] = np.nan
    centre = np.arange(m, dtype=np.float64) * size + 0.5 * (size - 1)
    return centre, lo.astype(np.float64), hi.astype(np.float64)


def nan_spans(x: FloatArray, fs_hz: float, t0_s: float) -> list[tuple[float, float]]:
    """``[start_s, stop_s)`` of every run of NaN samples."""
    return [(t0_s + a / fs_hz, t0_s + b / fs_hz) for a, b in runs_of(~np.isfinite(x))]


def _robust_range(x: FloatArray) -> tuple[float, float]:
    """(0.05, 99.95) percentiles of the finite values of ``x`` ((-1, 1) if none)."""
    v = x[np.isfinite(x)]
    if not v.size:
        return -1.0, 1.0
    lo, hi = np.percentile(v, [0.05, 99.95])
    return float(lo), float(hi)


_CUE_LABELS = frozenset({"cue", "squeeze", "lift", "lower", "release", "mvc", "mvic", "reference", "mark"})


def session_figure(result: AnalysisResult, recording: Recording) -> Figure:
    """The whole session: raw EMG per channel (min/max envelope), cues, detected bursts and lost data."""
    chans = result.channels
    fig, axes = plt.subplots(len(chans), 1, figsize=(10, 1.15 * len(chans) + 1.0), sharex=True, squeeze=False)
    cue_times = [e.onset_s for e in recording.events if e.trial_type.split("_")[0].lower() in _CUE_LABELS]
    gap_events = [(e.onset_s, e.onset_s + e.duration_s) for e in recording.events if e.trial_type == "gap"]
    for ax, ch in zip(axes[:, 0], chans, strict=True):
        x, fs_hz, t0_s = recording.signal(ch.role)
        centre = np.nanmedian(x) if np.isfinite(x).any() else 0.0
        xc = x - centre
        color = MUSCLE_COLOR.get(ch.role.muscle or Muscle.GLUTE_MAX, OKABE_ITO["black"])
        if x.size > 4 * MAX_BUCKETS:
            idx, lo, hi = minmax_decimate(xc, MAX_BUCKETS)
            ax.fill_between(t0_s + idx / fs_hz, lo, hi, color=color, lw=0, step="mid")
            ylo, yhi = _robust_range(np.concatenate([lo, hi]))
        else:
            ax.plot(t0_s + np.arange(x.size) / fs_hz, xc, color=color, lw=0.4)
            ylo, yhi = _robust_range(xc)
        spans = nan_spans(x, fs_hz, t0_s) + gap_events
        if spans:
            ax.broken_barh(
                [(a, max(b - a, 1.0 / fs_hz)) for a, b in spans],
                (0, 1),
                transform=ax.get_xaxis_transform(),
                color=GREY,
                alpha=0.4,
                lw=0,
            )
        if cue_times:
            ax.vlines(
                cue_times,
                0,
                1,
                transform=ax.get_xaxis_transform(),
                color=OKABE_ITO["black"],
                lw=0.5,
                linestyles=":",
            )
        span = max(yhi - ylo, 1e-6)
        bars = [(b.onset_s, b.duration_s) for b in ch.bursts]
        if bars:
            ax.broken_barh(bars, (ylo - 0.18 * span, 0.1 * span), color=OKABE_ITO["green"])
        ax.set_ylim(ylo - 0.22 * span, yhi + 0.05 * span)
        ax.set_ylabel(f"{ch.role.value}\n(µV)", fontsize=7, rotation=0, ha="right", va="center")
        ax.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel("time (s)")
    axes[0, 0].set_title(
        "Whole session: raw EMG (median removed), cues (dotted), detected bursts (green bars), "
        "lost data (grey)",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def squeeze_figure(result: AnalysisResult, clin: SessionClinical) -> Figure | None:
    """Single-leg stand: glute envelope after each squeeze cue, the sustained onset and false starts."""
    rows = [s.side for s in clin.sides if any(r.result.cue_s is not None for r in side_reps(clin, s.side))]
    if not rows:
        return None
    ncols = min(max(len(side_reps(clin, s)) for s in rows), 6)
    fig, axes = plt.subplots(
        len(rows), ncols, figsize=(max(2.5 * ncols + 0.6, 7.0), 2.3 * len(rows) + 0.9), squeeze=False
    )
    cfg = result.settings.metrics
    for i, side in enumerate(rows):
        ch = result.channel(Role.emg(Muscle.GLUTE_MAX, side))
        reps = [r for r in side_reps(clin, side) if r.result.cue_s is not None][:ncols]
        for j in range(ncols):
            ax = axes[i, j]
            if j >= len(reps) or ch is None:
                ax.set_visible(False)
                continue
            r = reps[j].result
            assert r.cue_s is not None
            t_rel, y = window(ch, r.cue_s, 0.5, 3.0)
            ax.plot(t_rel, y, color=MUSCLE_COLOR[Muscle.GLUTE_MAX], lw=1.0)
            ax.axvline(0.0, color=OKABE_ITO["black"], lw=0.8, ls=":")
            stop = r.glute_onset_s if r.glute_onset_s is not None else r.cue_s + 3.0
            for b in ch.bursts:
                if r.cue_s <= b.onset_s < stop and b.duration_s < cfg.sustained_s:
                    ax.axvspan(
                        b.onset_s - r.cue_s, b.offset_s - r.cue_s, color=OKABE_ITO["orange"], alpha=0.4
                    )
            if r.glute_onset_s is not None:
                ax.axvline(r.glute_onset_s - r.cue_s, color=OKABE_ITO["black"], lw=1.4, ls="--")
            lat = "n/a" if r.squeeze_latency_ms is None else f"{r.squeeze_latency_ms:.0f} ms"
            fs = "?" if r.false_starts is None else str(r.false_starts)
            ax.set_title(f"{side.value} {r.rep}: latency {lat}, false starts {fs}", fontsize=8)
            ax.tick_params(labelsize=7)
            if i == len(rows) - 1:
                ax.set_xlabel("time from squeeze cue (s)", fontsize=8)
            if j == 0:
                ax.set_ylabel("glute RMS (µV)", fontsize=8)
    fig.suptitle(
        "Single-leg stand: squeeze cue (dotted), sustained onset (dashed),\nfalse starts (orange)", fontsize=9
    )
    fig.tight_layout()
    return fig


