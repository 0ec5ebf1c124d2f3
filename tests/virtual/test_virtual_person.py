"""The virtual person: truth matches the generated signals; streaming is chunk-invariant."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glutesense.model.roles import Muscle, Protocol, Role, Side
from glutesense.virtual import (
    BASIC_EMG_ROLES,
    Pattern,
    PersonParams,
    VirtualPerson,
    parse_cue_label,
    simulate,
)
from glutesense.virtual.shapes import T10_FRACTION, Burst


@dataclass(frozen=True)
class Cue:
    t_s: float
    label: str
    side: Side | None = None


BRIDGE = (
    Cue(0.5, "rest"),
    Cue(3.0, "cue"),
    Cue(5.5, "lower"),
    Cue(8.0, "cue"),
    Cue(10.5, "lower"),
    Cue(13.0, "cue"),
    Cue(15.5, "lower"),
)
STAND = (
    Cue(0.5, "rest"),
    Cue(2.0, "lift", Side.LEFT),
    Cue(3.5, "squeeze", Side.LEFT),
    Cue(6.0, "release", Side.LEFT),
    Cue(8.0, "lift", Side.RIGHT),
    Cue(9.5, "squeeze", Side.RIGHT),
    Cue(12.0, "release", Side.RIGHT),
)
QUIET = {"motion_artifacts": False, "mains_uv": 0.0, "wander_uv": 0.0}


def _envelope(person: VirtualPerson, n: int) -> np.ndarray:
    return person.activation_envelope(np.arange(n) / person.params.emg_fs_hz)


def test_truth_onsets_are_where_the_envelope_leaves_zero() -> None:
    params = PersonParams.glute_first(-60.0, seed=11)
    person = VirtualPerson(params, Protocol.BRIDGE)
    emg, _, truth = _run(person, BRIDGE, 18.0)
    env = _envelope(person, emg.shape[0])
    fs = params.emg_fs_hz
    n_checked = 0
    for rep in truth["reps"]:
        for role, m in rep["muscles"].items():
            col = params.emg_roles.index(Role(role))
            i_on = int(np.ceil(m["onset_s"] * fs))
            assert np.all(env[i_on - 400 : i_on, col] == 0.0)  # nothing in the 0.4 s before
            assert np.all(env[i_on + 1 : i_on + 300, col] > 0.0)
            # the 10 % point: the envelope crosses 10 % of the plateau there (±1 sample)
            i10 = round(m["t10_s"] * fs)
            level = env[:, col][i10 - 1 : i10 + 2] / m["plateau_uv"]
            assert level[0] <= 0.1 + 1e-9 <= level[2] + 1e-6
            n_checked += 1
    assert n_checked == 3 * 2 * 4  # 3 reps x 2 sides x 4 muscles


def test_t10_fraction_of_a_raised_cosine() -> None:
    b = Burst(t_on_s=1.0, rise_s=0.2, level_uv=100.0)
    assert b.envelope_uv(np.array([b.t10_s]))[0] == pytest.approx(10.0, rel=1e-9)
    assert pytest.approx(0.2048, abs=1e-4) == T10_FRACTION


def test_glute_late_person_lags_by_the_asked_amount() -> None:
    params = PersonParams.glute_late(120.0, lag_jitter_ms=0.0, seed=5)
    _, _, truth = simulate(Protocol.BRIDGE, BRIDGE, params)
    lags = [r["glute_lag_ms"] for r in truth["reps"]]
    assert len(lags) == 6
    assert lags == pytest.approx([120.0] * 6, abs=1e-3)
    assert {r["order"] for r in truth["reps"]} == {"hamstring_first"}
    for r in truth["reps"]:
        assert r["glute_onset_s"] - r["hamstring_onset_s"] == pytest.approx(0.120, abs=1e-5)
        assert 0.150 <= r["hamstring_onset_s"] - r["cue_s"] <= 0.300 + 0.012  # reaction + side shift
        assert 0.050 <= r["movement_onset_s"] - (r["cue_s"] + r["reaction_ms"] / 1000) <= 0.150


def test_lag_jitter_keeps_the_pattern() -> None:
    params = PersonParams.glute_first(-20.0, lag_jitter_ms=30.0, seed=2)
    _, _, truth = simulate(Protocol.BRIDGE, BRIDGE, params)
    assert all(r["glute_lag_ms"] <= 0 for r in truth["reps"])
    assert {r["order"] for r in truth["reps"]} <= {"glute_first", "simultaneous"}


def test_chunked_generation_equals_one_block() -> None:
    params = PersonParams.glute_late(100.0, seed=7)
    whole = VirtualPerson(params, Protocol.BRIDGE)
    chunked = VirtualPerson(params, Protocol.BRIDGE)
    for p in (whole, chunked):
        p.on_cue("cue", 0.5)
        p.on_cue("lower", 3.0)
    emg_whole, imu_whole = whole.generate_emg(5000), whole.generate_imu(500)
    emg_chunks = np.concatenate([chunked.generate_emg(25) for _ in range(200)])
    imu_chunks = np.concatenate([chunked.generate_imu(10) for _ in range(50)])
    np.testing.assert_allclose(emg_chunks, emg_whole, rtol=0, atol=1e-9)
    np.testing.assert_allclose(imu_chunks, imu_whole, rtol=0, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 400), min_size=1, max_size=12))
def test_any_chunking_equals_one_block(sizes: list[int]) -> None:
    params = PersonParams(seed=3, emg_roles=BASIC_EMG_ROLES)
    n = sum(sizes)
    ref = VirtualPerson(params)
    ref.on_cue("cue", 0.1)
    whole = ref.generate_emg(n)
    p = VirtualPerson(params)
    p.on_cue("cue", 0.1)
    parts = np.concatenate([p.generate_emg(k) for k in sizes])
    np.testing.assert_allclose(parts, whole, rtol=0, atol=1e-9)


def test_simulate_gives_the_same_samples_as_streaming() -> None:
    params = PersonParams.glute_first(seed=9, emg_roles=BASIC_EMG_ROLES)
    emg, imu, truth = simulate(Protocol.BRIDGE, BRIDGE, params, duration_s=16.0)
    assert emg.shape == (16000, 4)
    assert imu.shape == (1600, 6)
    person = VirtualPerson(params, Protocol.BRIDGE)
    emg2, imu2, truth2 = _run(person, BRIDGE, 16.0, block_emg=25, block_imu=10)
    np.testing.assert_allclose(emg2, emg, atol=1e-9)
    np.testing.assert_allclose(imu2, imu, atol=1e-12)
    assert truth2["reps"] == truth["reps"]


def test_amplitudes_follow_snr_and_background() -> None:
    params = PersonParams.glute_first(snr_db=30.0, background_uv=5.0, seed=4, **QUIET)
    emg, _, truth = simulate(Protocol.BRIDGE, BRIDGE, params)
    g = params.emg_roles.index(Role.GLUTE_MAX_L)
    rest = emg[500:2900, g]
    assert np.sqrt(np.mean(rest**2)) == pytest.approx(5.0, rel=0.1)
    rep = truth["reps"][0]
    m = rep["muscles"]["glute_max_l"]
    assert m["plateau_uv"] == pytest.approx(params.plateau_uv, rel=0.16)  # ±15 % person-to-rep spread
    i0 = int((m["onset_s"] + m["rise_ms"] / 1000 + 0.05) * 1000)
    plateau = emg[i0 : i0 + 1500, g]
    expected = np.sqrt(m["plateau_uv"] ** 2 + 5.0**2)
    assert np.sqrt(np.mean(plateau**2)) == pytest.approx(expected, rel=0.12)


def test_glute_absent_person_shows_only_background_on_the_glute() -> None:
    params = PersonParams.glute_absent(seed=8, **QUIET)
    emg, _, truth = simulate(Protocol.BRIDGE, BRIDGE, params)
    g = params.emg_roles.index(Role.GLUTE_MAX_R)
    h = params.emg_roles.index(Role.HAMSTRING_R)
    rep = next(r for r in truth["reps"] if r["side"] == "right")
    assert rep["glute_onset_s"] is None
    assert rep["order"] == "glute_absent"
    i0 = int((rep["hamstring_onset_s"] + 0.4) * 1000)
    assert np.sqrt(np.mean(emg[i0 : i0 + 1500, g] ** 2)) == pytest.approx(params.background_uv, rel=0.15)
    assert np.sqrt(np.mean(emg[i0 : i0 + 1500, h] ** 2)) > 20 * params.background_uv


def test_mains_hum_is_at_the_mains_frequency() -> None:
    params = PersonParams(seed=1, mains_hz=60.0, mains_uv=20.0, motion_artifacts=False, wander_uv=0.0)
    person = VirtualPerson(params)
    x = person.generate_emg(4000)[:, 0]
    spec = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(x.size, 1 / params.emg_fs_hz)
    assert freqs[np.argmax(spec[1:]) + 1] == pytest.approx(60.0, abs=0.5)


def test_bridge_imu_follows_the_hip_lift() -> None:
    params = PersonParams.glute_first(seed=12)
    _, imu, truth = simulate(Protocol.BRIDGE, BRIDGE, params)
    fs = params.imu_fs_hz
    rep = truth["reps"][0]
    i_move = int(rep["movement_onset_s"] * fs)
    i_lower = int(rep["release_cue_s"] * fs)
    rest_acc = imu[int(1.0 * fs) : int(2.5 * fs), :3].mean(axis=0)
    hold_acc = imu[i_move + 120 : i_lower, :3].mean(axis=0)
    cos_tilt = rest_acc @ hold_acc / np.linalg.norm(rest_acc) / np.linalg.norm(hold_acc)
    tilt_deg = np.degrees(np.arccos(np.clip(cos_tilt, -1.0, 1.0)))
    assert 18.0 <= tilt_deg <= 32.0
    gyr = imu[:, 4]
    assert np.max(np.abs(gyr[int(1.0 * fs) : i_move])) < 2.0  # still before the movement
    assert np.max(np.abs(gyr[i_move : i_move + 100])) > 20.0  # 20-30 deg over 0.5-1 s
    assert np.all(np.abs(np.linalg.norm(imu[:, :3], axis=1) - 1.0) < 0.15)


def test_single_leg_stand_false_starts_die_out_before_the_squeeze() -> None:
    params = PersonParams.glute_first(false_starts=2, seed=21, **QUIET)
    person = VirtualPerson(params, Protocol.SINGLE_LEG_STAND)
    emg, _, truth = _run(person, STAND, 14.0)
    env = _envelope(person, emg.shape[0])
    assert [r["side"] for r in truth["reps"]] == ["left", "right"]
    for rep in truth["reps"]:
        col = params.emg_roles.index(Role.emg(Muscle.GLUTE_MAX, Side(rep["side"])))
        fs_times = rep["false_starts_s"]
        assert rep["false_starts"] == 2
        assert len(fs_times) == 2
        assert rep["cue_s"] < fs_times[0] < fs_times[1] < rep["glute_onset_s"]
        for t0, dur_ms in zip(fs_times, rep["false_start_durations_ms"], strict=True):
            assert 60.0 <= dur_ms <= 150.0
            i_end = int(np.ceil((t0 + dur_ms / 1000) * 1000)) + 1
            assert env[int(t0 * 1000) + 5, col] > 0
            assert env[i_end, col] == 0.0  # the burst died out
        assert rep["lift_cue_s"] is not None
        assert rep["lift_muscles"]  # glute med carries the stance from the lift
        assert rep["offset_s"] is not None


def test_single_leg_stand_stance_side_comes_from_the_label() -> None:
    person = VirtualPerson(PersonParams(seed=1), Protocol.SINGLE_LEG_STAND)
    person.generate_emg(100)
    person.on_cue("lift:right", 0.2)
    person.on_cue("squeeze:right", 1.5)
    assert [r["side"] for r in person.truth()["reps"]] == ["right"]
    assert person.truth()["cues"][0] == {"label": "lift", "side": "right", "t_s": 0.2}


def test_onsets_are_never_planned_into_the_past() -> None:
    person = VirtualPerson(PersonParams(seed=1))
    person.generate_emg(3000)
    person.on_cue("cue", 1.0)  # heard late: 2 s already generated
    rep = person.truth()["reps"][0]
    assert min(m["onset_s"] for m in rep["muscles"].values()) > 3.0


def test_low_sample_rate_person() -> None:
    params = PersonParams(emg_fs_hz=200.0, imu_fs_hz=50.0, seed=2)
    emg, imu, _ = simulate(Protocol.BRIDGE, BRIDGE, params)
    assert emg.shape[0] == 17500 // 5
    assert imu.shape[0] == 875
    assert np.all(np.isfinite(emg))


def test_params_validate_and_round_trip() -> None:
    with pytest.raises(ValueError, match="glute-first"):
        PersonParams(pattern=Pattern.GLUTE_FIRST, glute_lag_ms=50.0)
    with pytest.raises(ValueError, match="glute-late"):
        PersonParams(pattern=Pattern.GLUTE_LATE, glute_lag_ms=-5.0)
    with pytest.raises(ValueError, match="rise_ms"):
        PersonParams(rise_ms=(300.0, 100.0))
    p = PersonParams.glute_late(150.0, false_starts=1, emg_roles=BASIC_EMG_ROLES, seed=3)
    assert PersonParams.from_json(p.to_json()) == p
    assert PersonParams.from_json({"pattern": "glute-late"}).glute_lag_ms == 120.0


def test_parse_cue_label() -> None:
    assert parse_cue_label("squeeze:left") == ("squeeze", Side.LEFT)
    assert parse_cue_label("cue") == ("cue", None)
    assert parse_cue_label("lift:sideways") == ("lift", None)


def _run(
    person: VirtualPerson, cues: tuple[Cue, ...], duration_s: float, block_emg: int = 25, block_imu: int = 10
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Stream ``person`` in blocks, giving each cue once its time has been generated."""
    p = person.params
    n_emg, n_imu = int(duration_s * p.emg_fs_hz), int(duration_s * p.imu_fs_hz)
    emg, imu = [], []
    pending = list(cues)
    while person.n_emg_samples < n_emg or person.n_imu_samples < n_imu:
        while pending and pending[0].t_s <= person.generated_s:
            c = pending.pop(0)
            person.on_cue(c.label, c.t_s, c.side)
        if person.n_emg_samples < n_emg:
            emg.append(person.generate_emg(min(block_emg, n_emg - person.n_emg_samples)))
        if (
            person.n_imu_samples / p.imu_fs_hz < person.n_emg_samples / p.emg_fs_hz
            and person.n_imu_samples < n_imu
        ):
            imu.append(person.generate_imu(min(block_imu, n_imu - person.n_imu_samples)))
    return np.concatenate(emg), np.concatenate(imu), person.truth()
