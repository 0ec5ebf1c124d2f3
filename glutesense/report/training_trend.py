"""Training sessions over weeks: ``training_trend.csv`` and a section of ``trend.html``.

Per training session (``glutesense train``): the glutes' mean activation (share of the session's own
reference contraction), the share of reps in which the glute led, the set's median-frequency slope
and fall, and the fatigue onset (the rep at which the running fall first reached the tired mark;
none when the glute did not tire).  The words compare the first and the last session of each
exercise and say only what the numbers are: a set of 12 reps gives the MDF slope to a few %/rep.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from glutesense.analysis.training import GLUTES
from glutesense.model.records import Recording
from glutesense.report.html import figures_html, table_html
from glutesense.report.training import summarize_recording

Row = Mapping[str, Any]


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def training_trend_row(name: str, recording: Recording) -> dict[str, Any]:
    """One training session in a trend: activation, glute-first share, fatigue slope and onset."""
    s = summarize_recording(recording)
    acts = [
        m.activation for r in s.reps for m in r.muscles if m.role in GLUTES and math.isfinite(m.activation)
    ]
    firsts = [r.glute_first for r in s.reps if r.glute_first is not None]
    g = s.glute_fatigue
    return {
        "session": name,
        "when": recording.info.created_utc or "",
        "exercise": str(recording.meta.get("training", {}).get("exercise", "")),
        "reps": len(s.reps),
        "glute_activation_pct": _num(100 * float(np.mean(acts))) if acts else None,
        "glute_first_share": _num(float(np.mean(firsts))) if firsts else None,
        "mdf_slope_pct_per_rep": _num(g.mdf.slope_pct) if g.mdf is not None else None,
        "mdf_drop_pct": _num(g.mdf_drop_pct),
        "tired": g.tired,
        "fatigue_onset_rep": s.tired_at_rep,
    }


def _onset(row: Row) -> str:
    drop = row.get("mdf_drop_pct")
    fell = "" if drop is None else f" (MDF {-float(drop):+.0f} % over the set)"
    if row.get("fatigue_onset_rep") is not None:
        return f"tired at rep {int(row['fatigue_onset_rep'])}{fell}"
    if row.get("tired"):
        return f"tired by the end of {row['reps']} reps{fell}"
    return f"no fatigue within {row['reps']} reps{fell}"


def _pct(x: Any) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(x):.0f} %"


def training_trend_lines(rows: Sequence[Row]) -> tuple[str, ...]:
    """One sentence per exercise: first session -> last session (activation, glute first, fatigue)."""
    out = []
    for exercise in dict.fromkeys(str(r["exercise"]) for r in rows):
        own = [r for r in rows if str(r["exercise"]) == exercise]
        if len(own) < 2:
            out.append(f"{exercise}: one session ({own[0]['session']}); nothing to compare yet.")
            continue
        a, b = own[0], own[-1]
        share = [None if r["glute_first_share"] is None else 100 * r["glute_first_share"] for r in (a, b)]
        out.append(
            f"{exercise}, {a['session']} -> {b['session']} ({len(own)} sessions): glute activation "
            f"{_pct(a['glute_activation_pct'])} -> {_pct(b['glute_activation_pct'])} of the reference, "
            f"glute first in {_pct(share[0])} -> {_pct(share[1])} of reps, "
            f"fatigue: {_onset(a)} -> {_onset(b)}."
        )
    return tuple(out)


def training_trend_png(rows: Sequence[Row]) -> bytes:
    """Activation, glute-first share and the set's MDF fall (fatigue onset marked) per session."""
    import matplotlib.pyplot as plt  # only for the trend page

    from glutesense.report.figures import OKABE_ITO, png_bytes

    x = np.arange(len(rows))
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
    act = [np.nan if r["glute_activation_pct"] is None else r["glute_activation_pct"] for r in rows]
    share = [np.nan if r["glute_first_share"] is None else 100 * r["glute_first_share"] for r in rows]
    drop = [np.nan if r["mdf_drop_pct"] is None else r["mdf_drop_pct"] for r in rows]
    axes[0].plot(x, act, "o-", color=OKABE_ITO["vermillion"])
    axes[0].set(ylabel="% of reference", title="Glute activation")
    axes[1].plot(x, share, "s-", color=OKABE_ITO["blue"])
    axes[1].set(ylabel="% of reps", title="Glute first", ylim=(-5, 105))
    axes[2].bar(x, drop, color=OKABE_ITO["orange"])
    for i, r in enumerate(rows):
        if r.get("fatigue_onset_rep") is not None:
            axes[2].annotate(f"rep {int(r['fatigue_onset_rep'])}", (i, drop[i]), ha="center", fontsize=7)
    axes[2].set(ylabel="MDF fall over the set (%)", title="Fatigue (label: onset rep)")
    for ax in axes:
        ax.set_xticks(x, [str(r["session"]) for r in rows], rotation=20, fontsize=7)
    fig.tight_layout()
    return png_bytes(fig)


COLUMNS = ("session", "when", "exercise", "reps", "glute_activation_pct", "glute_first_share",
           "mdf_slope_pct_per_rep", "mdf_drop_pct", "tired", "fatigue_onset_rep")  # fmt: skip


def write_training_trend(rows: Sequence[Row], out_dir: Path) -> tuple[Path, tuple[str, str]]:
    """``training_trend.csv`` and ``figures/trend_training.png`` (rows in time order); the section of
    ``trend.html`` (title, HTML body) with the figure, the words and the table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "training_trend.csv"
    table = pd.DataFrame(list(rows), columns=list(COLUMNS))
    table["fatigue_onset_rep"] = table["fatigue_onset_rep"].astype("Int64")  # a rep number or empty
    table.to_csv(path, index=False, na_rep="")
    from glutesense.report.figure_base import FigureOut  # matplotlib, as for the figure itself

    png = training_trend_png(rows)
    (out_dir / "figures").mkdir(exist_ok=True)
    (out_dir / "figures" / "trend_training.png").write_bytes(png)
    caption = "Training sessions: glute activation, glute-first share and fatigue over the set"
    words = "".join(f"<p>{escape(s)}</p>" for s in training_trend_lines(rows))
    body = (
        f"<div class='v descriptive'>{words}</div>"
        + figures_html([FigureOut("trend_training.png", caption, png)])
        + table_html(table, text_cols=("session", "when", "exercise", "tired"))
        + "<p class='small'>Activation: the glutes' hold RMS as a share of each session's reference "
        "contraction. Fatigue: the median frequency's fall over the set (Theil-Sen, De Luca 1984; "
        "Cifrek et al. 2009); onset is the rep at which the running fall first reached the tired mark."
        "</p>"
    )
    return path, ("Training over time", body)
