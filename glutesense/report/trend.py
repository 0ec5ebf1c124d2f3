"""Trend outputs: ``trend.csv``, ``trend.json``, ``trend.html`` and ``figures/trend_*.png``."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glutesense.clinical.trend import SessionSide, Trend
from glutesense.model.roles import Side
from glutesense.report.figures import OKABE_ITO, SIDE_COLOR, SIDE_MARKER, png_bytes
from glutesense.report.html import STYLE, table_html, visible_page
from glutesense.report.summary import _clean
from glutesense.version import __version__


def trend_table(tr: Trend) -> pd.DataFrame:
    """One row per session and side."""
    rows = []
    for p in tr.points:
        rows.append(
            {
                "session": p.index + 1,
                "label": p.label,
                "recorded": p.when,
                "side": p.side.value,
                "reps": p.n_reps,
                "reps_with_lag": p.n_lags,
                "lag_median_ms": p.lag_median_ms,
                "lag_ci95_low_ms": None if p.lag_ci95_ms is None else p.lag_ci95_ms[0],
                "lag_ci95_high_ms": None if p.lag_ci95_ms is None else p.lag_ci95_ms[1],
                "lag_spread_ms": p.lag_spread_ms,
                "ratio_median": p.ratio_median,
                "ratio_ci95_low": None if p.ratio_ci95 is None else p.ratio_ci95[0],
                "ratio_ci95_high": None if p.ratio_ci95 is None else p.ratio_ci95[1],
                "verdict": p.verdict,
            }
        )
    return pd.DataFrame(rows)


def _series_figure(tr: Trend, *, lag: bool) -> Figure:
    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    labels: dict[int, str] = {}
    for side in Side:
        pts: list[SessionSide] = [p for p in tr.points if p.side is side]
        if not pts:
            continue
        off = -0.07 if side is Side.LEFT else 0.07
        xs, meds, lo, hi = [], [], [], []
        for p in pts:
            labels[p.index] = p.label
            vals = p.lags_ms if lag else p.ratios
            med = p.lag_median_ms if lag else p.ratio_median
            ci = p.lag_ci95_ms if lag else p.ratio_ci95
            if vals:
                ax.plot(
                    np.full(len(vals), p.index + 2 * off), vals, ".", color=SIDE_COLOR[side], alpha=0.45, ms=5
                )
            if med is None:
                continue
            xs.append(p.index + off)
            meds.append(med)
            lo.append(med - ci[0] if ci else 0.0)
            hi.append(ci[1] - med if ci else 0.0)
        if xs:
            ax.errorbar(
                xs,
                meds,
                yerr=[lo, hi],
                fmt=SIDE_MARKER[side] + "-",
                color=SIDE_COLOR[side],
                capsize=4,
                label=f"{side.value}: median, 95 % CI",
            )
    ax.set_xticks(sorted(labels), [labels[i] for i in sorted(labels)], rotation=15, fontsize=8)
    if lag:
        ax.axhline(0.0, color=OKABE_ITO["black"], lw=0.8)
        ax.set_ylabel("glute lag (ms; + = glute later)")
        ax.set_title("Glute onset minus hamstring onset per session (dots: reps)", fontsize=10)
    else:
        ax.set_ylabel(f"glute/hamstring ratio ({tr.ratio_kind.split(' (')[0]})")
        ax.set_title("Glute-to-hamstring hold activation ratio per session (dots: reps)", fontsize=10)
    ax.set_xlabel("session")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    return fig


def trend_dict(tr: Trend) -> dict[str, Any]:
    """Everything ``trend.json`` holds (plain JSON types)."""
    return _clean(
        {
            "software_version": __version__,
            "ratio_kind": tr.ratio_kind,
            "sessions": [asdict(p) for p in tr.points],
            "changes": [asdict(c) for c in tr.changes],
            "summary": list(tr.lines),
            "thresholds": asdict(tr.thresholds),
            "method": "change is real when the 95 % bootstrap CI of the difference of medians excludes 0 "
            "and |change| > MDC95 = 1.96 sqrt(SE1^2 + SE2^2), SE of each median from its rep-to-rep SD "
            "(Weir 2005)",
        }
    )


def write_trend(
    tr: Trend,
    out_dir: str | Path,
    *,
    title: str = "Glute activation over time",
    sections: Sequence[tuple[str, str]] = (),
) -> dict[str, Path]:
    """Write ``trend.csv``, ``trend.json``, ``trend.html`` and ``figures/trend_lag.png``, ``trend_ratio.png``.

    ``sections``: more ``(title, HTML body)`` sections for the page (the training trend), after the
    sessions; bodies are HTML already escaped by their maker.

    Returns
    -------
    dict
        ``"csv"``, ``"json"``, ``"html"``, ``"figures"`` -> path.
    """
    out = Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    table = trend_table(tr)
    paths = {
        "csv": out / "trend.csv",
        "json": out / "trend.json",
        "html": out / "trend.html",
        "figures": fig_dir,
    }
    table.to_csv(paths["csv"], index=False, na_rep="", float_format="%.4f")
    paths["json"].write_text(json.dumps(trend_dict(tr), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    figs = {
        "trend_lag.png": png_bytes(_series_figure(tr, lag=True)),
        "trend_ratio.png": png_bytes(_series_figure(tr, lag=False)),
    }
    for name, png in figs.items():
        (fig_dir / name).write_bytes(png)
    lines = (
        "".join(f"<p>{escape(line)}</p>" for line in tr.lines)
        or "<p>Only one session: nothing to compare.</p>"
    )
    imgs = "".join(
        f'<figure><img alt="{escape(name)}" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"/>'
        f"</figure>"
        for name, png in figs.items()
    )
    html = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'/>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'/>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(title)}</h1><section><h2>What changed</h2><div class='v descriptive'>{lines}</div>"
        "<p class='small'>A change counts when the 95 % bootstrap confidence interval of the difference of "
        "the medians excludes zero and the change is larger than the minimal detectable change (MDC95) "
        "computed from each session's rep-to-rep spread (Weir 2005). Smaller changes are within the "
        "measurement's noise.</p></section>"
        f"<section><h2>Figures</h2>{imgs}</section>"
        f"<section><h2>Sessions</h2>{table_html(table, text_cols=('label', 'recorded', 'side', 'verdict'))}"
        f"<p class='small'>Ratio: {escape(tr.ratio_kind)}.</p></section>"
        + "".join(f"<section><h2>{escape(t)}</h2>{body}</section>" for t, body in sections)
        + "<footer><p class='small'>Made by glutesense. Not a diagnosis.</p></footer></main></body></html>"
    )
    paths["html"].write_text(visible_page(html), encoding="utf-8")
    return paths
