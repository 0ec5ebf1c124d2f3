"""The per-channel stages of the pipeline: check, condition, baseline and detect one EMG channel; the
detector's sensitive second pass inside rep windows; the channel's active level and each burst's
row quality.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from glutesense.analysis.metrics import (
    MetricSettings,
    pick_sustained,
)
from glutesense.analysis.results import AnalysisSettings, ChannelResult
from glutesense.detect.base import Burst, DetectionInput
from glutesense.detect.registry import make_detector
from glutesense.model.records import Recording
from glutesense.model.roles import Role
from glutesense.protocols import RepWindow
from glutesense.signal.condition import condition_emg
from glutesense.signal.envelope import baseline_of, quietest_window, rest_window, rms_envelope
from glutesense.signal.quality import (
    active_level_uv,
    assess_channel,
    onset_damage,
    stalled_runs,
)


def analyze_channel(
    recording: Recording,
    role: Role,
    detector_name: str,
    settings: AnalysisSettings,
    notes: list[str],
    *,
    detect: bool = True,
) -> tuple[ChannelResult, DetectionInput]:
    x, fs_hz, t0_s = recording.signal(role)
    quality = assess_channel(x, fs_hz, t0_s=t0_s)
    stalled = stalled_runs(quality)
    if stalled:
        x = x.copy()
        for a, b in stalled:
            x[a:b] = np.nan
        for start_s, stop_s in quality.runs_s(stalled):
            notes.append(
                f"{role.value}: flat line for {stop_s - start_s:.1f} s from {start_s:.1f} s treated as "
                "lost (electrode contact?)"
            )
    cond = condition_emg(x, fs_hz, settings=settings.condition, label=role.value)
    notes.extend(cond.notes)
    env = rms_envelope(cond.signal_uv, fs_hz, window_s=settings.trace_window_s)
    rest = rest_window(recording.events)
    if rest is None:
        rest = quietest_window(env, fs_hz, window_s=settings.quiet_window_s, t0_s=t0_s)
        notes.append(
            f"{role.value}: no 'rest' event; baseline from the quietest "
            f"{settings.quiet_window_s:g} s ({rest[0]:.2f}-{rest[1]:.2f} s)"
        )
    base = baseline_of(env, fs_hz, rest[0], rest[1], t0_s=t0_s, source="rest")
    if base is None:
        raise ValueError(f"{role.value}: resting window {rest[0]:.2f}-{rest[1]:.2f} s holds too few samples")
    data = DetectionInput(cond.signal_uv, fs_hz, t0_s, rest)
    bursts = make_detector(detector_name).detect(data) if detect else ()
    step = max(round(fs_hz / settings.trace_hz), 1)
    result = ChannelResult(
        role=role,
        fs_hz=fs_hz,
        band_hz=cond.band_hz,
        mains_hz=cond.mains_hz,
        zero_phase=cond.zero_phase,
        baseline=base,
        bursts=bursts,
        trace_t0_s=t0_s,
        trace_hz=fs_hz / step,
        trace_uv=env[::step].copy(),
        quality=quality,
    )
    return result, data


def with_activity(channel: ChannelResult) -> ChannelResult:
    """``channel`` with its active level (from its final bursts), which its SNR and score derive from."""
    active = active_level_uv(
        channel.trace_uv,
        channel.trace_hz,
        channel.trace_t0_s,
        [(b.onset_s, b.offset_s) for b in channel.bursts],
    )
    return replace(channel, active_uv=active)


def row_quality(channel: ChannelResult, burst: Burst) -> float:
    """Channel score x (1 - damaged share of the onset window)."""
    return channel.quality_score * (1.0 - onset_damage(channel.quality, burst.onset_s))


NO_ACTIVATION = "no activation above the resting level"
ONLY_SHORT = "only short bursts (no sustained contraction)"


def _overlap(a: Burst, b: Burst) -> bool:
    return a.onset_s < b.offset_s and b.onset_s < a.offset_s


def second_pass(
    channel: ChannelResult,
    data: DetectionInput,
    windows: tuple[RepWindow, ...],
    detector_name: str,
    cfg: MetricSettings,
    *,
    refine: bool,
) -> ChannelResult:
    """Bursts of the detector's sensitive pass (``detect_in``) inside rep windows.

    Windows where the first pass found no sustained burst (and that are not inside an ongoing one)
    get the sustained bursts of the sensitive pass that overlap no known burst.  With ``refine``
    (protocols that do not count false starts, i.e. the bridge), a window whose first sustained burst
    is weak (confidence below ``refine_below_confidence``) and starts more than ``refine_margin_s``
    after the alarm of a sustained burst of the sensitive pass (a weak contraction the first pass saw
    only in fragments, or only late) gets that burst instead of the fragments.  The rest, and short
    bursts where false starts are counted, are left as the first pass found them.
    """
    detect_in = getattr(make_detector(detector_name), "detect_in", None)
    if detect_in is None:
        return channel
    mine = [w for w in windows if w.side is channel.role.side]
    picks = [pick_sustained(channel.bursts, w, cfg) for w in mine]
    empty = [
        (w.start_s, w.stop_s)
        for w, p in zip(mine, picks, strict=True)
        if p.reason in (NO_ACTIVATION, ONLY_SHORT)
    ]
    late = [
        (w, p.burst)
        for w, p in zip(mine, picks, strict=True)
        if refine and p.burst is not None and p.burst.confidence < cfg.refine_below_confidence
    ]
    search = empty + [(w.start_s, w.stop_s) for w, _ in late]
    if not search:
        return channel
    found = [b for b in detect_in(data, search) if b.duration_s >= cfg.sustained_s]
    bursts = list(channel.bursts)
    for lo, hi in empty:
        bursts += [b for b in found if lo <= b.alarm_s < hi and not any(_overlap(b, o) for o in bursts)]
    for w, pick in late:
        early = [
            b
            for b in found
            if w.start_s <= b.onset_s < pick.onset_s < b.offset_s
            and b.alarm_s < pick.onset_s - cfg.refine_margin_s
        ]
        if early:
            b = early[0]
            bursts = [o for o in bursts if not (w.start_s <= o.onset_s < b.offset_s)] + [b]
    if bursts == list(channel.bursts):
        return channel
    return replace(channel, bursts=tuple(sorted(bursts, key=lambda b: b.onset_s)))
