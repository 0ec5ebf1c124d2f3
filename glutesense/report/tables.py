"""``reps.csv`` and ``onsets.csv`` as pandas DataFrames (missing values stay missing)."""

from __future__ import annotations

import pandas as pd

from glutesense.analysis import AnalysisResult
from glutesense.roles import Protocol

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
SLS_COLUMNS = ("squeeze_latency_ms", "false_starts")
EXTRA_COLUMNS = ("amplitude_ratio", "glute_hold_uv", "reason")
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
)


def reps_table(result: AnalysisResult) -> pd.DataFrame:
    """One row per rep and side, contract columns first (DESIGN.md)."""
    cols = REP_COLUMNS + (SLS_COLUMNS if result.protocol is Protocol.SINGLE_LEG_STAND else ()) + EXTRA_COLUMNS
    rows = [
        {c: getattr(r, c) for c in cols} | {"side": r.side.value, "order": r.order.value} for r in result.reps
    ]
    df = pd.DataFrame(rows, columns=list(cols))
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
            "confidence": r.burst.confidence,
        }
        for r in result.bursts
    ]
    df = pd.DataFrame(rows, columns=list(ONSET_COLUMNS))
    df["rep"] = df["rep"].astype("Int64")
    return df
