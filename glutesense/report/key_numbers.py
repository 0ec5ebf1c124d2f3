"""The report's key numbers: one row per quantity, one column per side, in words a clinician reads.

Rounded to the precision the method has (lags to 1 ms, percentages to 1 %, ratios to 0.01); a quantity
that cannot be computed is an em dash with the reason ("the glute did not switch on", "cannot tell"),
never 0 and never a ratio of noise.  A row that is empty on every side is left out.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from glutesense.clinical import SessionClinical, VerdictKind
from glutesense.clinical.verdict import SideClinical
from glutesense.clinical.wording import signed_ms

DASH = "—"
_ORDER_WORDS = {
    "hamstring_first": "hamstring first",
    "glute_first": "glute first",
    "simultaneous": "together",
    "glute_absent": "glute silent",
    "undetected": "not detected",
}
_VERDICT_WORDS = {
    VerdictKind.WITHIN_NORMAL: "within the healthy range",
    VerdictKind.LATER_THAN_TYPICAL: "later than typical, within the healthy range",
    VerdictKind.DELAYED: "later than the healthy range",
    VerdictKind.GLUTE_ABSENT: "glute did not switch on",
    VerdictKind.DESCRIPTIVE: "described (no published norms for this test)",
    VerdictKind.CANNOT_TELL: "cannot tell",
}


def _silent(s: SideClinical) -> bool:
    """Every rep of the side has a silent glute (so it has no amplitude to give)."""
    return s.n_reps > 0 and s.order_counts.get("glute_absent", 0) == s.n_reps


def _why_missing(s: SideClinical) -> str:
    if _silent(s):
        return f"{DASH} (the glute did not switch on)"
    return DASH


def _lag(s: SideClinical) -> str:
    if s.verdict.kind is VerdictKind.CANNOT_TELL:
        return f"{DASH} (cannot tell: see the verdict)"
    if s.lag_median_ms is None:
        return _why_missing(s)
    ci = s.lag_ci95_ms
    return signed_ms(s.lag_median_ms) + (
        "" if ci is None else f" (95 % CI {signed_ms(ci[0])} to {signed_ms(ci[1])})"
    )


def _order(s: SideClinical) -> str:
    parts = [f"{_ORDER_WORDS.get(k, k)} in {n}" for k, n in s.order_counts.items() if n]
    return ", ".join(parts) if parts else DASH


def _num(value: float | None, fmt: str, unit: str = "") -> str | None:
    if value is None:
        return None
    text = format(value, fmt)
    if text.lstrip("+-").strip("0.") == "":
        text = text.lstrip("+-")  # never "-0" or "+0.0"
    return text + unit


def _ms(value: float | None) -> str | None:
    return None if value is None else signed_ms(value)


_Row = tuple[str, Callable[[SideClinical], str | None], bool]
ROWS: tuple[_Row, ...] = (
    ("verdict", lambda s: _VERDICT_WORDS[s.verdict.kind], False),
    ("reps (with both onsets)", lambda s: f"{s.n_reps} ({s.n_lags})", False),
    ("median lag, glute minus hamstring", _lag, False),
    (
        "rep-to-rep spread of the lag",
        lambda s: (
            _num(s.lag_spread_ms, ".0f", " ms") if s.verdict.kind is not VerdictKind.CANNOT_TELL else None
        ),
        False,
    ),
    ("firing order (reps)", _order, False),
    ("glute onset from movement onset", lambda s: _ms(s.glute_from_movement_median_ms), False),
    ("glute/hamstring hold ratio (normalised)", lambda s: _num(s.ratio_median, ".2f"), True),
    ("glute/hamstring hold ratio (µV)", lambda s: _num(s.ratio_uv_median, ".2f"), True),
    ("glute hold (% of reference)", lambda s: _num(s.glute_hold_mean_pct_median, ".0f", " %"), True),
    ("glute hold steadiness (CV)", lambda s: _num(s.hold_cv_median, ".2f"), True),
    ("glute rise 10-90 %", lambda s: _num(s.rise_10_90_median_ms, ".0f", " ms"), True),
    ("squeeze latency", lambda s: _num(s.squeeze_latency_median_ms, ".0f", " ms"), False),
    ("false starts", lambda s: None if s.false_starts_total is None else str(s.false_starts_total), False),
    ("glute med from weight shift", lambda s: _ms(s.glute_med_from_shift_median_ms), False),
)
"""(label, cell of a side or None when not computed, whether a silent glute explains a missing cell)."""


def key_numbers(clinical: SessionClinical) -> pd.DataFrame:
    """The key-numbers table: a ``quantity`` column, then one text column per side."""
    sides = clinical.sides
    rows = []
    for label, cell, glute_amplitude in ROWS:
        values = [cell(s) for s in sides]
        explained = glute_amplitude and any(_silent(s) for s in sides)
        if all(v is None for v in values) and not explained:
            continue
        filled = [
            v if v is not None else (_why_missing(s) if glute_amplitude else DASH)
            for v, s in zip(values, sides, strict=True)
        ]
        rows.append({"quantity": label, **{s.side.value: v for s, v in zip(sides, filled, strict=True)}})
    return pd.DataFrame(rows, columns=["quantity", *(s.side.value for s in sides)])
