"""Ground truth of simulated sessions, mapped onto the session clock.

The virtual sensor publishes its person's truth on the device clock (seconds
since its first sample).  A decoded recording carries the device's clock fit
(``Recording.clock``), so the truth can be placed on the session clock exactly
as the samples were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glutesense.model.records import Recording


def truth_in_session_time(rec: Recording, *, device: int = 0) -> dict[str, Any] | None:
    """The recording's ground truth with every ``*_s`` time on the session clock, or None."""
    truth = rec.info.ground_truth
    clock = None if rec.clock is None else rec.clock.devices.get(device)
    if truth is None or clock is None:
        return None
    t0_s = float(truth.get("device", {}).get("device_t0_us", 0)) / 1e6
    scale = 1.0 + clock.drift_ppm * 1e-6
    offset_s = clock.offset_s

    def to_session(t: float) -> float:
        return round(offset_s + scale * (t0_s + t), 6)

    def walk(obj: Any, key: str = "") -> Any:
        if isinstance(obj, Mapping):
            return {k: walk(v, k) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(v, key) for v in obj]
        if key.endswith("_s") and isinstance(obj, int | float) and not isinstance(obj, bool):
            return to_session(float(obj))
        return obj

    out = {k: walk(v, k) for k, v in truth.items() if k not in ("params", "device")}
    out["params"] = truth.get("params")
    out["device"] = truth.get("device")
    out["time_axis"] = "session seconds"
    return out
