"""``reps.csv`` and ``onsets.csv`` as pandas DataFrames (missing values stay missing)."""

from __future__ import annotations

import pandas as pd

from glutesense.analysis.pipeline import AnalysisResult
from glutesense.clinical import CLINICAL_COLUMNS, SessionClinical
from glutesense.model.roles import Protocol

REP_COLUMNS = (
    "side",
    "rep",
    "cue_s",
    "movement_onset_s",
    "glute_onset_s",
    "hamstring_onset_s",
    "glute_lag_ms",
    "order",
)
SLS_COLUMNS = ("squeeze_latency_ms", "false_starts", "false_starts_s", "firm_up_ms", "tries_separable")
"""Contract columns of the single-leg stand, then the tries' onsets (``;``-separated, s), the time to
firm up and whether the tries could be told from the sustained rise."""
WALK_COLUMNS = (
    "touchdown_s",
    "stride_s",
    "glute_onset_pct",
    "hamstring_onset_pct",
    "glute_med_onset_s",
    "glute_med_onset_pct",
    "glute_onset_sd_ms",
    "hamstring_onset_sd_ms",
    "glute_lag_sd_ms",
    "reason",
)
"""Walk: after the contract columns, the stride's touchdown and duration and the onsets in % of its cycle
(0 = touchdown, negative before it)."""
EXTRA_COLUMNS = ("amplitude_ratio", "glute_hold_uv", "reason")
STANCE_COLUMNS = (
    "hanging_glute_hold_pct",
    "glute_before_lift_pct",
    "glute_after_lift_pct",
    "lift_s",
    "lift_source",
)
"""Single-leg stand, last: the hanging side's glute over the same hold and the stance glute around the lift
(:mod:`glutesense.clinical.sls`)."""
SLS_ONLY_CLINICAL = ("weight_shift_s", "weight_shift_source", "glute_med_from_shift_ms")
ONSET_COLUMNS = (
    "side",
    "muscle",
    "rep",
    "onset_s",
    "offset_s",
    "peak_s",
    "peak_uv",
    "detector",
    "confidence",
    "quality",
)
"""Contract columns (DESIGN.md) and then ``quality``: the channel's quality score times the undamaged share
of the onset window; ``confidence`` is the detector's confidence times ``quality``."""


def clinical_columns(protocol: Protocol) -> tuple[str, ...]:
    """The clinical columns ``reps.csv`` adds after the contract and extra columns."""
    if protocol is Protocol.SINGLE_LEG_STAND:
        return CLINICAL_COLUMNS
    return tuple(c for c in CLINICAL_COLUMNS if c not in SLS_ONLY_CLINICAL)


def _stance_cells(clinical: SessionClinical | None) -> dict[tuple[str, int], dict[str, object]]:
    if clinical is None:
        return {}
    return {
        (x.side.value, x.rep): {
            "hanging_glute_hold_pct": x.hanging_hold_pct,
            "glute_before_lift_pct": x.before_lift_pct,
            "glute_after_lift_pct": x.after_lift_pct,
            "lift_s": x.lift_s,
            "lift_source": x.lift_source,
        }
        for s in clinical.stance
        for x in s.reps
    }


def _cell(r: object, c: str) -> object:
    v = getattr(r, c)
    if c == "false_starts_s":
        return ";".join(f"{t:.4f}" for t in v)
    return v


def reps_table(result: AnalysisResult, clinical: SessionClinical | None = None) -> pd.DataFrame:
    """One row per rep and side: contract columns first (DESIGN.md), then the clinical metrics.

    A walk has one row per stride and side: the contract columns, then :data:`WALK_COLUMNS`.
    """
    sls = result.protocol is Protocol.SINGLE_LEG_STAND
    walk = result.protocol is Protocol.WALK
    base = REP_COLUMNS + (WALK_COLUMNS if walk else (SLS_COLUMNS if sls else ()) + EXTRA_COLUMNS)
    extra = clinical_columns(result.protocol) if clinical is not None and not walk else ()
    stance = _stance_cells(clinical) if sls else {}
    last = STANCE_COLUMNS if sls and clinical is not None else ()
    rows = []
    for i, r in enumerate(result.reps):
        row = {c: _cell(r, c) for c in base} | {"side": r.side.value, "order": r.order.value}
        if clinical is not None and extra:
            cr = clinical.reps[i]
            row |= {c: getattr(cr, c) for c in extra}
        row |= stance.get((r.side.value, r.rep), {})
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(base + extra + last))
    df["rep"] = df["rep"].astype("Int64")
    if "false_starts" in df:
        df["false_starts"] = df["false_starts"].astype("Int64")
    return df


def onsets_table(result: AnalysisResult) -> pd.DataFrame:
    """One row per detected burst."""
    rows = [
        {
            "side": r.side.value,
            "muscle": r.muscle.value,
            "rep": r.rep,
            "onset_s": r.burst.onset_s,
            "offset_s": r.burst.offset_s,
            "peak_s": r.burst.peak_s,
            "peak_uv": r.burst.peak_uv,
            "detector": r.burst.detector,
            "confidence": r.confidence,
            "quality": r.quality,
        }
        for r in result.bursts
    ]
    df = pd.DataFrame(rows, columns=list(ONSET_COLUMNS))
    df["rep"] = df["rep"].astype("Int64")
    return df


def quality_table(clinical: SessionClinical) -> pd.DataFrame:
    """Signal quality per EMG channel."""
    rows = [
        {
            "channel": q.role.value,
            "rest_uv": q.baseline_uv,
            "active_uv": q.active_uv,
            "snr_db": q.snr_db,
            "lost_pct": 100.0 * q.lost_fraction,
            "clipped_pct": None if q.clipped_fraction is None else 100.0 * q.clipped_fraction,
            "flat_pct": None if q.flat_fraction is None else 100.0 * q.flat_fraction,
            "quality": None if q.score is None else f"{q.score:.2f}",
            "bursts": q.n_bursts,
            "notes": "; ".join(q.notes),
        }
        for q in clinical.quality
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "channel",
            "rest_uv",
            "active_uv",
            "snr_db",
            "lost_pct",
            "clipped_pct",
            "flat_pct",
            "quality",
            "bursts",
            "notes",
        ],
    )


REPORT_REP_COLUMNS = {
    "side": "side",
    "rep": "rep",
    "glute_onset_s": "glute onset (s)",
    "hamstring_onset_s": "hamstring onset (s)",
    "glute_lag_ms": "lag (ms)",
    "glute_lag_sd_ms": "± (ms)",
    "order": "order",
    "squeeze_latency_ms": "squeeze latency (ms)",
    "false_starts": "false starts",
    "glute_onset_pct": "glute onset (% cycle)",
    "reason": "why",
}
"""The rep table of the report: the columns a reader needs, narrow enough for a phone (reps.csv has all)."""


def report_reps_table(reps: pd.DataFrame) -> pd.DataFrame:
    """The report's rep table: :data:`REPORT_REP_COLUMNS` that ``reps`` has, renamed, order in words."""
    cols = [c for c in REPORT_REP_COLUMNS if c in reps.columns]
    out = reps[cols].rename(columns=REPORT_REP_COLUMNS)
    if "order" in out:
        out["order"] = out["order"].astype(str).str.replace("_", " ")
    return out
