"""Plain-language verdict lines: one per side (cited in the report), plus session lines."""

from __future__ import annotations

from glutesense.analysis.pipeline import AnalysisResult
from glutesense.clinical import SessionClinical, assess


def verdict_lines(result: AnalysisResult, clinical: SessionClinical | None = None) -> tuple[str, ...]:
    """One headline per side, then symmetry and lower-back lines.

    Without ``clinical`` the verdicts are computed from ``result`` alone
    (:func:`glutesense.clinical.assess` with no recording: the same verdicts, except that
    clipping cannot be seen).
    """
    clin = clinical if clinical is not None else assess(result, None)
    return tuple(s.verdict.headline for s in clin.sides) + clin.lines
