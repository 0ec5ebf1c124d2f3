"""A virtual training set against its known truth: fatigue slope, activation, glute first, schedule."""

from __future__ import annotations

import numpy as np
import pytest

from glutesense.acquire.training import Exercise, SetPlan, build_set_schedule
from glutesense.analysis.fatigue import trend
from glutesense.analysis.training import SetSummary, rep_windows, summarize_set
from glutesense.model.records import Event
from glutesense.model.roles import Protocol, Role
from glutesense.virtual.offline import simulate
from glutesense.virtual.params import Pattern, PersonParams


def _virtual_set(seed: int, drop_share: float, *, pattern: Pattern = Pattern.GLUTE_FIRST, reps: int = 12):
    plan = SetPlan(Exercise.HIP_THRUST, reps)
    params = PersonParams(
        pattern=pattern,
        glute_lag_ms=-60.0 if pattern is Pattern.GLUTE_FIRST else 120.0,
        emg_spectrum="surface",
        fatigue_per_active_s=drop_share / plan.active_span_s(),
        seed=seed,
    )
    schedule = build_set_schedule(plan)
    emg, _, truth = simulate(Protocol.BRIDGE, schedule, params)
    events = [Event(c.t_s, c.duration_s, c.label, c.side, c.rep) for c in schedule if c.is_event]
    roles = [Role(r) for r in truth["emg_roles"]]
    summary = summarize_set({r: (emg[:, i], params.emg_fs_hz, 0.0) for i, r in enumerate(roles)}, events)
    return summary, truth


def truth_glute_mdf(truth: dict) -> np.ndarray:
    """The virtual person's own glute MDF per rep (mean of left and right), Hz."""
    by_rep: dict[int, list[float]] = {}
    for r in truth["fatigue"]["reps"]:
        for role in ("glute_max_l", "glute_max_r"):
            if r["rep"] >= 1 and role in r["muscles"]:
                by_rep.setdefault(r["rep"], []).append(r["muscles"][role]["mdf_hz"])
    return np.array([np.mean(by_rep[k]) for k in sorted(by_rep)])


def test_twelve_fatiguing_hip_thrusts_give_the_known_slope() -> None:
    # The median frequency falls by 20 % over the set (known truth).  The glutes' slope is read per
    # rep against the set's own spectrum (analysis/compression.py); one set's slope scatters by ~5 %
    # SD around the truth (the per-rep MDF's by ~7 %; benchmarks/fatigue_accuracy.py, where ~94 % of
    # 20 %-fall sets land within 10 %): each set's interval holds the truth and lies within 15 %
    # (3 SD), the mean of three within 6 %.
    ratios = []
    for seed in (1, 2, 3):
        summary, truth = _virtual_set(seed, 0.20)
        true = trend(truth_glute_mdf(truth))
        got = summary.glute_fatigue
        assert true is not None and got.mdf is not None and len(summary.reps) == 12
        assert -true.change_pct == pytest.approx(20.0, abs=3.0)  # the person tires as planned
        assert got.mdf.ci_low <= true.slope <= got.mdf.ci_high
        assert got.mdf.slope == pytest.approx(true.slope, rel=0.15)
        assert got.tired and summary.tired_at_rep is not None
        ratios.append(got.mdf.slope / true.slope)
        assert all(r.glute_first for r in summary.reps)
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.06)


def test_a_30_percent_fall_gives_each_set_within_10_percent() -> None:
    # Issue 14's "within 10 % of truth": at a 30 % fall every one of 16 benchmark sets lands within
    # 10 % (median error 2.4 %; docs/accuracy.md); at 10 % no estimator can (the data's limit there).
    for seed in (1, 2, 3):
        summary, truth = _virtual_set(seed, 0.30)
        true = trend(truth_glute_mdf(truth))
        got = summary.glute_fatigue
        assert true is not None and got.mdf is not None and len(summary.reps) == 12
        assert -true.change_pct == pytest.approx(30.0, abs=4.0)
        assert got.mdf.slope == pytest.approx(true.slope, rel=0.10)
        assert got.mdf.ci_low <= true.slope <= got.mdf.ci_high


def test_a_fresh_set_shows_no_fatigue_and_a_late_glute_is_called() -> None:
    summary, truth = _virtual_set(4, 0.0, pattern=Pattern.GLUTE_LATE)
    got = summary.glute_fatigue
    assert got.mdf is not None and got.mdf.consistent_with_zero and not got.tired
    assert summary.tired_at_rep is None
    assert abs(got.mdf_drop_pct) < 6.0
    assert not any(r.glute_first for r in summary.reps)  # hamstrings led every rep (truth: +120 ms)
    assert all("hamstrings led" in r.verdict for r in summary.reps)
    _check_activation(summary, truth)


def _check_activation(summary: SetSummary, truth: dict) -> None:
    # truth: each rep's glute plateau over the reference contraction's (rep 0)
    ref = {
        r["side"]: r["muscles"][f"glute_max_{r['side'][0]}"]["plateau_uv"]
        for r in truth["reps"]
        if r["rep"] == 0
    }
    for rep in summary.reps:
        for t in (x for x in truth["reps"] if x["rep"] == rep.rep and x["cue_label"] == "cue"):
            role = Role(f"glute_max_{t['side'][0]}")
            m = rep.muscle(role)
            assert m is not None
            share = t["muscles"][role.value]["plateau_uv"] / ref[t["side"]]
            assert m.activation == pytest.approx(share, rel=0.12)
            assert m.above_target_s > 5.0


def test_set_schedule_labels_and_timing() -> None:
    cues = build_set_schedule(SetPlan(Exercise.HIP_THRUST, 3))
    labels = [c.label for c in cues]
    assert labels[:3] == ["rest", "reference", "relax"]
    assert labels[3:] == ["cue", "hold", "lower"] * 3 + ["end"]
    reps = rep_windows([Event(c.t_s, 0.0, c.label, None, c.rep) for c in cues if c.is_event])
    assert [r[0] for r in reps] == [1, 2, 3]
    assert all(b - a == pytest.approx(7.0) for _, a, b in reps)  # lift 2 s + hold 5 s
    squeeze = build_set_schedule(SetPlan(Exercise.SQUEEZE, 2, hold_s=4.0))
    assert [c.label for c in squeeze][3:] == ["contract", "relax", "contract", "relax", "end"]
    with pytest.raises(ValueError, match="hold"):
        build_set_schedule(SetPlan(Exercise.SQUAT, 3, hold_s=0.5))


def test_the_virtual_person_gets_better_over_sessions() -> None:
    from glutesense.virtual.progress import after_sessions

    first = {"pattern": "glute_late", "glute_lag_ms": 120.0, "fatigue_per_active_s": 0.003, "seed": 1}
    assert after_sessions(first, 1) == first
    fourth = after_sessions(first, 4)
    assert fourth["pattern"] == "glute_first" and fourth["glute_lag_ms"] == pytest.approx(-1.0)
    assert fourth["fatigue_per_active_s"] == pytest.approx(0.003 * 0.85**3)
    assert after_sessions(first, 10)["glute_lag_ms"] == -60.0
    PersonParams.from_json({k: v for k, v in fourth.items()})  # a valid person


def test_the_squeeze_counts_holds_above_the_target_at_the_known_level() -> None:
    from glutesense.analysis.training import TrainingSettings

    plan = SetPlan(Exercise.SQUEEZE, 5, hold_s=5.0)
    schedule = build_set_schedule(plan)
    events = [Event(c.t_s, c.duration_s, c.label, c.side, c.rep) for c in schedule if c.is_event]
    for share, target, held in ((0.7, 0.4, 5), (0.3, 0.4, 0)):
        params = PersonParams.glute_first(emg_spectrum="surface", squeeze_share=share, seed=9)
        emg, _, truth = simulate(Protocol.BRIDGE, schedule, params)
        roles = [Role(r) for r in truth["emg_roles"]]
        settings = TrainingSettings(target_share=target, order_matters=False, success_hold_s=4.0)
        summary = summarize_set({r: (emg[:, i], 1000.0, 0.0) for i, r in enumerate(roles)}, events, settings)
        assert len(summary.reps) == 5
        assert sum(bool(r.success) for r in summary.reps) == held
        plateau = {
            (t["rep"], t["cue_label"]): t["muscles"]["glute_max_l"]["plateau_uv"]
            for t in truth["reps"]
            if t["side"] == "left"
        }
        for r in summary.reps:
            m = r.muscle(Role.GLUTE_MAX_L)
            true_share = plateau[(r.rep, "contract")] / plateau[(0, "reference")]
            assert abs(true_share / share - 1) < 0.4  # the person squeezes at share x (0.85-1.15)
            assert m is not None and m.activation == pytest.approx(true_share, rel=0.12)
            assert "glute first" not in r.verdict and "hamstrings led" not in r.verdict
        assert f"{held} of 5 squeezes held above the target." in summary.sentences
