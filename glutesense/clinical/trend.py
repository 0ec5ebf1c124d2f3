"""Sessions of one person over time: lag and ratio per session, and whether a change
exceeds the measurement's noise (pure; no I/O).

A change between the first and the last session counts as real when the 95 %
percentile-bootstrap CI of the difference of the two medians excludes 0 *and* the
difference exceeds the minimal detectable change ``MDC95 = 1.96 sqrt(SE1^2 + SE2^2)``,
each SE of a median taken from that session's rep-to-rep SD (compare Weir 2005).
Both guard against calling rep-to-rep noise an improvement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from glutesense.clinical import norms, stats
from glutesense.clinical.session import SessionClinical
from glutesense.model.roles import Side


@dataclass(frozen=True)
class SessionInput:
    """One session for a trend: a label, when it was recorded (ISO text or None), its clinical reading."""

    label: str
    when: str | None
    clinical: SessionClinical


@dataclass(frozen=True)
class SessionSide:
    """One side of one session in a trend.

    Attributes
    ----------
    index : int
        0-based position of the session in time order.
    label, when : str, str or None
    side : Side
    n_reps, n_lags : int
    lags_ms : tuple of float
        Per-rep glute lags, ms.
    lag_median_ms, lag_spread_ms : float or None
    lag_ci95_ms : (float, float) or None
    ratios : tuple of float
        Per-rep glute/hamstring ratios (normalised if every session had a reference
        contraction, else µV).
    ratio_median : float or None
    ratio_ci95 : (float, float) or None
    verdict : str
        The session's verdict kind for this side.
    """

    index: int
    label: str
    when: str | None
    side: Side
    n_reps: int
    n_lags: int
    lags_ms: tuple[float, ...]
    lag_median_ms: float | None
    lag_spread_ms: float | None
    lag_ci95_ms: tuple[float, float] | None
    ratios: tuple[float, ...]
    ratio_median: float | None
    ratio_ci95: tuple[float, float] | None
    verdict: str


@dataclass(frozen=True)
class Change:
    """A change of one quantity on one side from the first to the last session.

    Attributes
    ----------
    side : Side
    quantity : str
        ``"glute_lag_ms"`` or ``"glute_ham_ratio"``.
    first_label, last_label : str
    first_median, last_median : float or None
    change : float or None
        ``last_median - first_median``.
    ci95 : (float, float) or None
        Bootstrap 95 % CI of the change.
    mdc95 : float or None
        Minimal detectable change.
    exceeds_noise : bool
    text : str
    """

    side: Side
    quantity: str
    first_label: str
    last_label: str
    first_median: float | None
    last_median: float | None
    change: float | None
    ci95: tuple[float, float] | None
    mdc95: float | None
    exceeds_noise: bool
    text: str


@dataclass(frozen=True)
class Trend:
    """A trend over sessions: per-session points, first-to-last changes, plain-words lines."""

    points: tuple[SessionSide, ...]
    changes: tuple[Change, ...]
    lines: tuple[str, ...]
    ratio_kind: str
    thresholds: norms.Thresholds


def _points(index: int, s: SessionInput, normalised: bool, t: norms.Thresholds) -> list[SessionSide]:
    out = []
    for sc in s.clinical.sides:
        reps = [r for r in s.clinical.reps if r.side is sc.side]
        lags = tuple(float(x) for x in stats.finite(r.result.glute_lag_ms for r in reps))
        ratios = tuple(
            float(x)
            for x in stats.finite((r.glute_ham_ratio if normalised else r.glute_ham_ratio_uv) for r in reps)
        )
        out.append(
            SessionSide(
                index=index,
                label=s.label,
                when=s.when,
                side=sc.side,
                n_reps=sc.n_reps,
                n_lags=len(lags),
                lags_ms=lags,
                lag_median_ms=stats.median(lags),
                lag_spread_ms=stats.robust_sd(lags),
                lag_ci95_ms=stats.bootstrap_median_ci(lags, n_boot=t.bootstrap_n, seed=index),
                ratios=ratios,
                ratio_median=stats.median(ratios),
                ratio_ci95=stats.bootstrap_median_ci(ratios, n_boot=t.bootstrap_n, seed=index),
                verdict=sc.verdict.kind.value,
            )
        )
    return out


def _change(side: Side, quantity: str, a: SessionSide, b: SessionSide, t: norms.Thresholds) -> Change:
    lag = quantity == "glute_lag_ms"
    va, vb = (a.lags_ms, b.lags_ms) if lag else (a.ratios, b.ratios)
    ma, mb = stats.median(va), stats.median(vb)
    name = "glute lag" if lag else "glute/hamstring ratio"
    unit = " ms" if lag else ""
    fmt = "+.0f" if lag else ".2f"
    ci = stats.bootstrap_median_diff_ci(va, vb, n_boot=t.bootstrap_n)
    mdc = stats.mdc(va, vb, z=t.mdc_z)
    Side_ = side.value.capitalize()
    if ma is None or mb is None or ci is None or mdc is None:
        text = (
            f"{Side_}: cannot tell how the {name} changed: fewer than 2 reps with a value in "
            f"'{a.label if len(va) < 2 else b.label}'."
        )
        return Change(side, quantity, a.label, b.label, ma, mb, None, None, None, False, text)
    d = mb - ma
    exceeds = (ci[0] > 0 or ci[1] < 0) and abs(d) > mdc
    facts = (
        f"median {format(ma, fmt)}{unit} in '{a.label}' -> {format(mb, fmt)}{unit} in '{b.label}'; change "
        f"{d:{'+.0f' if lag else '+.2f'}}{unit}, 95 % CI {ci[0]:{fmt}} to {ci[1]:{fmt}}{unit}; "
        f"MDC95 {mdc:{'.0f' if lag else '.2f'}}{unit}"
    )
    if not exceeds:
        text = f"{Side_}: no change in the {name} beyond the measurement's noise ({facts})."
    elif lag:
        if d < 0:
            better = " (an improvement: the glute lag shrank)" if ma > 0 else ""
            text = (
                f"{Side_}: the glute now switches on {abs(d):.0f} ms sooner relative to the hamstring"
                f"{better} ({facts})."
            )
        else:
            text = f"{Side_}: the glute now switches on {d:.0f} ms later relative to the hamstring ({facts})."
    else:
        word = "higher" if d > 0 else "lower"
        text = f"{Side_}: the glute/hamstring ratio is {word} than before ({facts})."
    return Change(side, quantity, a.label, b.label, ma, mb, d, ci, mdc, exceeds, text)


def trend(sessions: Sequence[SessionInput], *, thresholds: norms.Thresholds | None = None) -> Trend:
    """Compare sessions of one person (given in time order).

    Parameters
    ----------
    sessions : sequence of SessionInput
        At least one; changes are reported from the first to the last.
    thresholds : Thresholds, optional
    """
    t = thresholds or norms.Thresholds()
    normalised = bool(sessions) and all(
        s.clinical.reference_kind == "reference contraction" for s in sessions
    )
    points = [p for i, s in enumerate(sessions) for p in _points(i, s, normalised, t)]
    changes: list[Change] = []
    if len(sessions) >= 2:
        first, last = sessions[0].label, sessions[-1].label
        for side in Side:
            a = next((p for p in points if p.side is side and p.index == 0 and p.label == first), None)
            b = next(
                (p for p in points if p.side is side and p.index == len(sessions) - 1 and p.label == last),
                None,
            )
            if a is None or b is None:
                continue
            changes.append(_change(side, "glute_lag_ms", a, b, t))
            changes.append(_change(side, "glute_ham_ratio", a, b, t))
    kind = "normalised to reference contractions" if normalised else "µV (electrodes re-applied each session)"
    lines = [c.text for c in changes if c.quantity == "glute_lag_ms"]
    lines += [c.text for c in changes if c.quantity == "glute_ham_ratio"]
    if not normalised and any(c.quantity == "glute_ham_ratio" for c in changes):
        lines.append(
            "The ratio is in µV: re-applied electrodes and skin change it between sessions, so read its "
            "changes with care (record a reference contraction, event 'mvc', for normalised ratios)."
        )
    return Trend(tuple(points), tuple(changes), tuple(lines), kind, t)
