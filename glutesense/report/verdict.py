"""A short plain-language verdict per side."""

from __future__ import annotations

from glutesense.analysis import AnalysisResult
from glutesense.metrics import Order, SideSummary


def side_verdict(s: SideSummary) -> str:
    """One sentence for one side."""
    side = s.side.value.capitalize()
    if s.n_reps == 0:
        return f"{side}: no reps found."
    if s.lag_median_ms is None:
        absent = s.order_counts.get(Order.GLUTE_ABSENT.value, 0)
        if absent:
            return f"{side}: the glute did not switch on in {absent} of {s.n_reps} reps."
        return f"{side}: onsets could not be placed in any of {s.n_reps} reps."
    lag = s.lag_median_ms
    when = "at the same time as" if abs(lag) < 15 else f"{abs(lag):.0f} ms {'after' if lag > 0 else 'before'}"
    return (
        f"{side}: the glute fired {when} the hamstring (median of {s.n_lags} reps, "
        f"IQR {s.lag_q25_ms:.0f} to {s.lag_q75_ms:.0f} ms)."
    )


def verdict_lines(result: AnalysisResult) -> tuple[str, ...]:
    """One line per side, plus symmetry when both sides are there."""
    lines = [side_verdict(s) for s in result.sides]
    if result.symmetry_index_pct is not None:
        lines.append(f"Glute activation symmetry index (left vs right): {result.symmetry_index_pct:+.0f} %.")
    return tuple(lines)
