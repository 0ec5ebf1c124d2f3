"""``summary.json``: per-side aggregates, settings and notes as plain JSON types."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from glutesense.analysis import AnalysisResult
from glutesense.records import Recording


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


def summary_dict(result: AnalysisResult, recording: Recording) -> dict[str, Any]:
    """Everything ``summary.json`` holds."""
    return _clean(
        {
            "source": recording.source,
            "protocol": result.protocol.value,
            "detector": result.detector,
            "detector_settings": dict(result.detector_settings),
            "rep_source": result.rep_source,
            "sides": {
                s.side.value: {k: v for k, v in asdict(s).items() if k != "side"} for s in result.sides
            },
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
            "notes": list(result.notes),
        }
    )
