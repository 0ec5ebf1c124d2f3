"""Clinical metrics beyond the analysis contract, per-side verdicts and session trends.

Pure functions on :class:`~glutesense.analysis.pipeline.AnalysisResult` and
:class:`~glutesense.model.records.Recording`; no pandas, no matplotlib, no I/O.
Thresholds and normative ranges come from :mod:`glutesense.clinical.norms`.
"""

from glutesense.clinical.quality import ChannelQuality, channel_quality
from glutesense.clinical.reps import CLINICAL_COLUMNS, ClinicalRep, Reference
from glutesense.clinical.session import SessionClinical, assess
from glutesense.clinical.verdict import SideClinical, Verdict, VerdictKind

__all__ = [
    "CLINICAL_COLUMNS",
    "ChannelQuality",
    "ClinicalRep",
    "Reference",
    "SessionClinical",
    "SideClinical",
    "Verdict",
    "VerdictKind",
    "assess",
    "channel_quality",
]
