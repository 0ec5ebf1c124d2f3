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
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from glutesense.analysis.lost import guard_lost
from glutesense.analysis.metrics import (
    MetricSettings,
    RepResult,
    SideSummary,
    classify_order,
    pick_sustained,
    summarize_side,
    symmetry_index_pct,
)
from glutesense.analysis.step_types import MeasureInput
from glutesense.analysis.steps import STEPS
from glutesense.detect.base import Burst, DetectionInput
from glutesense.detect.registry import make_detector
from glutesense.model.records import Recording
from glutesense.model.roles import ACC_ROLES, EMG_ROLES, GYR_ROLES, Muscle, Protocol, Role, Side
from glutesense.protocols import SEGMENTERS, RepWindow, SegmentInput
from glutesense.signal.condition import ConditionSettings, condition_emg
from glutesense.signal.envelope import Baseline, baseline_of, quietest_window, rest_window, rms_envelope
from glutesense.signal.movement import AngularRate, Tilt, tilt_from_acc
from glutesense.signal.quality import (
    SignalQuality,
    active_level_uv,
    assess_channel,
    onset_damage,
    quality_score,
    snr_db,
    stalled_runs,
)
from glutesense.signal.units import index_at, n_samples

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of :func:`analyze` (detector settings live with the detector).

    Attributes
    ----------
    condition : ConditionSettings
    metrics : MetricSettings
    pre_cue_s : float
        A rep window opens this long before its cue (anticipatory activity).
    quiet_window_s : float
        Baseline window length when there is no ``rest`` event.  2 s: the quietest of many 1 s windows
        underestimates the resting level (on motor-unit recordings without events, 3 false bursts per
        minute of rest against none with a 2 s window, ``benchmarks/outside_csv.py``).
    trace_window_s, trace_hz : float
        RMS window and output rate of the envelopes kept for figures and hold amplitudes.
    """

    condition: ConditionSettings = field(default_factory=ConditionSettings)
    metrics: MetricSettings = field(default_factory=MetricSettings)
    pre_cue_s: float = 0.25
    quiet_window_s: float = 2.0
    trace_window_s: float = 0.1
    trace_hz: float = 100.0


@dataclass(frozen=True)
class ChannelResult:
    """One EMG channel after conditioning and detection.

    Attributes
    ----------
    role : Role
    fs_hz : float
    band_hz : (float, float)
    mains_hz : float or None
    zero_phase : bool
    baseline : Baseline
        Of the trace envelope (µV RMS).
    bursts : tuple of Burst
    trace_t0_s, trace_hz : float
    trace_uv : ndarray, shape (n,)
        RMS envelope, µV, at ``trace_hz`` (for figures and hold amplitudes).
    quality : SignalQuality
        Clipping, flat lines and lost samples of the raw channel (:mod:`glutesense.signal.quality`).
    active_uv : float or None
        Median trace inside the final sustained bursts (µV RMS), None without one (or before the
        bursts are final).
    """

    role: Role
    fs_hz: float
    band_hz: tuple[float, float]
    mains_hz: float | None
    zero_phase: bool
    baseline: Baseline
    bursts: tuple[Burst, ...]
    trace_t0_s: float
    trace_hz: float
    trace_uv: FloatArray
    quality: SignalQuality
    active_uv: float | None = None

    @property
    def snr_db(self) -> float | None:
        """Activation over rest (:func:`glutesense.signal.quality.snr_db`), None without a contraction."""
        return snr_db(self.baseline.median, self.active_uv)

    @property
    def quality_score(self) -> float:
        """:func:`glutesense.signal.quality.quality_score` of the channel, 0..1."""
        return quality_score(self.quality, self.snr_db)

    def mean_uv(self, start_s: float, stop_s: float) -> float | None:
        """Mean of the trace over ``[start_s, stop_s)``, None if empty."""
        a = max(index_at(start_s, self.trace_hz, self.trace_t0_s), 0)
        b = min(index_at(stop_s, self.trace_hz, self.trace_t0_s), self.trace_uv.size)
        seg = self.trace_uv[a:b]
        seg = seg[np.isfinite(seg)]
        return float(seg.mean()) if seg.size else None


@dataclass(frozen=True)
class BurstRow:
    """One row of ``onsets.csv``: a burst with its side, muscle and rep (None outside reps).

    ``burst`` is the detector's own; ``quality`` (0..1) is the channel's quality score times the
    undamaged share of the onset window (:func:`_row_quality`), and ``confidence`` the two combined.
    """

    side: Side
    muscle: Muscle
    rep: int | None
    burst: Burst
    quality: float = 1.0

    @property
    def confidence(self) -> float:
        """Detector confidence x channel quality x (1 - damaged share of the onset window)."""
        return self.burst.confidence * self.quality


@dataclass(frozen=True)
class AnalysisResult:
    """Everything ``analyze`` found; the report writes it out.

    Attributes
    ----------
    protocol : Protocol
    detector : str
    detector_settings : mapping
    settings : AnalysisSettings
    reps : tuple of RepResult
        One per rep and side, sorted by side then rep.
    bursts : tuple of BurstRow
    sides : tuple of SideSummary
    symmetry_index_pct : float or None
        Left/right symmetry of glute activation during the holds.
    channels : tuple of ChannelResult
    tilt : Tilt or None
    rate : AngularRate or None
        Gyroscope angular rate (deg/s), used for movement onsets when present.
    rep_source : str
        How reps were found (``"cue events"``, ``"accelerometer"``, ``"emg"``, or ``""``).
    notes : tuple of str
        Conditioning and segmentation notes, for the report.
    """

    protocol: Protocol
    detector: str
    detector_settings: Mapping[str, float | str]
    settings: AnalysisSettings
    reps: tuple[RepResult, ...]
    bursts: tuple[BurstRow, ...]
    sides: tuple[SideSummary, ...]
    symmetry_index_pct: float | None
    channels: tuple[ChannelResult, ...]
    tilt: Tilt | None
    rep_source: str
    notes: tuple[str, ...]
    rate: AngularRate | None = None

    def channel(self, role: Role) -> ChannelResult | None:
        for c in self.channels:
            if c.role is role:
                return c
        return None


def _analyze_channel(
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


def _with_activity(channel: ChannelResult) -> ChannelResult:
    """``channel`` with its active level (from its final bursts), which its SNR and score derive from."""
    active = active_level_uv(
        channel.trace_uv,
        channel.trace_hz,
        channel.trace_t0_s,
        [(b.onset_s, b.offset_s) for b in channel.bursts],
    )
    return replace(channel, active_uv=active)


def _row_quality(channel: ChannelResult, burst: Burst) -> float:
    """Channel score x (1 - damaged share of the onset window)."""
    return channel.quality_score * (1.0 - onset_damage(channel.quality, burst.onset_s))


NO_ACTIVATION = "no activation above the resting level"
ONLY_SHORT = "only short bursts (no sustained contraction)"


def _overlap(a: Burst, b: Burst) -> bool:
    return a.onset_s < b.offset_s and b.onset_s < a.offset_s


def _second_pass(
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
        bursts += [
            b
            for b in found
            if lo <= b.alarm_s < hi and not any(_overlap(b, o) for o in bursts)
        ]
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
    cfg = settings or AnalysisSettings()
    try:
        proto = Protocol(protocol)
    except ValueError:
        known = ", ".join(p.value for p in Protocol)
        raise ValueError(f"unknown protocol {protocol!r} (known: {known})") from None
    make_detector(detector)  # fail early on an unknown name
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
    notes: list[str] = []
    step = STEPS.get(proto)
    whole = step is None or step.first_pass
    first = [
        _analyze_channel(recording, r, detector, cfg, notes, detect=whole)
        for r in EMG_ROLES
        if recording.has(r)
    ]
    channels = tuple(c for c, _ in first)
    tilt = _tilt(recording)
    rate = _rate(recording)
    seg = SEGMENTERS[proto](
        SegmentInput(
            recording.events,
            sides,
            tilt,
            {c.role: c.bursts for c in channels},
            recording.duration_s,
            recording.meta,
            rate,
        ),
        pre_cue_s=cfg.pre_cue_s,
    )
    notes.extend(seg.notes)
    refine = proto is Protocol.BRIDGE
    second = step is None or step.second_pass
    channels = tuple(
        _second_pass(c, d, seg.reps, detector, cfg.metrics, refine=refine) if second else c for c, d in first
    )
    measured = None
    if step is not None:
        signals = {c.role: d for c, d in first}
        found = {c.role: c.bursts for c in channels}
        measured = step.measure(MeasureInput(seg.reps, signals, found, cfg.metrics))
        channels = tuple(replace(c, bursts=measured.bursts.get(c.role, c.bursts)) for c in channels)
        notes.extend(measured.notes)
    channels = tuple(_with_activity(c) for c in channels)
    by_role = {c.role: c for c in channels}
    reps = tuple(
        _rep_result(
            w,
            by_role[Role.emg(Muscle.GLUTE_MAX, w.side)],
            by_role[Role.emg(Muscle.HAMSTRING, w.side)],
            proto,
            cfg.metrics,
            {c.role: d for c, d in first},
        )
        for w in seg.reps
    ) if measured is None or measured.reps is None else ()
    if measured is not None:
        reps = measured.apply(reps)
    rows = []
    for c in channels:
        side, muscle = c.role.side, c.role.muscle
        assert side is not None
        assert muscle is not None
        rows += [
            BurstRow(side, muscle, _rep_of(side, b.onset_s, seg.reps), b, _row_quality(c, b))
            for b in c.bursts
        ]
    summaries = tuple(summarize_side(s, reps) for s in sides)
    by_side = {s.side: s.glute_hold_uv for s in summaries}
    probe = make_detector(detector)
    return AnalysisResult(
        protocol=proto,
        detector=detector,
        detector_settings=probe.settings_dict(),
        settings=cfg,
        reps=reps,
        bursts=tuple(sorted(rows, key=lambda r: (r.burst.onset_s, r.side.value, r.muscle.value))),
        sides=summaries,
        symmetry_index_pct=symmetry_index_pct(by_side.get(Side.LEFT), by_side.get(Side.RIGHT)),
        channels=channels,
        tilt=tilt,
        rep_source=seg.reps[0].source if seg.reps else "",
        notes=tuple(dict.fromkeys(notes)),
        rate=rate,
    )
