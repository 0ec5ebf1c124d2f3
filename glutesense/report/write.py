"""``write_outputs``: the files ``glutesense analyze`` writes into its output directory."""

from __future__ import annotations

import json
from pathlib import Path

from glutesense.analysis.pipeline import AnalysisResult
from glutesense.clinical import SessionClinical, assess
from glutesense.model.records import Recording
from glutesense.model.roles import Protocol
from glutesense.report.html import ReportText, render_html
from glutesense.report.key_numbers import key_numbers
from glutesense.report.sections import protocol_sections
from glutesense.report.summary import summary_dict
from glutesense.report.tables import onsets_table, quality_table, report_reps_table, reps_table
from glutesense.report.training import training_sections, write_training_tables
from glutesense.report.verdict import verdict_lines
from glutesense.version import __version__


def _hz(v: float) -> str:
    return f"{round(v, 1):g}"


def filtering_words(result: AnalysisResult) -> str:
    """The filters once per group of channels that share them (rates and corners to 0.1 Hz)."""
    groups: dict[str, list[str]] = {}
    for c in result.channels:
        key = (
            f"sample rate {_hz(c.fs_hz)} Hz, band {_hz(c.band_hz[0])}-{_hz(c.band_hz[1])} Hz, "
            + (f"mains notch {_hz(c.mains_hz)} Hz and harmonics" if c.mains_hz else "no mains notch")
        )
        groups.setdefault(key, []).append(c.role.value)
    if len(groups) == 1:
        return f"all {len(result.channels)} EMG channels: {next(iter(groups))}"
    return "; ".join(f"{', '.join(roles)}: {key}" for key, roles in groups.items())


def _protocol_method(result: AnalysisResult) -> dict[str, str]:
    """The method entries that differ by protocol (single-leg stand, walk)."""
    if result.protocol is Protocol.WALK:
        return {
            "Onset of a rep": "one row per stride (a touchdown to the same foot's next one): each muscle's "
            "burst around touchdown, placed by a maximum-likelihood rise fit on that stride, with the "
            "muscle's quiet phase in the cycle as its resting level and the rise shapes it shows over the "
            "walk; an onset unlike the other strides' is searched again near the typical one",
            "Reps found from": result.rep_source or "(none)",
            "Hold amplitudes": "glute max over the loading response (touchdown to 12 % of the cycle)",
        }
    if result.protocol is Protocol.SINGLE_LEG_STAND:
        m = result.settings.metrics
        return {
            "Onset of a rep": f"the contraction that holds (at least {m.sustained_s:g} s) after the squeeze "
            "cue; a false start is a try that rose clearly above the level before the cue and died back "
            "before it (never taken as the onset; a try that ran into the squeeze is said so); time to firm "
            "up: from the onset to 90 % of the hold level",
        }
    return {}


def report_text(result: AnalysisResult, recording: Recording, clinical: SessionClinical) -> ReportText:
    """Header facts and the "how this was measured" entries (plain strings; escaped when rendered)."""
    info = recording.info
    facts = {
        "subject": info.subject or "(not given)",
        "recorded": info.created_utc or "(date unknown)",
        "test": result.protocol.value,
        "file": recording.source or "(unnamed)",
    }
    channels = filtering_words(result)
    bases = sorted({c.baseline.source for c in result.channels})
    refs = "; ".join(
        f"{r.role.value}: {r.kind}" + (f" {r.level_uv:.1f} µV" if r.level_uv is not None else "")
        for r in clinical.references
    )
    m = result.settings.metrics
    has_sd = any(r.glute_lag_sd_ms is not None for r in clinical.reps)
    method = {
        "Electrodes": "bipolar surface EMG following SENIAM (see 'Where the sensors go' below); channels "
        "recorded: " + ", ".join(c.role.value for c in result.channels),
        "Filtering actually used": channels
        + ". "
        + (
            "Zero-phase (forward-backward) filters."
            if all(c.zero_phase for c in result.channels)
            else "Causal filters (no pre-ringing before onsets)."
        ),
        "Envelope": f"moving RMS, {1000 * result.settings.trace_window_s:g} ms window, kept at "
        f"{result.settings.trace_hz:g} Hz for figures and amplitudes",
        "Resting baseline": "from the 'rest' phase"
        if bases == ["rest"]
        else f"baseline source: {', '.join(bases)}",
        "Onset detector": f"{result.detector} ({len(result.detector_settings)} settings: the table below)",
        "Onset of a rep": f"the first burst lasting at least {m.sustained_s:g} s in the rep's window; "
        "shorter "
        f"bursts after the cue are false starts; |lag| < {m.simultaneous_ms:g} ms is 'together'",
        "Reps found from": result.rep_source or "(none)",
        "Hold amplitudes": f"mean and peak envelope from {m.hold_delay_s:g} s after the later onset to the "
        "end of the contraction",
        "Normalisation": f"{clinical.reference_kind} ({refs}). "
        + (
            "A reference contraction was recorded."
            if clinical.reference_kind == "reference contraction"
            else "No reference contraction was recorded, so amplitudes are % of the session's own peak: "
            "they compare reps and sides of this session, not people or sessions."
        ),
        "Lag uncertainty": "per rep from the detector's onset uncertainty (± 1 SD)"
        if has_sd
        else "the detector reports no per-rep uncertainty; the spread over reps and the bootstrap CI of "
        "the median are shown instead",
        "Movement onset": "from the accelerometer (thigh or pelvis tilt)"
        if result.tilt is not None
        else "no accelerometer: onsets are given relative to the cue",
    }
    method |= _protocol_method(result)
    title = f"Glute activation report: {result.protocol.value}"
    return ReportText(title=title, facts=facts, method=method, notes=result.notes)


def write_outputs(
    result: AnalysisResult, recording: Recording, out_dir: str | Path, *, report: bool = True
) -> dict[str, Path]:
    """Write ``reps.csv``, ``onsets.csv``, ``summary.json``, ``figures/*.png`` and ``report.html``.

    Parameters
    ----------
    result : AnalysisResult
    recording : Recording
        The analyzed recording (its source name, metadata, events and raw samples go into the report).
    out_dir : str or Path
        Created if missing; existing files of the same names are replaced.
    report : bool
        False: the tables and ``summary.json`` only (no figures, no HTML; matplotlib is not imported).

    Returns
    -------
    dict
        Output name (``"reps"``, ``"onsets"``, ``"summary"``, ``"report"``, ``"figures"``; a training
        set adds ``"training"`` and ``"training_json"``, with or without the report) -> path.
    """
    out = Path(out_dir)
    fig_dir = out / "figures"
    (fig_dir if report else out).mkdir(parents=True, exist_ok=True)
    clinical = assess(result, recording)
    reps = reps_table(result, clinical)
    paths = {
        "reps": out / "reps.csv",
        "onsets": out / "onsets.csv",
        "summary": out / "summary.json",
        "report": out / "report.html",
        "figures": fig_dir,
    }
    reps.to_csv(paths["reps"], index=False, na_rep="", float_format="%.4f")
    onsets_table(result).to_csv(paths["onsets"], index=False, na_rep="", float_format="%.4f")
    summary = summary_dict(result, recording, clinical)
    summary["verdict"] = list(verdict_lines(result, clinical))
    summary["software_version"] = __version__
    paths["summary"].write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    training = write_training_tables(recording, out)  # a training set: training.csv/.json, report or not
    if training is not None:
        paths |= {"training": out / "training.csv", "training_json": out / "training.json"}
    if not report:
        return {k: v for k, v in paths.items() if k not in ("report", "figures")}
    from glutesense.report.figures import all_figures  # matplotlib: only when figures are drawn
    from glutesense.report.figures_gait import walk_figures

    walk = result.protocol is Protocol.WALK
    figures = (walk_figures if walk else all_figures)(result, clinical, recording)
    for f in figures:
        (fig_dir / f.name).write_bytes(f.png)
    paths["report"].write_text(
        render_html(
            text=report_text(result, recording, clinical),
            clinical=clinical,
            figures=figures,
            sides=key_numbers(clinical),
            reps=report_reps_table(reps),
            quality=quality_table(clinical),
            recording=recording,
            sections=protocol_sections(result.protocol, clinical)
            + training_sections(training, recording, fig_dir),
            detector_settings=result.detector_settings,
        ),
        encoding="utf-8",
    )
    return paths
