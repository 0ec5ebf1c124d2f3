"""``write_outputs``: the files ``glutesense analyze`` writes into its output directory."""

from __future__ import annotations

import json
from pathlib import Path

from glutesense.analysis import AnalysisResult
from glutesense.records import Recording
from glutesense.report.figures import all_figures
from glutesense.report.html import render_html
from glutesense.report.summary import summary_dict
from glutesense.report.tables import onsets_table, reps_table
from glutesense.report.verdict import verdict_lines


def write_outputs(result: AnalysisResult, recording: Recording, out_dir: str | Path) -> dict[str, Path]:
    """Write ``reps.csv``, ``onsets.csv``, ``summary.json``, ``figures/*.png`` and ``report.html``.

    Parameters
    ----------
    result : AnalysisResult
    recording : Recording
        The analyzed recording (its source name and metadata go into the report).
    out_dir : str or Path
        Created if missing; existing files of the same names are replaced.

    Returns
    -------
    dict
        Output name (``"reps"``, ``"onsets"``, ``"summary"``, ``"report"``, ``"figures"``) -> path.
    """
    out = Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    reps = reps_table(result)
    paths = {
        "reps": out / "reps.csv",
        "onsets": out / "onsets.csv",
        "summary": out / "summary.json",
        "report": out / "report.html",
        "figures": fig_dir,
    }
    reps.to_csv(paths["reps"], index=False, na_rep="", float_format="%.4f")
    onsets_table(result).to_csv(paths["onsets"], index=False, na_rep="", float_format="%.4f")
    summary = summary_dict(result, recording)
    summary["verdict"] = list(verdict_lines(result))
    paths["summary"].write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    figures = all_figures(result)
    for name, png in figures.items():
        (fig_dir / name).write_bytes(png)
    detector_settings = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.detector_settings.items()
    )
    facts = {
        "source": recording.source or "(unnamed)",
        "protocol": result.protocol.value,
        "reps found from": result.rep_source or "(none)",
        "detector": f"{result.detector} ({detector_settings})",
        "filtering": "zero-phase (offline)" if all(c.zero_phase for c in result.channels) else "causal",
        "channels": ", ".join(
            f"{c.role.value} {c.fs_hz:g} Hz band {c.band_hz[0]:g}-{c.band_hz[1]:g} Hz"
            for c in result.channels
        ),
    }
    paths["report"].write_text(
        render_html(
            title=f"glutesense: {result.protocol.value}",
            verdict=verdict_lines(result),
            facts=facts,
            notes=result.notes,
            figures=figures,
            reps=reps,
        ),
        encoding="utf-8",
    )
    return paths
