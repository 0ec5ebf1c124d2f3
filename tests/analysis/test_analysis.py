"""analyze() end to end on synthetic recordings with known truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from glutesense.analysis.metrics import Order
from glutesense.analysis.pipeline import AnalysisResult, analyze
from glutesense.model.records import Event, Recording
from glutesense.model.roles import Muscle, Protocol, Role, Side
from glutesense.virtual.synth import SynthSpec, SynthTruth, make_recording


def _errors_ms(result: AnalysisResult, truth: SynthTruth) -> list[float]:
    errs = []
    for r in result.reps:
        for muscle, got in ((Muscle.GLUTE_MAX, r.glute_onset_s), (Muscle.HAMSTRING, r.hamstring_onset_s)):
            true = truth.onset_s(r.side, muscle, r.rep)
            assert got is not None
            assert true is not None
            errs.append((got - true) * 1000.0)
    return errs


@pytest.mark.parametrize(("lag_ms", "order"), [(120.0, Order.HAMSTRING_FIRST), (-120.0, Order.GLUTE_FIRST)])
def test_bridge_lag_sign_and_order(lag_ms: float, order: Order) -> None:
    rec, truth = make_recording(SynthSpec(lag_ms=lag_ms, n_reps=4, seed=21))
    res = analyze(rec, Protocol.BRIDGE)
    assert len(res.reps) == 8
    assert res.rep_source == "cue events"
    assert all(r.order is order for r in res.reps)
    lags = [r.glute_lag_ms for r in res.reps if r.glute_lag_ms is not None]
    assert len(lags) == 8
    assert abs(np.median(lags) - lag_ms) <= 30.0
    assert np.median(np.abs(_errors_ms(res, truth))) <= 25.0
    for s in res.sides:
        assert s.lag_median_ms is not None
        assert abs(s.lag_median_ms - lag_ms) <= 40.0
        assert s.order_counts[order.value] == 4
    assert res.symmetry_index_pct is not None
    assert abs(res.symmetry_index_pct) < 15.0


@pytest.mark.parametrize("fs_hz", [200.0, 2000.0])
def test_low_and_high_rates_analyze(fs_hz: float) -> None:
    rec, _ = make_recording(SynthSpec(fs_hz=fs_hz, n_reps=3, seed=22, mains_hz=60.0))
    res = analyze(rec, "bridge")
    assert len(res.reps) == 6
    assert all(r.glute_onset_s is not None and r.hamstring_onset_s is not None for r in res.reps)
    if fs_hz == 200.0:
        assert any("lowered" in n for n in res.notes)
    assert {c.mains_hz for c in res.channels} == {60.0}


def test_bridge_reps_from_accelerometer_without_cues() -> None:
    rec, truth = make_recording(SynthSpec(cue_events=False, n_reps=4, seed=23))
    res = analyze(rec, Protocol.BRIDGE)
    assert res.rep_source == "accelerometer"
    assert len(res.reps) == 8
    for r in res.reps:
        assert r.cue_s is None
        true_move = truth.reps[r.rep - 1].movement_onset_s
        assert r.movement_onset_s is not None
        assert true_move is not None
        assert abs(r.movement_onset_s - true_move) < 0.15
    assert np.median(np.abs(_errors_ms(res, truth))) <= 25.0


def test_bridge_reps_from_emg_without_cues_or_imu() -> None:
    rec, _ = make_recording(SynthSpec(cue_events=False, imu=False, n_reps=3, seed=24))
    res = analyze(rec, Protocol.BRIDGE)
    assert res.rep_source == "emg"
    assert len(res.reps) == 6
    assert all(r.movement_onset_s is None for r in res.reps)


def test_glute_absent() -> None:
    rec, _ = make_recording(SynthSpec(glute_absent=True, n_reps=3, seed=25))
    res = analyze(rec, Protocol.BRIDGE)
    assert all(r.order is Order.GLUTE_ABSENT and r.glute_lag_ms is None for r in res.reps)
    assert all("glute" in r.reason for r in res.reps)


def test_single_leg_stand_latency_and_false_starts() -> None:
    rec, _truth = make_recording(
        SynthSpec(
            protocol=Protocol.SINGLE_LEG_STAND, false_starts=2, n_reps=2, squeeze_latency_s=1.2, seed=26
        )
    )
    res = analyze(rec, Protocol.SINGLE_LEG_STAND)
    expected = [(Side.LEFT, 1), (Side.LEFT, 2), (Side.RIGHT, 1), (Side.RIGHT, 2)]
    assert [(r.side, r.rep) for r in res.reps] == expected
    for r in res.reps:
        assert r.false_starts == 2
        assert r.squeeze_latency_ms is not None
        assert abs(r.squeeze_latency_ms - 1200.0) <= 40.0
    assert res.sides[0].false_starts_total == 4


def test_single_leg_stand_side_from_trial_type_suffix() -> None:
    rec, _ = make_recording(
        SynthSpec(protocol=Protocol.SINGLE_LEG_STAND, n_reps=1, side_in_trial_type=True, seed=27)
    )
    res = analyze(rec, Protocol.SINGLE_LEG_STAND)
    assert [r.side for r in res.reps] == [Side.LEFT, Side.RIGHT]
    assert all(r.squeeze_latency_ms is not None for r in res.reps)


def test_single_leg_stand_without_squeeze_leaves_latency_empty_and_says_why() -> None:
    rec, _ = make_recording(SynthSpec(protocol=Protocol.SINGLE_LEG_STAND, n_reps=1, seed=28))
    events = tuple(e for e in rec.events if e.trial_type != "squeeze")
    res = analyze(dataclasses.replace(rec, events=events), Protocol.SINGLE_LEG_STAND)
    assert len(res.reps) == 2
    assert all(r.squeeze_latency_ms is None and r.cue_s is None for r in res.reps)
    assert any("squeeze latency left empty" in n for n in res.notes)


def test_no_rest_event_uses_quietest_window_and_gaps_survive() -> None:
    rec, truth = make_recording(SynthSpec(n_reps=3, seed=29, gaps=((10.0, 0.3),)))
    rec = dataclasses.replace(rec, events=tuple(e for e in rec.events if e.trial_type != "rest"))
    res = analyze(rec, Protocol.BRIDGE)
    assert any("quietest" in n for n in res.notes)
    assert len(res.reps) == 6
    assert np.median(np.abs(_errors_ms(res, truth))) <= 30.0


def test_bursts_carry_side_muscle_rep() -> None:
    rec, _ = make_recording(SynthSpec(n_reps=2, seed=30))
    res = analyze(rec, Protocol.BRIDGE)
    assert len(res.bursts) == 8
    assert {(b.side, b.muscle, b.rep) for b in res.bursts} == {
        (s, m, k) for s in Side for m in (Muscle.GLUTE_MAX, Muscle.HAMSTRING) for k in (1, 2)
    }
    assert all(0.0 <= b.burst.confidence <= 1.0 and b.burst.detector == "default" for b in res.bursts)


def test_clear_errors() -> None:
    rec, _ = make_recording(SynthSpec(n_reps=1, seed=31))
    with pytest.raises(ValueError, match="unknown protocol 'prone-plank'"):
        analyze(rec, "prone-plank")
    with pytest.raises(ValueError, match="unknown detector"):
        analyze(rec, Protocol.BRIDGE, detector="magic")
    emg = rec.streams[0]
    only_glute = dataclasses.replace(emg, roles=(Role.GLUTE_MAX_L,), data=emg.data[:1])
    with pytest.raises(ValueError, match="no side has both"):
        analyze(Recording(streams=(only_glute,), events=(Event(0.0, 4.0, "rest"),)), Protocol.BRIDGE)
