"""Report figures (matplotlib, Agg backend, no display needed).

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies),
and every axis names its unit.  Long recordings are drawn from min/max envelopes
of at most a few thousand buckets per channel, so a one-hour session renders in
seconds (see ``benchmarks/report_speed.py``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from glutesense.analysis.pipeline import AnalysisResult, ChannelResult
from glutesense.clinical import ClinicalRep, SessionClinical, norms
from glutesense.model.arrays import FloatArray
from glutesense.model.records import Recording
from glutesense.model.roles import Muscle, Protocol, Role, Side
from glutesense.signal.runs import runs_of

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
MUSCLE_COLOR = {
    Muscle.GLUTE_MAX: OKABE_ITO["vermillion"],
    Muscle.HAMSTRING: OKABE_ITO["blue"],
    Muscle.GLUTE_MED: OKABE_ITO["green"],
    Muscle.ERECTOR: OKABE_ITO["purple"],
}
SIDE_COLOR = {Side.LEFT: OKABE_ITO["orange"], Side.RIGHT: OKABE_ITO["sky_blue"]}
SIDE_MARKER = {Side.LEFT: "o", Side.RIGHT: "s"}
GREY = "0.55"
MAX_BUCKETS = 2400
"""Columns of the min/max envelope of the whole-session figure."""
MAX_PANELS = 8
"""Per-rep panels drawn at most (the first reps)."""
MAX_OVERLAY = 40
"""Reps drawn at most in an overlay (evenly spread; the median uses all)."""


@dataclass(frozen=True)
class FigureOut:
    """A rendered figure: file name, caption and PNG bytes."""

    name: str
    caption: str
    png: bytes


def png_bytes(fig: Figure, *, dpi: int = 100) -> bytes:
    """Render and close a figure; PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def _trace_t(ch: ChannelResult) -> FloatArray:
    return ch.trace_t0_s + np.arange(ch.trace_uv.size) / ch.trace_hz


def _window(ch: ChannelResult, t0_s: float, before_s: float, after_s: float) -> tuple[FloatArray, FloatArray]:
    """Trace around ``t0_s`` on a grid relative to it: (t_rel_s, envelope µV), NaN outside the data."""
    t_rel = np.arange(-before_s, after_s, 1.0 / ch.trace_hz)
    idx = np.round((t0_s + t_rel - ch.trace_t0_s) * ch.trace_hz).astype(np.int64)
    ok = (idx >= 0) & (idx < ch.trace_uv.size)
    y = np.full(t_rel.size, np.nan)
    y[ok] = ch.trace_uv[idx[ok]]
    return t_rel, y


def align_time(rep: ClinicalRep) -> tuple[float | None, str]:
    """The time a rep is aligned on and its name: movement onset, else the cue, else the first onset."""
    r = rep.result
    if r.movement_onset_s is not None:
        return r.movement_onset_s, "movement onset"
    if r.cue_s is not None:
        return r.cue_s, "cue"
    onsets = [t for t in (r.glute_onset_s, r.hamstring_onset_s) if t is not None]
    return (min(onsets), "first onset") if onsets else (None, "")


def _side_reps(clin: SessionClinical, side: Side) -> list[ClinicalRep]:
    return [r for r in clin.reps if r.side is side]


def _ref_level(clin: SessionClinical, role: Role) -> float | None:
    for ref in clin.references:
        if ref.role is role:
            return ref.level_uv
    return None


def rep_panels_figure(result: AnalysisResult, clin: SessionClinical, side: Side) -> Figure | None:
    """Per rep: glute and hamstring envelopes aligned on movement onset, onsets marked, the lag shaded."""
    reps = [r for r in _side_reps(clin, side) if align_time(r)[0] is not None][:MAX_PANELS]
    g = result.channel(Role.emg(Muscle.GLUTE_MAX, side))
    h = result.channel(Role.emg(Muscle.HAMSTRING, side))
    if not reps or g is None or h is None:
        return None
    ncols = min(len(reps), 4)
    nrows = (len(reps) + ncols - 1) // ncols
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(max(2.6 * ncols + 0.6, 7.0), 2.3 * nrows + 0.9), squeeze=False
    )
    label = align_time(reps[0])[1]
    for ax, rep in zip(axes.flat, reps, strict=False):
        t0, _ = align_time(rep)
        assert t0 is not None
        for ch, muscle in ((g, Muscle.GLUTE_MAX), (h, Muscle.HAMSTRING)):
            t_rel, y = _window(ch, t0, 1.0, 1.5)
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
        lag = "lag n/a" if r.glute_lag_ms is None else f"lag {r.glute_lag_ms:+.0f} ms"
        ax.set_title(f"rep {r.rep}: {lag}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(reps) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(f"time from {label} (ms)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("EMG RMS (µV)", fontsize=8)
    fig.suptitle(
        f"{side.value.capitalize()} side, per rep: glute (vermillion) and hamstring (blue) envelopes;\n"
        "dashed = onsets, shaded = lag",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def overlay_figure(result: AnalysisResult, clin: SessionClinical, side: Side) -> Figure | None:
    """All reps overlaid (normalised to the reference) with their median, glute and hamstring."""
    reps = [r for r in _side_reps(clin, side) if align_time(r)[0] is not None]
    if not reps:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.0), sharey=True)
    label = align_time(reps[0])[1]
    for ax, muscle in zip(axes, (Muscle.GLUTE_MAX, Muscle.HAMSTRING), strict=True):
        ch = result.channel(Role.emg(muscle, side))
        if ch is None:
            ax.set_visible(False)
            continue
        ref = _ref_level(clin, ch.role) or 1.0
        rows = []
        t_rel = np.zeros(0)
        drawn = set(np.linspace(0, len(reps) - 1, min(len(reps), MAX_OVERLAY)).round().astype(int).tolist())
        for k, rep in enumerate(reps):
            t0, _ = align_time(rep)
            assert t0 is not None
            t_rel, y = _window(ch, t0, 1.0, 2.0)
            y = 100.0 * y / ref
            rows.append(y)
            if k in drawn:
                ax.plot(t_rel * 1000, y, color=MUSCLE_COLOR[muscle], lw=0.6, alpha=0.35)
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
    axes[0].set_ylabel(f"EMG RMS (% of {clin.reference_kind})")
    fig.tight_layout()
    return fig


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
        pts = [(r.rep, r.result.glute_lag_ms, r.glute_lag_sd_ms) for r in _side_reps(clin, side)]
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
        lags = [r.result.glute_lag_ms for r in _side_reps(clin, side) if r.result.glute_lag_ms is not None]
        if lags:
            a1.plot(np.full(len(lags), i), lags, SIDE_MARKER[side], color=SIDE_COLOR[side], alpha=0.8)
            a1.hlines(np.median(lags), i - 0.25, i + 0.25, color=OKABE_ITO["black"], lw=2)
        holds = [r.result.glute_hold_uv for r in _side_reps(clin, side) if r.result.glute_hold_uv is not None]
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
    a2.set_title("Glute hold activation" + (f" (SI {si:+.0f} %)" if si is not None else ""), fontsize=9)
    fig.tight_layout()
    return fig


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
    rows = [s.side for s in clin.sides if any(r.result.cue_s is not None for r in _side_reps(clin, s.side))]
    if not rows:
        return None
    ncols = min(max(len(_side_reps(clin, s)) for s in rows), 6)
    fig, axes = plt.subplots(
        len(rows), ncols, figsize=(max(2.5 * ncols + 0.6, 7.0), 2.3 * len(rows) + 0.9), squeeze=False
    )
    cfg = result.settings.metrics
    for i, side in enumerate(rows):
        ch = result.channel(Role.emg(Muscle.GLUTE_MAX, side))
        reps = [r for r in _side_reps(clin, side) if r.result.cue_s is not None][:ncols]
        for j in range(ncols):
            ax = axes[i, j]
            if j >= len(reps) or ch is None:
                ax.set_visible(False)
                continue
            r = reps[j].result
            assert r.cue_s is not None
            t_rel, y = _window(ch, r.cue_s, 0.5, 3.0)
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


def all_figures(result: AnalysisResult, clin: SessionClinical, recording: Recording) -> tuple[FigureOut, ...]:
    """Every report figure, in report order."""
    specs: list[tuple[str, str, Callable[[], Figure | None]]] = []
    if result.protocol is Protocol.SINGLE_LEG_STAND:
        specs.append(
            (
                "squeeze.png",
                "Each squeeze: the glute envelope from the squeeze cue, the sustained onset and any "
                "false starts.",
                lambda: squeeze_figure(result, clin),
            )
        )
    for s in clin.sides:
        side = s.side
        specs.append(
            (
                f"reps_{side.value}.png",
                f"{side.value.capitalize()} side, rep by rep: glute and hamstring envelopes aligned on "
                "movement onset (or the cue), onsets dashed, the lag shaded.",
                lambda side=side: rep_panels_figure(result, clin, side),  # type: ignore[misc]
            )
        )
        specs.append(
            (
                f"overlay_{side.value}.png",
                f"{side.value.capitalize()} side: every rep overlaid, normalised to the "
                f"{clin.reference_kind}, "
                "with the median in black.",
                lambda side=side: overlay_figure(result, clin, side),  # type: ignore[misc]
            )
        )
    specs.append(
        (
            "lag_per_rep.png",
            "Glute lag per rep with its uncertainty (± 1 SD where the detector reports one); shaded: the "
            "typical healthy range and 'later than healthy' (bridge only; see the method section).",
            lambda: lag_figure(result, clin),
        )
    )
    specs.append(("left_right.png", "Left versus right.", lambda: left_right_figure(result, clin)))
    specs.append(
        (
            "session.png",
            "The whole session: raw EMG per channel with cues, detected bursts and lost data.",
            lambda: session_figure(result, recording),
        )
    )
    out = []
    for name, caption, build in specs:
        fig = build()
        if fig is not None:
            out.append(FigureOut(name, caption, png_bytes(fig)))
    return tuple(out)
