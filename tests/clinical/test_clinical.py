"""Clinical metrics and verdicts on synthetic sessions with known truth.

The analyses use the fast ``changepoint`` detector: these tests check the clinical layer
(metrics, normalisation, verdict wording), not onset accuracy (tests/test_detect*.py).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from glutesense.acquire.recorder import build_schedule
from glutesense.analysis.metrics import Order
from glutesense.analysis.pipeline import AnalysisResult, analyze
from glutesense.clinical import SessionClinical, VerdictKind, assess, norms
from glutesense.clinical.verdict import side_verdict
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import IMU_ROLES, Protocol, Role, Side
from glutesense.virtual import DEFAULT_EMG_ROLES, PersonParams, simulate
from glutesense.virtual.synth import SynthSpec, SynthTruth, make_recording

DET = "changepoint"


def _run(spec: SynthSpec) -> tuple[Recording, SynthTruth, AnalysisResult, SessionClinical]:
    rec, truth = make_recording(spec)
    res = analyze(rec, spec.protocol, detector=DET)
    return rec, truth, res, assess(res, rec)


def virtual_recording(protocol: Protocol, params: PersonParams, *, reps: int = 4) -> Recording:
    """A recording of the virtual person (every channel of ``params.emg_roles`` plus the IMU)."""
    sch = build_schedule(
        protocol, reps=reps, rest_s=4.0, rep_period_s=7.0 if protocol.value != "bridge" else 5.0
    )
    emg, imu, _ = simulate(protocol, sch, params)
    streams = (
        Stream("emg", params.emg_fs_hz, 0.0, params.emg_roles, emg.T.copy()),
        Stream("imu", params.imu_fs_hz, 0.0, IMU_ROLES, imu.T.copy()),
    )
    events = tuple(Event(c.t_s, c.duration_s, c.label, c.side, c.rep) for c in sch if c.is_event)
    return Recording(streams, events, {"protocol": protocol.value}, "virtual")


@pytest.fixture(scope="module")
def late() -> tuple[Recording, SynthTruth, AnalysisResult, SessionClinical]:
    return _run(SynthSpec(n_reps=5, lag_ms=100.0, glute_gain=0.5, seed=21))


@pytest.fixture(scope="module")
def first() -> tuple[Recording, SynthTruth, AnalysisResult, SessionClinical]:
    return _run(SynthSpec(n_reps=5, lag_ms=-90.0, seed=22))


@pytest.fixture(scope="module")
def stand() -> tuple[Recording, SynthTruth, AnalysisResult, SessionClinical]:
    return _run(SynthSpec(protocol=Protocol.SINGLE_LEG_STAND, n_reps=3, false_starts=1, seed=23))


def test_lag_and_onsets_relative_to_cue_match_truth(late: tuple) -> None:
    _, truth, _, clin = late
    for side in Side:
        s = clin.side(side)
        assert s is not None
        assert s.n_lags == 5
        assert s.lag_median_ms == pytest.approx(100.0, abs=30.0)
        assert s.lag_ci95_ms is not None and s.lag_ci95_ms[0] <= s.lag_median_ms <= s.lag_ci95_ms[1]
    for cr in clin.reps:
        true_ham = truth.onset_s(cr.side, Role.HAMSTRING_L.muscle, cr.rep)  # type: ignore[arg-type]
        cue = truth.reps[cr.rep - 1].cue_s
        assert true_ham is not None
        got = cr.result.hamstring_onset_s
        assert got is not None
        assert cr.hamstring_from_cue_ms == pytest.approx(1000 * (got - cue))
        assert cr.hamstring_from_cue_ms == pytest.approx(1000 * (true_ham - cue), abs=80.0)  # detector error
        assert cr.glute_from_movement_ms is not None  # the accelerometer gives movement onset


def test_ratio_follows_the_true_gain(late: tuple) -> None:
    _, _, _, clin = late
    for side in Side:
        s = clin.side(side)
        assert s is not None
        assert s.ratio_uv_median == pytest.approx(0.5, rel=0.15)  # glute plateau = half the hamstring's
    assert clin.reference_kind == "session peak"
    for cr in clin.reps:
        assert cr.glute_hold_mean_pct is not None and 50.0 < cr.glute_hold_mean_pct <= 100.0
        assert cr.glute_hold_peak_pct is not None and cr.glute_hold_peak_pct >= cr.glute_hold_mean_pct
        assert cr.glute_time_to_peak_ms is not None and cr.glute_time_to_peak_ms > 0
        assert cr.glute_hold_cv is not None and 0.0 < cr.glute_hold_cv < 0.5


def test_hamstring_first_within_normal_is_not_called_a_problem(late: tuple) -> None:
    _, _, _, clin = late
    v = clin.sides[0].verdict
    assert v.kind is VerdictKind.WITHIN_NORMAL
    assert v.headline.startswith("Left glute fires after the hamstring in 5 of 5 bridges, median ")
    # the number with its uncertainty, then the healthy range with its numbers and source, in the headline
    assert re.search(r"ms later \(95 % CI [+-]?\d+ to [+-]?\d+ ms; ±\d+ ms rep to rep\)", v.headline)
    pattern = r"within the range seen in healthy people \(typical -?\d+ to \+\d+ ms; healthy men \+108 ± 142"
    assert re.search(pattern, v.headline), v.headline
    assert "Suehiro et al. 2015" in v.headline
    assert "not a sign of a problem" in v.headline
    assert any("Lewis & Sahrmann 2009" in d for d in v.details)
    assert any("Suehiro et al. 2015" in d for d in v.details)


def test_glute_first_wording(first: tuple) -> None:
    _, _, _, clin = first
    for s in clin.sides:
        assert s.verdict.kind is VerdictKind.WITHIN_NORMAL
        assert s.majority_order == Order.GLUTE_FIRST.value
        assert "glute fires before the hamstring in 5 of 5 bridges" in s.verdict.headline
        assert "ms earlier" in s.verdict.headline
        assert s.lag_median_ms == pytest.approx(-90.0, abs=30.0)


def test_glute_late_beyond_the_healthy_range_is_delayed() -> None:
    params = PersonParams.glute_late(500.0, seed=31, lag_jitter_ms=10.0, emg_roles=DEFAULT_EMG_ROLES)
    rec = virtual_recording(Protocol.BRIDGE, params, reps=4)
    clin = assess(analyze(rec, Protocol.BRIDGE, detector=DET), rec)
    for s in clin.sides:
        assert s.verdict.kind is VerdictKind.DELAYED, s.verdict.headline
        assert "glute fires after the hamstring in 4 of 4 bridges" in s.verdict.headline
        assert "later than the range seen in healthy people" in s.verdict.headline
        assert s.lag_median_ms == pytest.approx(500.0, abs=60.0)
        assert s.erector_to_glute_median is not None  # erector spinae recorded: its hold is measured
    # without a reference contraction, muscles normalised to their own peaks are not compared
    assert any("cannot be compared with the glute's" in line for line in clin.lines)
    rep = clin.reps[0]
    assert (
        rep.erector_from_glute_ms is not None and rep.erector_from_glute_ms < 0
    )  # the back before the glute


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (SynthSpec(n_reps=4, snr_db=0.0, seed=24), "poor signal quality"),
        (SynthSpec(n_reps=2, seed=25), "only 2 of 2 bridges have both onsets"),
    ],
)
def test_cannot_tell(spec: SynthSpec, reason: str) -> None:
    _, _, _, clin = _run(spec)
    for s in clin.sides:
        assert s.verdict.kind is VerdictKind.CANNOT_TELL
        assert s.verdict.headline.startswith(f"{s.side.value.capitalize()}: cannot tell")
        assert reason in s.verdict.headline


def test_cannot_tell_on_contradictory_reps_and_large_uncertainty(late: tuple) -> None:
    _, _, _, clin = late
    reps = [r for r in clin.reps if r.side is Side.LEFT]
    flipped = [
        dataclasses.replace(
            r,
            result=dataclasses.replace(
                r.result,
                glute_lag_ms=-(r.result.glute_lag_ms or 0.0),
                order=Order.GLUTE_FIRST,
            ),
        )
        if i % 2
        else r
        for i, r in enumerate(reps)
    ]
    t = norms.Thresholds()
    kw = {"lag_ci95_ms": (90.0, 110.0), "lag_spread_ms": 10.0, "lag_sd_median_ms": None}
    v = side_verdict(Side.LEFT, flipped, Protocol.BRIDGE, {}, t, **kw)  # type: ignore[arg-type]
    assert v.kind is VerdictKind.CANNOT_TELL
    assert "contradictory reps" in v.headline and "glute first in 2, hamstring first in 3" in v.headline
    kw_unc = {"lag_ci95_ms": (90.0, 110.0), "lag_spread_ms": 10.0, "lag_sd_median_ms": 80.0}
    v = side_verdict(Side.LEFT, reps, Protocol.BRIDGE, {}, t, **kw_unc)  # type: ignore[arg-type]
    assert v.kind is VerdictKind.CANNOT_TELL and "lag uncertainty too large" in v.headline
    kw_ci = {"lag_ci95_ms": (0.0, 200.0), "lag_spread_ms": 10.0, "lag_sd_median_ms": None}
    v = side_verdict(Side.LEFT, reps, Protocol.BRIDGE, {}, t, **kw_ci)  # type: ignore[arg-type]
    assert v.kind is VerdictKind.CANNOT_TELL and "±100 ms" in v.headline


def test_glute_absent() -> None:
    _, _, _, clin = _run(SynthSpec(n_reps=3, glute_absent=True, seed=26))
    for s in clin.sides:
        assert s.verdict.kind is VerdictKind.GLUTE_ABSENT
        assert "did not switch on in 3 of 3 bridges" in s.verdict.headline


def test_single_leg_stand_latency_false_starts_rise_and_steadiness(stand: tuple) -> None:
    _, _, _, clin = stand
    for cr in clin.reps:
        assert cr.result.false_starts == 1
        assert cr.result.squeeze_latency_ms == pytest.approx(1200.0, abs=60.0)
        assert cr.glute_rise_10_90_ms is not None and 0 < cr.glute_rise_10_90_ms < 300
        assert cr.glute_hold_cv is not None and cr.glute_hold_cv < 0.5
    for s in clin.sides:
        assert s.false_starts_total == 3
        assert s.verdict.kind in (VerdictKind.DESCRIPTIVE, VerdictKind.CANNOT_TELL)


def test_rise_time_grows_with_the_true_rise() -> None:
    fast = _run(SynthSpec(n_reps=3, rise_s=(0.03, 0.03), seed=27))[3]
    slow = _run(SynthSpec(n_reps=3, rise_s=(0.4, 0.4), seed=27))[3]
    f = np.median([r.glute_rise_10_90_ms for r in fast.reps if r.glute_rise_10_90_ms is not None])
    s = np.median([r.glute_rise_10_90_ms for r in slow.reps if r.glute_rise_10_90_ms is not None])
    assert s > f + 100.0  # 10-90 % of a 400 ms raised cosine is ~236 ms; of 30 ms ~18 ms (plus smoothing)


def test_symmetry_index_from_a_weaker_right_side() -> None:
    params = PersonParams.glute_first(-60.0, seed=32, right_gain=0.6)
    rec = virtual_recording(Protocol.BRIDGE, params, reps=4)
    clin = assess(analyze(rec, Protocol.BRIDGE, detector=DET), rec)
    # SI = 100 (1 - 0.6) / 0.8 = +50 %; background noise pulls it a little towards 0
    assert clin.symmetry_index_pct == pytest.approx(50.0, abs=10.0)
    assert any("asymmetric" in line and "left larger" in line for line in clin.lines)


def test_reference_contraction_is_used_when_recorded(late: tuple) -> None:
    rec, _, res, _ = late
    r1 = res.reps[0]
    assert r1.glute_onset_s is not None
    mvc = Event(r1.glute_onset_s + 0.5, 2.0, "mvc")
    rec2 = dataclasses.replace(rec, events=(*rec.events, mvc))
    clin = assess(res, rec2)
    assert clin.reference_kind == "reference contraction"
    first = next(r for r in clin.reps if r.side is Side.LEFT and r.rep == 1)
    assert first.glute_hold_mean_pct == pytest.approx(90.0, abs=12.0)


def test_glute_med_onset_relative_to_the_weight_shift() -> None:
    params = PersonParams.glute_first(-50.0, seed=33)
    rec = virtual_recording(Protocol.SINGLE_LEG_STAND, params, reps=2)
    clin = assess(analyze(rec, Protocol.SINGLE_LEG_STAND, detector=DET), rec)
    vals = [r.glute_med_from_shift_ms for r in clin.reps]
    assert all(v is not None for v in vals), vals
    # the virtual person's glute med switches on 50-150 ms before the pelvis starts to move
    assert all(-350.0 < v < 80.0 for v in vals if v is not None), vals
    assert all(r.weight_shift_source == "pelvis tilt (IMU)" for r in clin.reps)


def test_norms_are_cited_and_judgements_say_so() -> None:
    docs = norms.threshold_docs(norms.Thresholds())
    assert all(d.source.citation for d in docs)
    assert {d.source.key for d in docs} >= {"Lewis & Sahrmann 2009", "Suehiro et al. 2015", "judgement"}
    assert norms.GLUTE_FROM_MOVEMENT_NO_CUE.mean_ms == -11.5
    assert norms.MEDIAL_HAMSTRING_FROM_MOVEMENT.mean_ms == -195.5
    assert "J Athl Train. 2009;44(3)" in norms.LEWIS_SAHRMANN_2009.citation
