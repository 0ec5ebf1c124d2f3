"""``summary.json``: per-side aggregates, clinical verdicts, settings and notes as plain JSON types."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from glutesense.analysis.pipeline import AnalysisResult
from glutesense.clinical import SessionClinical, norms
from glutesense.model.records import Recording


def _clean(value: Any) -> Any:
    """JSON-safe: enums to values, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def _side_clinical(clin: SessionClinical) -> dict[str, Any]:
    out = {}
    for s in clin.sides:
        d = {k: v for k, v in asdict(s).items() if k not in ("side", "verdict")}
        d["verdict"] = {
            "kind": s.verdict.kind.value,
            "headline": s.verdict.headline,
            "details": list(s.verdict.details),
            "reasons": list(s.verdict.reasons),
            "sources": [src.key for src in s.verdict.sources],
        }
        out[s.side.value] = d
    return out


def summary_dict(
    result: AnalysisResult, recording: Recording, clinical: SessionClinical | None = None
) -> dict[str, Any]:
    """Everything ``summary.json`` holds (``clinical`` adds the ``clinical`` block)."""
    d: dict[str, Any] = {
        "source": recording.source,
        "protocol": result.protocol.value,
        "detector": result.detector,
        "detector_settings": dict(result.detector_settings),
        "rep_source": result.rep_source,
        "sides": {s.side.value: {k: v for k, v in asdict(s).items() if k != "side"} for s in result.sides},
        "symmetry_index_pct": result.symmetry_index_pct,
        "settings": asdict(result.settings),
        "channels": [
            {
                "role": c.role.value,
                "fs_hz": c.fs_hz,
                "band_hz": list(c.band_hz),
                "mains_hz": c.mains_hz,
                "zero_phase": c.zero_phase,
                "baseline_uv": c.baseline.median,
                "baseline_robust_sd_uv": c.baseline.robust_sd,
                "n_bursts": len(c.bursts),
            }
            for c in result.channels
        ],
        "notes": list(dict.fromkeys([*recording.info.import_notes, *result.notes])),
        "file_damage": [dmg.to_json() | {"text": dmg.describe()} for dmg in recording.info.file_damage],
    }
    if clinical is not None:
        d["clinical"] = {
            "reference_kind": clinical.reference_kind,
            "references": [
                {"role": r.role.value, "kind": r.kind, "level_uv": r.level_uv} for r in clinical.references
            ],
            "sides": _side_clinical(clinical),
            "symmetry_index_pct": clinical.symmetry_index_pct,
            "lag_difference_ms": clinical.lag_difference_ms,
            "lines": list(clinical.lines),
            "quality": [
                {k: v for k, v in asdict(q).items()} | {"role": q.role.value} for q in clinical.quality
            ],
            "thresholds": asdict(clinical.thresholds),
            "threshold_sources": [
                {"name": t.name, "value": t.value, "source": t.source.key, "rule": t.rule}
                for t in norms.threshold_docs(clinical.thresholds)
            ],
        }
    return _clean(d)
