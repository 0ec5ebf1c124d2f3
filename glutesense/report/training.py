"""The training set in the report: ``training.csv``, ``training.json``, a fatigue figure and a section.

A recording is a training set when its metadata carry ``training`` (``glutesense train`` writes
it: the exercise, the plan and the settings); :func:`training_outputs` then reads the set with
:func:`glutesense.analysis.training.summarize_set` and returns the report section.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from glutesense.analysis.fatigue import FatigueAssessment, Trend
from glutesense.analysis.training import SetSummary, TrainingSettings, summarize_set
from glutesense.model.records import Recording
from glutesense.report.html import figures_html, table_html

if TYPE_CHECKING:
    from glutesense.report.figures import FigureOut  # matplotlib: only with the report

METHOD = (
    "Median (MDF) and mean (MNF) frequency of each rep's EMG (Welch spectrum, 0.25-s Hann segments, "
    "resting noise subtracted, 20-450 Hz) and their Theil-Sen slope over the set with a 95 % confidence "
    "interval, normalised to the first rep; a falling MDF is the classic sign of local muscle fatigue "
    "(De Luca 1984; Cifrek et al. 2009). The glutes' MDF trend reads each rep's spectrum against the "
    "set's own mean spectrum as a compression P(f) -> P(f/k) (Lindström & Magnusson 1977; maximum "
    "Whittle likelihood), which scatters less than a rep's own MDF. Activation is the rep's band RMS as "
    "a share of the reference contraction taken at the start."
)


def is_training(recording: Recording) -> bool:
    return isinstance(recording.meta.get("training"), Mapping)


def settings_of(recording: Recording) -> TrainingSettings:
    t = recording.meta.get("training", {})
    return TrainingSettings(
        target_share=float(t.get("target_share", 0.4)),
        tired_drop_pct=float(t.get("tired_drop_pct", 10.0)),
        order_matters=bool(t.get("order_matters", True)),
        success_hold_s=float(t.get("success_hold_s", 0.0)),
    )


def summarize_recording(recording: Recording) -> SetSummary:
    channels = {}
    for role in recording.roles:
        if role.muscle is not None:
            channels[role] = recording.signal(role)
    return summarize_set(channels, recording.events, settings_of(recording))


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def training_table(summary: SetSummary) -> pd.DataFrame:
    """One row per rep and channel."""
    rows = []
    for r in summary.reps:
        for m in r.muscles:
            rows.append(
                {
                    "rep": r.rep,
                    "muscle": m.role.value,
                    "activation_pct": _num(100 * m.activation),
                    "rms_uv": _num(m.spectrum.rms_uv),
                    "mdf_hz": _num(m.spectrum.mdf_hz),
                    "mnf_hz": _num(m.spectrum.mnf_hz),
                    "onset_s": _num(m.onset_s),
                    "above_target_s": _num(m.above_target_s),
                    "glute_first": r.glute_first,
                    "verdict": r.verdict,
                }
            )
    return pd.DataFrame(rows)


def _trend_json(t: Trend | None) -> dict[str, Any] | None:
    if t is None:
        return None
    lo, hi = t.ci_pct
    return {
        "slope_per_rep": _num(t.slope),
        "ci95_per_rep": [_num(t.ci_low), _num(t.ci_high)],
        "slope_pct_per_rep": _num(t.slope_pct),
        "ci95_pct_per_rep": [_num(lo), _num(hi)],
        "change_pct": _num(t.change_pct),
        "first": _num(t.first),
        "n": t.n,
        "consistent_with_zero": t.consistent_with_zero,
    }


def _fatigue_json(f: FatigueAssessment) -> dict[str, Any]:
    return {
        "mdf_hz": _trend_json(f.mdf),
        "mnf_hz": _trend_json(f.mnf),
        "rms_uv": _trend_json(f.rms),
        "mdf_drop_pct": _num(f.mdf_drop_pct),
        "tired": f.tired,
    }


def training_json(summary: SetSummary, recording: Recording) -> dict[str, Any]:
    return {
        "training": dict(recording.meta.get("training", {})),
        "n_reps": len(summary.reps),
        "glutes": _fatigue_json(summary.glute_fatigue),
        "channels": {r.value: _fatigue_json(f) for r, f in summary.fatigue.items()},
        "tired_at_rep": summary.tired_at_rep,
        "glute_first_reps": sum(1 for r in summary.reps if r.glute_first),
        "successes": sum(1 for r in summary.reps if r.success),
        "sentences": list(summary.sentences),
        "method": METHOD,
    }


def _section(summary: SetSummary, recording: Recording, figure: FigureOut) -> str:
    t = recording.meta.get("training", {})
    head = f"<p>Exercise: {escape(str(t.get('exercise', '')))}.</p>"
    words = "".join(f"<p>{escape(s)}</p>" for s in summary.sentences)
    per_rep = pd.DataFrame([{"verdict": r.verdict} for r in summary.reps])
    return (
        head
        + words
        + figures_html([figure])
        + table_html(per_rep, text_cols=("verdict",))
        + f"<p class='small'>{escape(METHOD)}</p>"
    )


def write_training_tables(recording: Recording, out_dir: Path) -> SetSummary | None:
    """Write ``training.csv`` and ``training.json`` for a training session (with or without the
    report: the tables are the same); the set's summary, or None for other recordings."""
    if not is_training(recording):
        return None
    summary = summarize_recording(recording)
    out_dir.mkdir(parents=True, exist_ok=True)
    training_table(summary).to_csv(out_dir / "training.csv", index=False, na_rep="")
    doc = training_json(summary, recording)
    (out_dir / "training.json").write_text(
        json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    return summary


def training_sections(
    summary: SetSummary | None, recording: Recording, fig_dir: Path
) -> tuple[tuple[str, str], ...]:
    """Draw ``figures/training_fatigue.png`` and return the report section (none without a set)."""
    if summary is None:
        return ()
    from glutesense.report.figures_training import fatigue_figure  # matplotlib

    figure = fatigue_figure(summary)
    fig_dir.mkdir(parents=True, exist_ok=True)
    (fig_dir / figure.name).write_bytes(figure.png)
    return (("Training set: activation and fatigue", _section(summary, recording, figure)),)


def training_outputs(recording: Recording, out_dir: Path) -> tuple[tuple[str, str], ...]:
    """The tables, the figure and the report section of a training session (none for others)."""
    summary = write_training_tables(recording, out_dir)
    return training_sections(summary, recording, out_dir / "figures")
