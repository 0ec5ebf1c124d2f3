"""``assess``: the clinical reading of one analyzed session (pure; no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from glutesense.analysis.metrics import Order
from glutesense.analysis.pipeline import AnalysisResult
from glutesense.clinical import norms, stats
from glutesense.clinical.gait import GaitSide, gait_side
from glutesense.clinical.quality import ChannelQuality, channel_quality
from glutesense.clinical.reps import ClinicalRep, Reference, clinical_rep, reference_of
from glutesense.clinical.sls import StanceSide, stance_sides
from glutesense.clinical.verdict import SideClinical, VerdictKind, summarize
from glutesense.clinical.wording import signed_ms
from glutesense.model.records import Recording
from glutesense.model.roles import Protocol, Side


@dataclass(frozen=True)
class SessionClinical:
    """Everything the report says about a session beyond the analysis contract.

    Attributes
    ----------
    reps : tuple of ClinicalRep
        In the order of ``result.reps``.
    sides : tuple of SideClinical
    references : tuple of Reference
        One per EMG channel.
    reference_kind : str
        ``"reference contraction"`` if every channel was normalised to one, ``"session peak"``
        if none was, ``"mixed"`` otherwise.
    quality : tuple of ChannelQuality
    symmetry_index_pct : float or None
        Left/right symmetry of the glute hold activation (µV; needs like electrodes on both sides).
    lag_difference_ms : float or None
        Left median lag minus right median lag, ms.
    lines : tuple of str
        Session-level sentences (symmetry, lower back), for the verdict box.
    thresholds : Thresholds
    stance : tuple of StanceSide
        Single-leg stand: stance versus hanging glute and the rise at lift, per stance side
        (:mod:`glutesense.clinical.sls`).
    gait : tuple of GaitSide
        Walk: per side, each muscle's timing over the gait cycle (:mod:`glutesense.clinical.gait`).
    """

    reps: tuple[ClinicalRep, ...]
    sides: tuple[SideClinical, ...]
    references: tuple[Reference, ...]
    reference_kind: str
    quality: tuple[ChannelQuality, ...]
    symmetry_index_pct: float | None
    lag_difference_ms: float | None
    lines: tuple[str, ...]
    thresholds: norms.Thresholds
    stance: tuple[StanceSide, ...] = ()
    gait: tuple[GaitSide, ...] = ()

    def side(self, side: Side) -> SideClinical | None:
        for s in self.sides:
            if s.side is side:
                return s
        return None


def _symmetry_line(si: float, t: norms.Thresholds) -> str:
    r = round(si)
    if r == 0:
        return (
            "Glute activation during the hold is symmetric between sides: symmetry index 0 % "
            f"(|SI| > {t.asymmetry_pct:g} % is called asymmetric, a judgement)."
        )
    word = "asymmetric" if abs(si) > t.asymmetry_pct else "about symmetric"
    more = "left" if si > 0 else "right"
    return (
        f"Glute activation during the hold is {word} between sides: symmetry index {r:+d} % "
        f"({more} larger; |SI| > {t.asymmetry_pct:g} % is called asymmetric, a judgement)."
    )


def _lines(
    sides: tuple[SideClinical, ...],
    si: float | None,
    diff: float | None,
    reference_kind: str,
    t: norms.Thresholds,
    silent: tuple[Side, ...] = (),
    unmeasured: tuple[Side, ...] = (),
) -> list[str]:
    out = []
    if si is not None:
        out.append(_symmetry_line(si, t))
    elif silent and len(sides) == 2:
        which = " and ".join(s.value for s in silent)
        if set(silent) & set(unmeasured):  # lost or unreadable data is not a silent muscle
            out.append(
                f"Left/right symmetry: not computed, no glute onset could be measured on the {which} side "
                "in any rep (undetected: data lost or unreadable, not a silent muscle)."
            )
        else:
            out.append(
                f"Left/right symmetry: not computed, the {which} glute did not switch on in any rep (a "
                "silent muscle has no activation to compare)."
            )
    told = [s for s in sides if s.verdict.kind is not VerdictKind.CANNOT_TELL]
    if diff is not None and len(told) == 2 and all(s.n_lags >= t.min_reps for s in sides):
        out.append(f"Median glute lag, left minus right: {signed_ms(diff)}.")
    erector = [s for s in sides if s.erector_to_glute_median is not None]
    if erector and reference_kind != "reference contraction":
        out.append(
            "Erector spinae (lower back) was recorded, but without a reference contraction its activation "
            "cannot be compared with the glute's (each is normalised to its own peak)."
        )
    elif erector:
        for s in erector:
            assert s.erector_to_glute_median is not None
            if s.erector_to_glute_median > t.erector_over_glute:
                out.append(
                    f"{s.side.value.capitalize()}: the lower back (erector spinae) works harder than the "
                    f"glute during the hold ({s.erector_to_glute_median:.1f} x, normalised to reference "
                    "contractions; judgement)."
                )
    return out


def assess(
    result: AnalysisResult, recording: Recording | None, *, thresholds: norms.Thresholds | None = None
) -> SessionClinical:
    """The clinical metrics, summaries and verdicts of an analyzed recording.

    Parameters
    ----------
    result : AnalysisResult
        From :func:`glutesense.analysis.pipeline.analyze` on ``recording``.
    recording : Recording or None
        Its events (reference contractions, ``lift`` cues) are read.  Without it (None) there are
        no events; signal quality comes from ``result`` either way (``analyze`` assessed the raw
        samples), and the verdicts are otherwise the same.
    thresholds : Thresholds, optional
        Verdict thresholds (default :class:`glutesense.clinical.norms.Thresholds`).
    """
    t = thresholds or norms.Thresholds()
    rec = recording if recording is not None else Recording(streams=(), source="")
    refs = tuple(reference_of(c, rec.events) for c in result.channels)
    by_role = {r.role: r for r in refs}
    reps = tuple(clinical_rep(r, result, rec, by_role) for r in result.reps)
    quality = tuple(channel_quality(c) for c in result.channels)
    q_by_role = {q.role: q for q in quality}
    walk = result.protocol is Protocol.WALK
    gait = tuple(gait_side(s.side, result.reps, q_by_role, t) for s in result.sides) if walk else ()
    verdicts = {g.side: g.verdict for g in gait}
    sides = tuple(
        summarize(s.side, reps, result.protocol, q_by_role, t, verdict=verdicts.get(s.side))
        for s in result.sides
    )
    sls = result.protocol is Protocol.SINGLE_LEG_STAND
    stance = stance_sides(reps, result, rec, by_role) if sls else ()
    kinds = {r.kind for r in refs}
    kind = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "session peak")
    # only reps whose glute switched on: a silent glute's "hold" is noise, and a ratio of noise is no symmetry
    holds = {
        s.side: stats.median(
            r.result.glute_hold_uv for r in reps if r.side is s.side and r.result.glute_onset_s is not None
        )
        for s in sides
    }
    si = stats.symmetry_index_pct(holds.get(Side.LEFT), holds.get(Side.RIGHT))
    silent = tuple(s.side for s in sides if s.n_reps and holds.get(s.side) is None)
    unmeasured = tuple({r.side for r in reps if r.result.order is Order.UNDETECTED})
    meds = {s.side: s.lag_median_ms for s in sides}
    left, right = meds.get(Side.LEFT), meds.get(Side.RIGHT)
    diff = left - right if left is not None and right is not None else None
    return SessionClinical(
        reps=reps,
        sides=sides,
        references=refs,
        reference_kind=kind,
        quality=quality,
        symmetry_index_pct=si,
        lag_difference_ms=diff,
        lines=tuple(_lines(sides, si, diff, kind, t, silent, unmeasured)) if not walk else (),
        thresholds=t,
        stance=stance,
        gait=gait,
    )
