"""Impossible samples are lost, not signal; lost data is "undetected", never "glute absent"."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from support.paths import SAMPLES

from glutesense.analysis.metrics import Order
from glutesense.analysis.pipeline import AnalysisResult, analyze
from glutesense.io import load_recording
from glutesense.io.validate import validate_recording
from glutesense.model.records import Recording
from glutesense.model.roles import Protocol, Role, Side


@pytest.fixture(scope="module")
def clean() -> tuple[Recording, AnalysisResult]:
    rec = load_recording(SAMPLES / "bridge_glute_first.gses")
    return rec, analyze(rec, Protocol.BRIDGE)


def _with_glute(rec: Recording, change: object) -> Recording:
    s = rec.stream_of(Role.GLUTE_MAX_L)
    data = s.data.copy()
    change(data[s.roles.index(Role.GLUTE_MAX_L)], s)  # type: ignore[operator]
    stream = dataclasses.replace(s, data=data)
    return dataclasses.replace(rec, streams=tuple(stream if x is s else x for x in rec.streams))


def _left(result: AnalysisResult) -> list[Order]:
    return [r.order for r in result.reps if r.side is Side.LEFT]


def test_two_samples_of_1e308_are_marked_lost_and_change_no_verdict(
    clean: tuple[Recording, AnalysisResult],
) -> None:
    rec, base = clean
    assert _left(base) == [Order.GLUTE_FIRST] * 4

    def spike(x: np.ndarray, s: object) -> None:
        onset = next(r.glute_onset_s for r in base.reps if r.side is Side.LEFT)
        assert onset is not None
        i = round((onset + 0.5 - s.t0_s) * s.fs_hz)  # type: ignore[attr-defined]  # in the hold
        x[i], x[i + 500] = 1e308, -1e308

    bad = validate_recording(_with_glute(rec, spike))
    n_lost = int(np.isnan(rec.signal(Role.GLUTE_MAX_L)[0]).sum())
    assert int(np.isnan(bad.signal(Role.GLUTE_MAX_L)[0]).sum()) == n_lost + 2
    assert any("glute_max_l: 2 sample(s) beyond any recorder's range" in n for n in bad.info.import_notes)
    assert _left(analyze(bad, Protocol.BRIDGE)) == [Order.GLUTE_FIRST] * 4


def test_a_rep_of_lost_glute_data_is_undetected_not_absent(clean: tuple[Recording, AnalysisResult]) -> None:
    rec, base = clean
    second = [r for r in base.reps if r.side is Side.LEFT][1]
    assert second.glute_onset_s is not None

    def lose(x: np.ndarray, s: object) -> None:
        t = s.t_s  # type: ignore[attr-defined]
        x[(t > second.glute_onset_s - 1.5) & (t < second.glute_onset_s + 3.0)] = np.nan

    result = analyze(_with_glute(rec, lose), Protocol.BRIDGE)
    rep = [r for r in result.reps if r.side is Side.LEFT][1]
    assert rep.order is Order.UNDETECTED and rep.glute_onset_s is None
    assert "data lost" in rep.reason or "samples lost just before the onset" in rep.reason
    assert Order.GLUTE_ABSENT not in _left(result)
    others = [r.order for i, r in enumerate(r for r in result.reps if r.side is Side.LEFT) if i != 1]
    assert others == [Order.GLUTE_FIRST] * 3


def test_lost_samples_just_before_an_onset_drop_it(clean: tuple[Recording, AnalysisResult]) -> None:
    rec, base = clean
    first = next(r for r in base.reps if r.side is Side.LEFT)
    onset = first.glute_onset_s
    assert onset is not None

    def gap(x: np.ndarray, s: object) -> None:
        t = s.t_s  # type: ignore[attr-defined]
        x[(t > onset - 0.15) & (t < onset - 0.05)] = np.nan  # 100 ms lost just before the onset

    rep = next(r for r in analyze(_with_glute(rec, gap), Protocol.BRIDGE).reps if r.side is Side.LEFT)
    assert rep.order is Order.UNDETECTED
    assert "samples lost just before the onset" in rep.reason


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")  # numpy meets the lost halves
def test_a_side_of_lost_data_is_never_called_silent(clean: tuple[Recording, AnalysisResult]) -> None:
    """Every other glute sample lost: each rep undetected, and no line says the glute did not switch on."""
    from glutesense.clinical import assess

    rec, _ = clean

    def halve(x: np.ndarray, s: object) -> None:
        x[::2] = np.nan

    bad = _with_glute(rec, halve)
    result = analyze(bad, Protocol.BRIDGE)
    assert set(_left(result)) == {Order.UNDETECTED}
    lines = assess(result, bad).lines
    assert not any("did not switch on" in line for line in lines), lines
    assert any("undetected: data lost or unreadable" in line for line in lines), lines
