"""Raw-channel quality (clipping, flat lines, lost samples, score) against known truth, and its effect on
``onsets.csv`` confidence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from glutesense.analysis.pipeline import analyze
from glutesense.clinical import assess, channel_quality
from glutesense.model.records import Recording
from glutesense.model.roles import Muscle, Role, Side
from glutesense.report.tables import ONSET_COLUMNS, onsets_table, quality_table
from glutesense.signal.quality import (
    assess_channel,
    onset_damage,
    quality_score,
    stalled_runs,
    window_damage,
)
from glutesense.virtual.synth import SynthSpec, make_recording

FS_HZ = 1000.0


def _emg(seconds: float, *, seed: int = 0, fs_hz: float = FS_HZ, sd_uv: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return sd_uv * rng.standard_normal(round(seconds * fs_hz))


def test_clean_channel_has_no_damage_and_full_score() -> None:
    q = assess_channel(_emg(20.0), FS_HZ)
    assert q.clipped_runs == () and q.flat_runs == () and q.lost_runs == ()
    assert q.damaged_fraction == 0.0
    assert quality_score(q, 20.0) == 1.0
    assert quality_score(q, None) == 1.0
    assert quality_score(q, 6.0) == pytest.approx(0.5)
    assert quality_score(q, -3.0) == 0.0


def test_extremes_hit_once_are_not_clipping() -> None:
    x = _emg(10.0, seed=1)
    x[1000] = 300.0  # one spike: the maximum, once
    x[5000] = -300.0
    q = assess_channel(x, FS_HZ)
    assert q.clipped_fraction == 0.0


def test_clipped_stretch_of_known_length() -> None:
    x = _emg(20.0, seed=2)
    a, b = 7000, 7000 + 345  # 0.345 s held at the positive rail
    x[a:b] = 400.0
    q = assess_channel(x, FS_HZ)
    assert q.clipped_runs == ((a, b),)
    assert abs(q.clipped_fraction * x.size - (b - a)) <= 1
    assert q.flat_runs == ()  # held at a rail is clipping, not flat line
    # a known rail catches clipping even where the extreme is not piled up
    y = _emg(20.0, seed=3)
    y[100:103] = 50.0
    y[9000:9010] = 50.0
    qr = assess_channel(y, FS_HZ, rail_uv=(-50.0, 50.0))
    assert abs(qr.clipped_fraction * y.size - 13) <= 1
    assert window_damage(qr, 9.0, 9.02).clipped == pytest.approx(0.5)


def test_flat_line_found_with_its_start_and_stop() -> None:
    x = _emg(60.0, seed=4)
    a, b = 34000, 35200  # 1.2 s from 34.0 s
    x[a:b] = x[a]
    q = assess_channel(x, FS_HZ, t0_s=0.0)
    assert q.flat_runs == ((a, b),)
    ((start_s, stop_s),) = q.runs_s(q.flat_runs)
    assert start_s == pytest.approx(34.0)
    assert stop_s - start_s == pytest.approx(1.2)
    assert q.flat_fraction == pytest.approx(1.2 / 60.0)
    assert stalled_runs(q) == ((a, b),)  # resting noise spans many ADC steps: treated as lost
    assert onset_damage(q, 34.0) == pytest.approx(0.5)  # half of 34.0 +/- 0.2 s is flat
    assert quality_score(q, None) == pytest.approx(1.0 - 1.2 / 60.0)


def test_short_repeats_are_not_flat_line() -> None:
    x = _emg(10.0, seed=5)
    x[2000:2030] = x[2000]  # 30 ms: shorter than 50 ms
    x[4000:4004] = x[4000]
    assert assess_channel(x, FS_HZ).flat_runs == ()
    y = _emg(10.0, seed=5, fs_hz=50.0)
    y[100:104] = y[100]  # 80 ms but only 4 samples
    assert assess_channel(y, 50.0).flat_runs == ()


@pytest.mark.parametrize(("fs_hz", "sd_lsb"), [(1000.0, 0.8), (500.0, 1.5), (250.0, 0.6)])
def test_quantised_rest_noise_of_a_12_bit_adc_is_not_flat(fs_hz: float, sd_lsb: float) -> None:
    lsb_uv = 3.3e6 / 4096 / 1000.0  # 3.3 V over 12 bits after a gain of 1000: about 0.8 µV
    x = np.round(_emg(60.0, seed=6, fs_hz=fs_hz, sd_uv=sd_lsb * lsb_uv) / lsb_uv) * lsb_uv
    assert np.unique(x).size < 15  # a few levels only, but changing
    q = assess_channel(x, fs_hz)
    assert q.flat_runs == ()
    assert q.clipped_runs == ()
    assert q.step_uv == pytest.approx(lsb_uv)
    # a real stall on the same channel is still found
    y = x.copy()
    a = round(20.0 * fs_hz)
    y[a : a + round(2.0 * fs_hz)] = y[a]
    assert [(s, e) for s, e in assess_channel(y, fs_hz).flat_runs if s <= a < e]


def test_lost_samples_and_window_edges() -> None:
    x = _emg(10.0, seed=7)
    x[3000:3500] = np.nan
    q = assess_channel(x, FS_HZ)
    assert q.lost_runs == ((3000, 3500),)
    assert q.lost_fraction == pytest.approx(0.05)
    assert q.flat_runs == ()
    w = window_damage(q, 2.8, 3.2)
    assert (w.lost, w.damaged) == (pytest.approx(0.5), pytest.approx(0.5))
    assert window_damage(q, -0.1, 0.1).lost == pytest.approx(0.5)  # before the recording: unobserved


def _with_flat(rec: Recording, role: Role, start_s: float, stop_s: float) -> Recording:
    streams = []
    for st in rec.streams:
        if role in st.roles:
            data = st.data.copy()
            row = st.roles.index(role)
            a, b = round((start_s - st.t0_s) * st.fs_hz), round((stop_s - st.t0_s) * st.fs_hz)
            data[row, a:b] = data[row, a]
            st = dataclasses.replace(st, data=data)
        streams.append(st)
    return dataclasses.replace(rec, streams=tuple(streams))


def test_burst_with_its_onset_in_a_flat_stretch_gets_a_lower_confidence() -> None:
    rec, truth = make_recording(SynthSpec(n_reps=3, seed=31))
    onset = truth.onset_s(Side.LEFT, Muscle.GLUTE_MAX, 2)
    assert onset is not None
    damaged = _with_flat(rec, Role.GLUTE_MAX_L, onset - 0.1, onset + 0.15)
    clean_res, flat_res = analyze(rec, "bridge"), analyze(damaged, "bridge")

    def row(res: object) -> dict[str, object]:
        df = onsets_table(res)  # type: ignore[arg-type]
        assert tuple(df.columns[: len(ONSET_COLUMNS) - 1]) == (
            "side",
            "muscle",
            "rep",
            "onset_s",
            "offset_s",
            "peak_s",
            "peak_uv",
            "detector",
            "confidence",
        )
        sel = df[(df.side == "left") & (df.muscle == "glute_max") & (df.rep == 2)]
        sel = sel[sel.offset_s - sel.onset_s > 1.0]
        assert len(sel) == 1
        out: dict[str, object] = sel.iloc[0].to_dict()
        return out

    clean, flat = row(clean_res), row(flat_res)
    assert float(flat["confidence"]) < 0.7 * float(clean["confidence"])  # type: ignore[arg-type]
    assert float(flat["quality"]) < 0.7  # type: ignore[arg-type]
    assert float(clean["quality"]) > 0.95  # type: ignore[arg-type]
    ch = flat_res.channel(Role.GLUTE_MAX_L)
    assert ch is not None and ch.quality is not None
    assert len(ch.quality.flat_runs) == 1
    assert any("flat line for 0.2 s" in n and "treated as lost" in n for n in flat_res.notes)
    # other channels are untouched
    other = flat_res.channel(Role.HAMSTRING_L)
    assert other is not None and other.quality is not None and other.quality.flat_runs == ()
    # the clinical quality and the report table carry the flat line, the score and a note
    q = channel_quality(ch)
    assert q.flat_fraction is not None and q.flat_fraction > 0
    assert q.score is not None and q.score < 1.0
    assert any(n.startswith("flat line for 0.2 s from") and "electrode contact?" in n for n in q.notes)


def test_quality_table_has_flat_and_score_columns() -> None:
    rec, _ = make_recording(SynthSpec(n_reps=3, seed=32))
    res = analyze(rec, "bridge")
    clin = assess(res, rec)
    df = quality_table(clin)
    assert {"flat_pct", "quality", "clipped_pct"} <= set(df.columns)
    assert all(float(v) > 0.9 for v in df["quality"])
    assert all(v == 0.0 for v in df["flat_pct"])
