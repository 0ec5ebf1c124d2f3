"""``analyze``: a Recording and a protocol in, an AnalysisResult out (pure; no I/O).

The pipeline reads like a methods section: check each raw EMG channel for clipping,
flat lines and lost samples (flat lines that cannot be quantised rest become lost
samples) -> condition it for its sample rate -> resting baseline (``rest`` event,
else the quietest 2 s) -> onset detector (from the registry) -> tilt from the
accelerometer, angular rate from the gyroscope (movement onsets come from the
gyroscope when there is one) -> the protocol's rep windows -> the detector's
sensitive second pass inside rep windows where the first pass found no (or only a
weak, fragmented) onset -> channel quality scores -> per rep and side: sustained
glute and hamstring onsets, lag, order, squeeze latency and false starts ->
per-side summaries.  A burst's confidence in ``onsets.csv`` is the detector's,
times its channel's quality score, times the undamaged share of its onset window.
Protocols with a step of their own (:data:`glutesense.analysis.steps.STEPS`) add it after the
second pass: the single-leg stand splits tries off the sustained squeeze; a walk skips the
whole-channel detection and measures each stride's onsets around its touchdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from glutesense.analysis.blas import one_blas_thread
from glutesense.analysis.channels import analyze_channel, row_quality, second_pass, with_activity
from glutesense.analysis.lost import guard_lost
from glutesense.analysis.metrics import (
    MetricSettings,
    RepResult,
    classify_order,
    pick_sustained,
    summarize_side,
    symmetry_index_pct,
)
from glutesense.analysis.results import AnalysisResult, AnalysisSettings, BurstRow, ChannelResult
from glutesense.analysis.step_types import Measured, MeasureInput
from glutesense.analysis.steps import STEPS
from glutesense.detect.base import Burst, DetectionInput
from glutesense.detect.registry import make_detector
from glutesense.model.records import Recording
from glutesense.model.roles import ACC_ROLES, EMG_ROLES, GYR_ROLES, Muscle, Protocol, Role, Side
from glutesense.protocols import SEGMENTERS, RepWindow, Segmentation, SegmentInput
from glutesense.signal.envelope import rest_window
from glutesense.signal.movement import AngularRate, Tilt, tilt_from_acc
from glutesense.signal.units import n_samples

__all__ = [
    "AnalysisResult",
    "AnalysisSettings",
    "BurstRow",
    "ChannelResult",
    "analyze",
]


def _tilt(recording: Recording) -> Tilt | None:
    if not all(recording.has(r) for r in ACC_ROLES):
        return None
    stream = recording.stream_of(ACC_ROLES[0])
    acc = np.vstack([recording.signal(r)[0] for r in ACC_ROLES])
    rest = rest_window(recording.events)
    if n_samples(1.0, stream.fs_hz) > acc.shape[1]:
        return None
    return tilt_from_acc(acc, stream.fs_hz, t0_s=stream.t0_s, rest_s=rest)


def _rate(recording: Recording) -> AngularRate | None:
    if not all(recording.has(r) for r in GYR_ROLES):
        return None
    stream = recording.stream_of(GYR_ROLES[0])
    gyr = np.vstack([recording.signal(r)[0] for r in GYR_ROLES])
    return AngularRate(gyr, stream.fs_hz, stream.t0_s)


def _rep_result(
    window: RepWindow,
    glute: ChannelResult,
    ham: ChannelResult,
    protocol: Protocol,
    cfg: MetricSettings,
    inputs: Mapping[Role, DetectionInput],
) -> RepResult:
    g = guard_lost(pick_sustained(glute.bursts, window, cfg), inputs[glute.role], window)
    h = guard_lost(pick_sustained(ham.bursts, window, cfg), inputs[ham.role], window)
    g_s = g.burst.onset_s if g.burst else None
    h_s = h.burst.onset_s if h.burst else None
    glute_absent = g.burst is None and g.reason == "no activation above the resting level"
    order = classify_order(g_s, h_s, glute_absent=glute_absent, simultaneous_ms=cfg.simultaneous_ms)
    lag = (g_s - h_s) * 1000.0 if g_s is not None and h_s is not None else None
    reasons = [f"{name}: {p.reason}" for name, p in (("glute", g), ("hamstring", h)) if p.burst is None]
    if window.note:
        reasons.append(window.note)
    later = max([t for t in (g_s, h_s, window.cue_s) if t is not None], default=window.start_s)
    hold = (later + cfg.hold_delay_s, window.stop_s)
    g_uv, h_uv = glute.mean_uv(*hold), ham.mean_uv(*hold)
    sls = protocol is Protocol.SINGLE_LEG_STAND
    g_sd = _sd_ms(g.burst)
    h_sd = _sd_ms(h.burst)
    return RepResult(
        side=window.side,
        rep=window.rep,
        cue_s=window.cue_s,
        movement_onset_s=window.movement_onset_s,
        glute_onset_s=g_s,
        hamstring_onset_s=h_s,
        glute_lag_ms=lag,
        order=order,
        squeeze_latency_ms=(g_s - window.cue_s) * 1000.0
        if sls and g_s is not None and window.cue_s is not None
        else None,
        false_starts=g.false_starts if sls and (g.burst is not None or g.false_starts) else None,
        amplitude_ratio=g_uv / h_uv if g_uv is not None and h_uv else None,
        glute_hold_uv=g_uv,
        reason="; ".join(reasons),
        glute_onset_sd_ms=g_sd,
        hamstring_onset_sd_ms=h_sd,
        glute_lag_sd_ms=float(np.hypot(g_sd, h_sd))
        if lag is not None and g_sd is not None and h_sd is not None
        else None,
    )


def _sd_ms(burst: Burst | None) -> float | None:
    """The burst's onset SD (ms) if the detector estimated one."""
    if burst is None or not np.isfinite(burst.onset_sd_ms):
        return None
    return float(burst.onset_sd_ms)


def _rep_of(side: Side, t_s: float, windows: tuple[RepWindow, ...]) -> int | None:
    for w in windows:
        if w.side is side and w.start_s <= t_s < w.stop_s:
            return w.rep
    return None


def _protocol(protocol: Protocol | str) -> Protocol:
    try:
        return Protocol(protocol)
    except ValueError:
        known = ", ".join(p.value for p in Protocol)
        raise ValueError(f"unknown protocol {protocol!r} (known: {known})") from None


def _sides(recording: Recording) -> tuple[Side, ...]:
    """The sides with both a glute max and a hamstring channel; ValueError if none."""
    sides = tuple(
        s
        for s in Side
        if recording.has(Role.emg(Muscle.GLUTE_MAX, s)) and recording.has(Role.emg(Muscle.HAMSTRING, s))
    )
    if not sides:
        raise ValueError(
            f"{recording.source or 'recording'}: no side has both a glute_max and a hamstring "
            f"channel (roles present: {', '.join(r.value for r in recording.roles)})"
        )
    return sides


def _segment(
    recording: Recording,
    proto: Protocol,
    sides: tuple[Side, ...],
    channels: tuple[ChannelResult, ...],
    movement: tuple[Tilt | None, AngularRate | None],
    cfg: AnalysisSettings,
) -> Segmentation:
    """The protocol's rep windows, from events, movement and the first pass's bursts."""
    tilt, rate = movement
    bursts = {c.role: c.bursts for c in channels}
    data = SegmentInput(recording.events, sides, tilt, bursts, recording.duration_s, recording.meta, rate)
    return SEGMENTERS[proto](data, pre_cue_s=cfg.pre_cue_s)


def _final_bursts(
    first: list[tuple[ChannelResult, DetectionInput]],
    windows: tuple[RepWindow, ...],
    proto: Protocol,
    detector: str,
    cfg: AnalysisSettings,
    notes: list[str],
) -> tuple[tuple[ChannelResult, ...], Measured | None]:
    """The second pass inside rep windows, then the protocol's own step; each channel's active level."""
    step = STEPS.get(proto)
    second = step is None or step.second_pass
    refine = proto is Protocol.BRIDGE
    channels = tuple(
        second_pass(c, d, windows, detector, cfg.metrics, refine=refine) if second else c for c, d in first
    )
    measured = None
    if step is not None:
        signals = {c.role: d for c, d in first}
        found = {c.role: c.bursts for c in channels}
        measured = step.measure(MeasureInput(windows, signals, found, cfg.metrics))
        channels = tuple(replace(c, bursts=measured.bursts.get(c.role, c.bursts)) for c in channels)
        notes.extend(measured.notes)
    return tuple(with_activity(c) for c in channels), measured


def _reps(
    channels: tuple[ChannelResult, ...],
    windows: tuple[RepWindow, ...],
    proto: Protocol,
    measured: Measured | None,
    cfg: MetricSettings,
    inputs: Mapping[Role, DetectionInput],
) -> tuple[RepResult, ...]:
    """One result per rep window, or the protocol step's own reps; then the step's patches."""
    by_role = {c.role: c for c in channels}
    reps = (
        tuple(
            _rep_result(
                w,
                by_role[Role.emg(Muscle.GLUTE_MAX, w.side)],
                by_role[Role.emg(Muscle.HAMSTRING, w.side)],
                proto,
                cfg,
                inputs,
            )
            for w in windows
        )
        if measured is None or measured.reps is None
        else ()
    )
    return reps if measured is None else measured.apply(reps)


def _rows(channels: tuple[ChannelResult, ...], windows: tuple[RepWindow, ...]) -> tuple[BurstRow, ...]:
    """Every burst of every channel as an ``onsets.csv`` row, in time order."""
    rows = []
    for c in channels:
        side, muscle = c.role.side, c.role.muscle
        assert side is not None
        assert muscle is not None
        rows += [
            BurstRow(side, muscle, _rep_of(side, b.onset_s, windows), b, row_quality(c, b)) for b in c.bursts
        ]
    return tuple(sorted(rows, key=lambda r: (r.burst.onset_s, r.side.value, r.muscle.value)))


def analyze(
    recording: Recording,
    protocol: Protocol | str,
    *,
    detector: str = "default",
    settings: AnalysisSettings | None = None,
) -> AnalysisResult:
    """Analyze a recording for a protocol.

    Parameters
    ----------
    recording : Recording
        EMG in µV (roles ``glute_max_*``, ``hamstring_*``; others analyzed if present),
        optional ``acc_x/y/z`` in g, events (``rest``, ``cue``, ``lower``, ``squeeze``, ...).
    protocol : Protocol or str
        ``"bridge"`` or ``"single-leg-stand"``.
    detector : str
        Name in :data:`glutesense.detect.DETECTORS`.
    settings : AnalysisSettings, optional

    Returns
    -------
    AnalysisResult

    Raises
    ------
    ValueError
        Unknown protocol or detector, no side with both a glute max and a hamstring
        channel, or a sample rate too low for EMG (messages name the problem).
    """
    with one_blas_thread():
        return _analyze(recording, protocol, detector, settings or AnalysisSettings())


def _analyze(
    recording: Recording, protocol: Protocol | str, detector: str, cfg: AnalysisSettings
) -> AnalysisResult:
    proto = _protocol(protocol)
    probe = make_detector(detector)  # fail early on an unknown name
    sides = _sides(recording)
    notes: list[str] = []
    step = STEPS.get(proto)
    whole = step is None or step.first_pass
    roles = [r for r in EMG_ROLES if recording.has(r)]
    first = [analyze_channel(recording, r, detector, cfg, notes, detect=whole) for r in roles]
    tilt, rate = _tilt(recording), _rate(recording)
    seg = _segment(recording, proto, sides, tuple(c for c, _ in first), (tilt, rate), cfg)
    notes.extend(seg.notes)
    channels, measured = _final_bursts(first, seg.reps, proto, detector, cfg, notes)
    reps = _reps(channels, seg.reps, proto, measured, cfg.metrics, {c.role: d for c, d in first})
    summaries = tuple(summarize_side(s, reps) for s in sides)
    by_side = {s.side: s.glute_hold_uv for s in summaries}
    return AnalysisResult(
        protocol=proto,
        detector=detector,
        detector_settings=probe.settings_dict(),
        settings=cfg,
        reps=reps,
        bursts=_rows(channels, seg.reps),
        sides=summaries,
        symmetry_index_pct=symmetry_index_pct(by_side.get(Side.LEFT), by_side.get(Side.RIGHT)),
        channels=channels,
        tilt=tilt,
        rep_source=seg.reps[0].source if seg.reps else "",
        notes=tuple(dict.fromkeys(notes)),
        rate=rate,
    )
