"""The virtual person gets better with training: its options after a number of earlier sessions.

A simple, stated learning model (not a claim about how fast people improve): per earlier session the
glute's lag behind the hamstring shortens by ``lag_step_ms`` until the glute leads (a glute-late
person becomes glute-first, leading by up to 60 ms), the median-frequency fall over a set shrinks by
``endurance_share`` (the glute tires less), and a squeeze reaches ``squeeze_step`` more of the
reference (up to 90 %).  Pure: options in, options out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LAG_STEP_MS = 40.0
ENDURANCE_SHARE = 0.15
SQUEEZE_STEP = 0.05


def after_sessions(options: Mapping[str, Any], session: int) -> dict[str, Any]:
    """``options`` (virtual sensor options, see ``sim_backends``) for the person's ``session``-th
    session (1 = as given)."""
    out = dict(options)
    done = max(0, int(session) - 1)
    if not done:
        return out
    if out.get("pattern", "glute_late") != "glute_absent":
        lag = float(out.get("glute_lag_ms", 120.0)) - LAG_STEP_MS * done
        lag = max(lag, -60.0)
        out["pattern"] = "glute_first" if lag <= 0 else "glute_late"
        out["glute_lag_ms"] = lag if lag != 0 else -1.0
    if "fatigue_per_active_s" in out:
        out["fatigue_per_active_s"] = float(out["fatigue_per_active_s"]) * (1 - ENDURANCE_SHARE) ** done
    out["squeeze_share"] = min(0.9, float(out.get("squeeze_share", 0.7)) + SQUEEZE_STEP * done)
    return out
