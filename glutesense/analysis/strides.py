"""Walk: one row per stride and side, from each muscle's onset in that stride (pure).

For every side, each of glute max, glute med and hamstring gets its onsets per stride
(:func:`glutesense.analysis.stride_onsets.stride_onsets`), measured around the stride's touchdown.
The row's ``glute_lag_ms`` and ``order`` compare glute max with the hamstring as in the other tests;
``glute_hold_uv`` is the glute's mean amplitude over the loading response (touchdown to
``LOADING_SHARE`` of the cycle), the phase the glute max carries.  Each onset found becomes a burst of
``onsets.csv`` with detector ``STRIDE_DETECTOR``.
"""

from __future__ import annotations

import numpy as np

from glutesense.analysis.metrics import Order, RepResult, classify_order
from glutesense.analysis.power import PowerSeries, power_series
from glutesense.analysis.step_types import Measured, MeasureInput
from glutesense.analysis.stride_onsets import ChannelStrides, Stride, StrideOnset, stride_onsets
from glutesense.detect.base import Burst
from glutesense.model.roles import Muscle, Role, Side
from glutesense.protocols.base import RepWindow

STRIDE_DETECTOR = "stride"
"""``detector`` of the per-stride bursts a walk writes to ``onsets.csv``."""

LOADING_SHARE = 0.12
"""The loading response: touchdown to this share of the cycle (Perry & Burnfield 2010: 0-12 %)."""

WALK_MUSCLES = (Muscle.GLUTE_MAX, Muscle.GLUTE_MED, Muscle.HAMSTRING)


def _burst(o: StrideOnset, ratio_uv: float) -> Burst | None:
    if o.onset_s is None or o.offset_s is None or o.peak_s is None:
        return None
    snr_db = 10.0 * np.log10(max((o.peak_ratio or 1.0) - 1.0, 1e-12))
    precision = 1.0 / (1.0 + (o.onset_sd_ms / 20.0) ** 2) if np.isfinite(o.onset_sd_ms) else 0.5
    confidence = float(precision / (1.0 + np.exp(-(snr_db - 6.0) / 2.0)))
    peak_uv = ratio_uv * float(np.sqrt(o.peak_ratio or 0.0))
    return Burst(
        o.onset_s,
        max(o.offset_s, o.onset_s),
        o.peak_s,
        peak_uv,
        confidence,
        STRIDE_DETECTOR,
        o.onset_s,
        o.onset_sd_ms,
    )


def _loading_uv(ps: PowerSeries, w: RepWindow) -> float | None:
    assert w.cue_s is not None and w.cycle_s is not None
    a, b = ps.index(w.cue_s), ps.index(w.cue_s + LOADING_SHARE * w.cycle_s)
    seg = ps.power[a:b]
    seg = seg[np.isfinite(seg)]
    return float(ps.rest_uv * np.sqrt(seg.mean())) if seg.size else None


def _sd(o: StrideOnset | None) -> float | None:
    return (
        float(o.onset_sd_ms)
        if o is not None and o.onset_s is not None and np.isfinite(o.onset_sd_ms)
        else None
    )


def _row(
    w: RepWindow, got: dict[Muscle, StrideOnset], ps_glute: PowerSeries | None, simultaneous_ms: float
) -> RepResult:
    g, h, m = got.get(Muscle.GLUTE_MAX), got.get(Muscle.HAMSTRING), got.get(Muscle.GLUTE_MED)
    g_s = g.onset_s if g is not None else None
    h_s = h.onset_s if h is not None else None
    absent = g is not None and g.onset_s is None and g.reason.startswith("no burst")
    order = classify_order(g_s, h_s, glute_absent=absent, simultaneous_ms=simultaneous_ms)
    lag = (g_s - h_s) * 1000.0 if g_s is not None and h_s is not None else None
    reasons = [
        f"{name}: {o.reason}" for name, o in (("glute", g), ("hamstring", h)) if o is not None and o.reason
    ]
    g_sd, h_sd = _sd(g), _sd(h)
    return RepResult(
        side=w.side,
        rep=w.rep,
        cue_s=w.cue_s,
        movement_onset_s=None,
        glute_onset_s=g_s,
        hamstring_onset_s=h_s,
        glute_lag_ms=lag,
        order=order if g is not None and h is not None else Order.UNDETECTED,
        squeeze_latency_ms=None,
        false_starts=None,
        amplitude_ratio=None,
        glute_hold_uv=_loading_uv(ps_glute, w) if ps_glute is not None else None,
        reason="; ".join(reasons),
        glute_onset_sd_ms=g_sd,
        hamstring_onset_sd_ms=h_sd,
        glute_lag_sd_ms=float(np.hypot(g_sd, h_sd))
        if lag is not None and g_sd is not None and h_sd is not None
        else None,
        touchdown_s=w.cue_s,
        stride_s=w.cycle_s,
        glute_med_onset_s=m.onset_s if m is not None else None,
    )


def measure_strides(data: MeasureInput) -> Measured:
    """Walk: per stride and side, the onsets of glute max, glute med and hamstring (module docstring)."""
    cfg = data.settings
    bursts: dict[Role, tuple[Burst, ...]] = {}
    rows: list[RepResult] = []
    notes: list[str] = []
    for side in Side:
        windows = [w for w in data.windows if w.side is side and w.cue_s is not None and w.cycle_s]
        if not windows:
            continue
        strides = [Stride(float(w.cue_s), float(w.cycle_s)) for w in windows]  # type: ignore[arg-type]
        per: dict[Muscle, ChannelStrides] = {}
        series: dict[Muscle, PowerSeries] = {}
        for muscle in WALK_MUSCLES:
            role = Role.emg(muscle, side)
            if role not in data.signals:
                continue
            series[muscle] = power_series(data.signals[role])
            per[muscle] = stride_onsets(series[muscle], strides, cfg.strides)
            if per[muscle].note:
                notes.append(f"{role.value}: {per[muscle].note}")
            ratio_uv = series[muscle].rest_uv
            bursts[role] = tuple(b for o in per[muscle].onsets if (b := _burst(o, ratio_uv)) is not None)
        for k, w in enumerate(windows):
            got = {m: c.onsets[k] for m, c in per.items()}
            rows.append(_row(w, got, series.get(Muscle.GLUTE_MAX), cfg.simultaneous_ms))
    return Measured(bursts=bursts, reps=tuple(rows), notes=tuple(notes))
