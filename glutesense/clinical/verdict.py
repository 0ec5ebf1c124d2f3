"""Per-side summaries and plain-words verdicts whose thresholds cite their source.

A verdict first describes what happened ("Left glute fires after the hamstring in
5 of 6 bridges, median 85 ms later (±20 ms rep to rep)"), then compares the glute's
timing with healthy ranges for the closest test with published norms
(:mod:`glutesense.clinical.norms`), and says "cannot tell" when the data do not carry a
verdict: too few reps, reps that disagree, a lag too uncertain, or poor signals.
"Hamstring first" on its own is never called a problem: it is the usual healthy order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from glutesense.analysis.metrics import Order
from glutesense.clinical import norms, stats
from glutesense.clinical.quality import ChannelQuality
from glutesense.clinical.reps import ClinicalRep
from glutesense.clinical.wording import compare, order_words, range_sentence
from glutesense.model.roles import Muscle, Protocol, Role, Side


class VerdictKind(StrEnum):
    """What a side's verdict says."""

    WITHIN_NORMAL = "within_normal"
    LATER_THAN_TYPICAL = "later_than_typical"
    DELAYED = "delayed"
    GLUTE_ABSENT = "glute_absent"
    DESCRIPTIVE = "descriptive"
    CANNOT_TELL = "cannot_tell"


@dataclass(frozen=True)
class Verdict:
    """One side's verdict.

    Attributes
    ----------
    kind : VerdictKind
    headline : str
        One or two plain sentences.
    details : tuple of str
        The comparisons with healthy ranges, each naming its source.
    reasons : tuple of str
        Why "cannot tell" (empty otherwise).
    sources : tuple of Source
    """

    kind: VerdictKind
    headline: str
    details: tuple[str, ...]
    reasons: tuple[str, ...]
    sources: tuple[norms.Source, ...]


@dataclass(frozen=True)
class SideClinical:
    """Aggregates of one side over its reps.

    Attributes
    ----------
    side : Side
    n_reps, n_lags : int
        Reps, and reps with both onsets.
    lag_median_ms, lag_spread_ms : float or None
        Median lag and its rep-to-rep spread (robust SD, 1.4826 MAD), ms.
    lag_q25_ms, lag_q75_ms : float or None
    lag_ci95_ms : (float, float) or None
        Percentile bootstrap 95 % CI of the median lag.
    lag_sd_median_ms : float or None
        Median of the per-rep lag uncertainties, when the detector gives them.
    order_counts : mapping str -> int
    majority_order : str or None
        The most common order among reps with both onsets.
    consistency : float or None
        Share of reps with both onsets in the majority order.
    glute_from_movement_median_ms, hamstring_from_movement_median_ms : float or None
    glute_from_cue_median_ms : float or None
    ratio_median, ratio_uv_median : float or None
    glute_hold_mean_pct_median, erector_to_glute_median : float or None
    squeeze_latency_median_ms, rise_10_90_median_ms, hold_cv_median : float or None
    false_starts_total : int or None
    glute_med_from_shift_median_ms : float or None
    verdict : Verdict
    """

    side: Side
    n_reps: int
    n_lags: int
    lag_median_ms: float | None
    lag_spread_ms: float | None
    lag_q25_ms: float | None
    lag_q75_ms: float | None
    lag_ci95_ms: tuple[float, float] | None
    lag_sd_median_ms: float | None
    order_counts: Mapping[str, int]
    majority_order: str | None
    consistency: float | None
    glute_from_movement_median_ms: float | None
    hamstring_from_movement_median_ms: float | None
    glute_from_cue_median_ms: float | None
    ratio_median: float | None
    ratio_uv_median: float | None
    glute_hold_mean_pct_median: float | None
    erector_to_glute_median: float | None
    squeeze_latency_median_ms: float | None
    rise_10_90_median_ms: float | None
    hold_cv_median: float | None
    false_starts_total: int | None
    glute_med_from_shift_median_ms: float | None
    verdict: Verdict


_REP_NOUN = {Protocol.BRIDGE: "bridges", Protocol.SINGLE_LEG_STAND: "squeezes", Protocol.WALK: "strides"}
_TIMED = (Order.GLUTE_FIRST.value, Order.HAMSTRING_FIRST.value, Order.SIMULTANEOUS.value)


def quality_reasons(side: Side, quality: Mapping[Role, ChannelQuality], t: norms.Thresholds) -> list[str]:
    """Why the signals of a side's glute and hamstring carry no verdict (empty when they do)."""
    out = []
    for muscle in (Muscle.GLUTE_MAX, Muscle.HAMSTRING):
        q = quality.get(Role.emg(muscle, side))
        if q is None:
            continue
        name = "glute" if muscle is Muscle.GLUTE_MAX else "hamstring"
        if q.snr_db is not None and q.snr_db < t.min_snr_db:
            out.append(
                f"poor signal quality: {name} SNR {q.snr_db:.1f} dB (< {t.min_snr_db:g} dB, judgement)"
            )
        if q.lost_fraction > t.max_gap_fraction:
            out.append(f"{name} channel lost {100 * q.lost_fraction:.0f} % of its samples")
        if q.flat_fraction is not None and q.flat_fraction > t.max_gap_fraction:
            out.append(f"{name} channel is a flat line for {100 * q.flat_fraction:.0f} % of the session")
        if q.clipping:
            out.append(f"{name} channel clips (amplifier saturated)")
    return out


def cannot_tell(side: Side, reasons: Sequence[str], prefix: str = "") -> Verdict:
    """A "cannot tell" verdict naming its reasons."""
    text = f"{side.value.capitalize()}: cannot tell" + (f" ({prefix})" if prefix else "") + ": "
    return Verdict(
        VerdictKind.CANNOT_TELL, text + "; ".join(reasons) + ".", (), tuple(reasons), (norms.JUDGEMENT,)
    )


def side_verdict(
    side: Side,
    reps: Sequence[ClinicalRep],
    protocol: Protocol,
    quality: Mapping[Role, ChannelQuality],
    t: norms.Thresholds,
    *,
    lag_ci95_ms: tuple[float, float] | None,
    lag_spread_ms: float | None,
    lag_sd_median_ms: float | None,
) -> Verdict:
    """The verdict of one side (see the module docstring)."""
    refused = _refusal(side, reps, protocol, quality, t, lag_ci95_ms, lag_sd_median_ms)
    if refused is not None:
        return refused
    timed = _timed_counts(reps)
    major = max(timed, key=lambda o: timed[o])
    lag_med = float(stats.median(_lags(reps)) or 0.0)
    words = order_words(
        major, timed[major], len(reps), _REP_NOUN[protocol], lag_med, lag_spread_ms, lag_ci95_ms
    )
    headline = f"{side.value.capitalize()} " + words
    if protocol is not Protocol.BRIDGE:
        return Verdict(
            VerdictKind.DESCRIPTIVE,
            headline + " The squeeze cue changes the firing order, and no healthy range has been "
            "published for this test, so this is a description, not a verdict.",
            (norms.TEST_TRANSFER_NOTE,),
            (),
            (norms.LEWIS_SAHRMANN_2009,),
        )
    return _bridge_verdict(headline, reps, major, lag_med, t)


def _lags(reps: Sequence[ClinicalRep]) -> list[float]:
    return [r.result.glute_lag_ms for r in reps if r.result.glute_lag_ms is not None]


def _timed_counts(reps: Sequence[ClinicalRep]) -> dict[str, int]:
    """Reps per timed order (glute first, hamstring first, together)."""
    return {o: sum(r.result.order.value == o for r in reps) for o in _TIMED}


def _refusal(
    side: Side,
    reps: Sequence[ClinicalRep],
    protocol: Protocol,
    quality: Mapping[Role, ChannelQuality],
    t: norms.Thresholds,
    lag_ci95_ms: tuple[float, float] | None,
    lag_sd_median_ms: float | None,
) -> Verdict | None:
    """The verdict when the data carry no timing verdict (no reps, poor signals, an absent glute,
    too few lags, reps that disagree, a lag too uncertain); None when they do."""
    noun = _REP_NOUN[protocol]
    n = len(reps)
    if n == 0:
        return cannot_tell(side, ["no reps were found"])
    q_reasons = quality_reasons(side, quality, t)
    if q_reasons:
        return cannot_tell(side, q_reasons)
    absent = sum(r.result.order is Order.GLUTE_ABSENT for r in reps)
    if absent >= t.min_reps and absent >= t.min_consistency * n:
        return Verdict(
            VerdictKind.GLUTE_ABSENT,
            f"{side.value.capitalize()}: the glute did not switch on in {absent} of {n} {noun} while the "
            "hamstring did (check the glute electrode too: a loose electrode looks the same).",
            (),
            (),
            (),
        )
    n_lags = len(_lags(reps))
    if n_lags < t.min_reps:
        why = f"only {n_lags} of {n} {noun} have both onsets (at least {t.min_reps} needed, judgement)"
        return cannot_tell(side, [why])
    timed = _timed_counts(reps)
    if max(timed.values()) / n_lags < t.min_consistency:
        parts = ", ".join(f"{o.replace('_', ' ')} in {c}" for o, c in timed.items() if c)
        return cannot_tell(side, [f"the reps disagree ({parts})"], "contradictory reps")
    return _uncertain(side, t, lag_ci95_ms, lag_sd_median_ms)


def _uncertain(
    side: Side,
    t: norms.Thresholds,
    lag_ci95_ms: tuple[float, float] | None,
    lag_sd_median_ms: float | None,
) -> Verdict | None:
    """ "Cannot tell" when the median lag or each rep's lag is too uncertain; None otherwise."""
    limit = t.max_lag_uncertainty_ms
    half_ci = None if lag_ci95_ms is None else 0.5 * (lag_ci95_ms[1] - lag_ci95_ms[0])
    if half_ci is not None and half_ci > limit:
        why = f"the median lag is uncertain by ±{half_ci:.0f} ms (95 % CI; > {limit:g} ms)"
        return cannot_tell(side, [why], "lag uncertainty too large")
    if lag_sd_median_ms is not None and lag_sd_median_ms > limit:
        why = f"each rep's lag is uncertain by ±{lag_sd_median_ms:.0f} ms (> {limit:g} ms)"
        return cannot_tell(side, [why], "lag uncertainty too large")
    return None


def _bridge_verdict(
    headline: str, reps: Sequence[ClinicalRep], major: str, lag_med: float, t: norms.Thresholds
) -> Verdict:
    """A bridge side's verdict: the glute's timing against healthy ranges, citing the comparison that
    sets it (the lag when they agree)."""
    details = []
    compared = []  # (level, what the sentence names, value, range)
    moves = stats.median(r.glute_from_movement_ms for r in reps)
    if moves is not None:
        rng = norms.GLUTE_FROM_MOVEMENT_NO_CUE
        lv, text = compare(moves, rng, t, "Glute onset relative to movement onset")
        compared.append((lv, "the glute's onset after the movement starts", moves, rng))
        details.append(text)
    rng = norms.GLUTE_LAG_VS_HAMSTRING
    lv, text = compare(lag_med, rng, t, "Glute onset relative to the hamstring")
    compared.append((lv, "the lag", lag_med, rng))
    details.append(text)
    details.append(norms.TEST_TRANSFER_NOTE)
    worst, what, value, rng = max(compared, key=lambda c: (c[0], c[1] == "the lag"))
    sources = (norms.LEWIS_SAHRMANN_2009, norms.SUEHIRO_2015, norms.SAKAMOTO_2009)
    kind = (VerdictKind.WITHIN_NORMAL, VerdictKind.LATER_THAN_TYPICAL, VerdictKind.DELAYED)[worst]
    tail = " " + range_sentence(worst, what, value, rng, t)
    if worst == 0 and major == Order.HAMSTRING_FIRST.value:
        tail += (
            " The hamstrings usually fire first in healthy people, so a glute that follows is not a sign of "
            "a problem."
        )
    return Verdict(kind, headline + tail, tuple(details), (), sources)


def summarize(
    side: Side,
    reps: Sequence[ClinicalRep],
    protocol: Protocol,
    quality: Mapping[Role, ChannelQuality],
    t: norms.Thresholds,
    *,
    verdict: Verdict | None = None,
) -> SideClinical:
    """Aggregates and verdict of ``reps`` (those of ``side``); ``verdict`` replaces the rep verdict
    (a walk's comes from :mod:`glutesense.clinical.gait`)."""
    mine = [r for r in reps if r.side is side]
    lags = [r.result.glute_lag_ms for r in mine]
    lag_vals = stats.finite(lags)
    counts = {o.value: sum(r.result.order is o for r in mine) for o in Order}
    timed = {o: counts[o] for o in _TIMED}
    n_timed = sum(timed.values())
    major = max(timed, key=lambda o: timed[o]) if n_timed else None
    ci = stats.bootstrap_median_ci(lag_vals, n_boot=t.bootstrap_n)
    spread = stats.robust_sd(lag_vals)
    sd_med = stats.median(r.glute_lag_sd_ms for r in mine)
    fs = [r.result.false_starts for r in mine if r.result.false_starts is not None]
    return SideClinical(
        side=side,
        n_reps=len(mine),
        n_lags=int(lag_vals.size),
        lag_median_ms=stats.median(lag_vals),
        lag_spread_ms=spread,
        lag_q25_ms=float(_pctl(lag_vals, 25)) if lag_vals.size else None,
        lag_q75_ms=float(_pctl(lag_vals, 75)) if lag_vals.size else None,
        lag_ci95_ms=ci,
        lag_sd_median_ms=sd_med,
        order_counts=counts,
        majority_order=major,
        consistency=(timed[major] / n_timed) if major is not None and n_timed else None,
        glute_from_movement_median_ms=stats.median(r.glute_from_movement_ms for r in mine),
        hamstring_from_movement_median_ms=stats.median(r.hamstring_from_movement_ms for r in mine),
        glute_from_cue_median_ms=stats.median(r.glute_from_cue_ms for r in mine),
        ratio_median=stats.median(r.glute_ham_ratio for r in mine),
        ratio_uv_median=stats.median(r.glute_ham_ratio_uv for r in mine),
        glute_hold_mean_pct_median=stats.median(r.glute_hold_mean_pct for r in mine),
        erector_to_glute_median=stats.median(r.erector_to_glute for r in mine),
        squeeze_latency_median_ms=stats.median(r.result.squeeze_latency_ms for r in mine),
        rise_10_90_median_ms=stats.median(r.glute_rise_10_90_ms for r in mine),
        hold_cv_median=stats.median(r.glute_hold_cv for r in mine),
        false_starts_total=sum(fs) if fs else None,
        glute_med_from_shift_median_ms=stats.median(r.glute_med_from_shift_ms for r in mine),
        verdict=verdict
        or side_verdict(
            side,
            mine,
            protocol,
            quality,
            t,
            lag_ci95_ms=ci,
            lag_spread_ms=spread,
            lag_sd_median_ms=sd_med,
        ),
    )


def _pctl(v: stats.FloatArray, q: float) -> float:
    return float(np.percentile(v, q))
