"""Clinical metrics per rep and side, beyond the ``reps.csv`` contract (pure; no I/O).

For each rep (a :class:`~glutesense.analysis.metrics.RepResult`) this adds: onsets relative to
movement onset and to the cue, the lag's uncertainty, time to peak, hold activation
normalised to a reference, the glute-to-hamstring ratio, erector spinae activation,
and for the single-leg stand rise time, hold steadiness and glute medius onset
relative to the weight shift.  Missing values are None, never made up.

Conventions: times in seconds from the recording's start, durations in ms; onsets
"from" an event are ``onset - event`` (negative: the muscle switched on before it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from glutesense.analysis.metrics import RepResult
from glutesense.analysis.pipeline import AnalysisResult, ChannelResult
from glutesense.detect.base import Burst
from glutesense.model.records import Event, Recording
from glutesense.model.robust import median_sd
from glutesense.model.roles import Muscle, Protocol, Role, Side
from glutesense.protocols.cues import cues, next_after
from glutesense.signal.envelope import moving_mean
from glutesense.signal.movement import Tilt
from glutesense.signal.units import index_at

REFERENCE_LABELS = frozenset({"mvc", "mvic", "reference"})
"""Event labels that mark a reference contraction (maximal or sub-maximal)."""

REFERENCE_WINDOW_S = 0.5
"""The reference level is the highest mean envelope over a window this long."""

REFERENCE_DEFAULT_S = 5.0
"""Length of a reference contraction whose event has no duration."""

SHIFT_FRACTION = 0.2
"""A weight shift is detected when the pelvis tilt has made this share of its change."""

MIN_TILT_DEG = 0.2
"""Smallest resting-noise level of the tilt, degrees (walk-back threshold)."""


@dataclass(frozen=True)
class Reference:
    """What a channel's amplitudes are normalised to.

    Attributes
    ----------
    role : Role
    kind : str
        ``"reference contraction"`` (events labelled ``mvc``/``mvic``/``reference``) or
        ``"session peak"`` (the highest activation anywhere in the session).
    level_uv : float or None
        Highest ``REFERENCE_WINDOW_S`` mean of the envelope in the reference window, µV RMS.
    start_s, stop_s : float
    """

    role: Role
    kind: str
    level_uv: float | None
    start_s: float
    stop_s: float


def _trace_slice(ch: ChannelResult, start_s: float, stop_s: float) -> tuple[np.ndarray, float]:
    """Trace samples in ``[start_s, stop_s)`` and the time of the first one."""
    a = max(index_at(start_s, ch.trace_hz, ch.trace_t0_s), 0)
    b = min(index_at(stop_s, ch.trace_hz, ch.trace_t0_s), ch.trace_uv.size)
    b = max(a, b)
    return ch.trace_uv[a:b], ch.trace_t0_s + a / ch.trace_hz


def _max_window_mean(seg: np.ndarray, window_n: int) -> float | None:
    if not np.isfinite(seg).any():
        return None
    m = moving_mean(seg, max(min(window_n, seg.size), 1))
    return float(np.nanmax(m)) if np.isfinite(m).any() else None


def reference_of(ch: ChannelResult, events: Sequence[Event]) -> Reference:
    """The channel's reference: a reference contraction if the events mark one, else the session peak."""
    window_n = max(round(REFERENCE_WINDOW_S * ch.trace_hz), 1)
    spans = [
        (e.onset_s, e.onset_s + (e.duration_s if e.duration_s > 0 else REFERENCE_DEFAULT_S))
        for e in events
        if e.trial_type.strip().lower() in REFERENCE_LABELS
    ]
    if spans:
        levels = [_max_window_mean(_trace_slice(ch, a, b)[0], window_n) for a, b in spans]
        found = [v for v in levels if v is not None]
        if found:
            return Reference(ch.role, "reference contraction", max(found), spans[0][0], spans[-1][1])
    stop_s = ch.trace_t0_s + ch.trace_uv.size / ch.trace_hz
    return Reference(ch.role, "session peak", _max_window_mean(ch.trace_uv, window_n), ch.trace_t0_s, stop_s)


@dataclass(frozen=True)
class ClinicalRep:
    """One rep on one side: the contract row (``result``) and the clinical metrics.

    Attributes
    ----------
    result : RepResult
    glute_from_movement_ms, hamstring_from_movement_ms : float or None
        Onset minus movement onset, ms.
    glute_from_cue_ms, hamstring_from_cue_ms : float or None
        Onset minus the cue, ms.
    glute_lag_sd_ms : float or None
        Uncertainty (SD) of ``glute_lag_ms`` from the detector, when it reports one.
    glute_time_to_peak_ms, hamstring_time_to_peak_ms : float or None
        Onset to the burst's envelope peak, ms.
    glute_hold_mean_pct, glute_hold_peak_pct, hamstring_hold_mean_pct, hamstring_hold_peak_pct : float or None
        Mean and peak envelope during the hold, % of the channel's reference.
    glute_ham_ratio : float or None
        ``glute_hold_mean_pct / hamstring_hold_mean_pct`` (normalised activation ratio).
    glute_ham_ratio_uv : float or None
        The same from µV (depends on electrode placement and skin; see the report).
    erector_from_glute_ms : float or None
        Erector spinae onset minus glute onset, ms (negative: the back switched on first).
    erector_hold_mean_pct : float or None
    erector_to_glute : float or None
        ``erector_hold_mean_pct / glute_hold_mean_pct``.
    glute_rise_10_90_ms : float or None
        Time the glute envelope takes from 10 % to 90 % of its hold level above rest, ms.
    glute_hold_cv : float or None
        Coefficient of variation (SD / mean) of the glute envelope during the hold.
    weight_shift_s : float or None
        Single-leg stand: start of the weight shift (pelvis tilt, else the ``lift`` cue), s.
    weight_shift_source : str
    glute_med_from_shift_ms : float or None
        Single-leg stand: stance-side glute medius onset minus the weight shift, ms.
    hold_start_s, hold_stop_s : float or None
        The hold window the amplitudes are taken from, ``[start, stop)``.
    """

    result: RepResult
    glute_from_movement_ms: float | None
    hamstring_from_movement_ms: float | None
    glute_from_cue_ms: float | None
    hamstring_from_cue_ms: float | None
    glute_lag_sd_ms: float | None
    glute_time_to_peak_ms: float | None
    hamstring_time_to_peak_ms: float | None
    glute_hold_mean_pct: float | None
    glute_hold_peak_pct: float | None
    hamstring_hold_mean_pct: float | None
    hamstring_hold_peak_pct: float | None
    glute_ham_ratio: float | None
    glute_ham_ratio_uv: float | None
    erector_from_glute_ms: float | None
    erector_hold_mean_pct: float | None
    erector_to_glute: float | None
    glute_rise_10_90_ms: float | None
    glute_hold_cv: float | None
    weight_shift_s: float | None
    weight_shift_source: str
    glute_med_from_shift_ms: float | None
    hold_start_s: float | None
    hold_stop_s: float | None

    @property
    def side(self) -> Side:
        return self.result.side

    @property
    def rep(self) -> int:
        return self.result.rep


CLINICAL_COLUMNS: tuple[str, ...] = (
    *(f for f in ClinicalRep.__dataclass_fields__ if f not in ("result", "weight_shift_source")),
    "weight_shift_source",
)
"""Columns a report adds after the contract columns, in order."""


def _ms(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else 1000.0 * (a - b)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b is not None and b > 0 else None


def _burst_at(ch: ChannelResult | None, onset_s: float | None) -> Burst | None:
    if ch is None or onset_s is None:
        return None
    for b in ch.bursts:
        if abs(b.onset_s - onset_s) < 1e-9:
            return b
    return None


def _finite_attr(obj: object, name: str) -> float | None:
    v = getattr(obj, name, None)
    if isinstance(v, int | float) and math.isfinite(v):
        return float(v)
    return None


def lag_sd_ms(rep: RepResult, glute: Burst | None, ham: Burst | None) -> float | None:
    """The lag's uncertainty: ``rep.glute_lag_sd_ms`` if the pipeline gives one, else from the
    bursts' ``onset_sd_ms`` (added in quadrature), else None."""
    direct = _finite_attr(rep, "glute_lag_sd_ms")
    if direct is not None:
        return direct
    sg, sh = _finite_attr(glute, "onset_sd_ms"), _finite_attr(ham, "onset_sd_ms")
    return math.hypot(sg, sh) if sg is not None and sh is not None else None


@dataclass(frozen=True)
class _Hold:
    mean_uv: float | None
    peak_uv: float | None
    cv: float | None


def _hold(ch: ChannelResult | None, start_s: float | None, stop_s: float | None) -> _Hold:
    if ch is None or start_s is None or stop_s is None:
        return _Hold(None, None, None)
    seg, _ = _trace_slice(ch, start_s, stop_s)
    seg = seg[np.isfinite(seg)]
    if seg.size < 3:
        return _Hold(None, None, None)
    mean = float(seg.mean())
    return _Hold(mean, float(seg.max()), float(seg.std() / mean) if mean > 0 else None)


def _pct(value: float | None, ref: Reference | None) -> float | None:
    if value is None or ref is None or ref.level_uv is None or ref.level_uv <= 0:
        return None
    return 100.0 * value / ref.level_uv


def rise_10_90_ms(ch: ChannelResult, onset_s: float, plateau_uv: float) -> float | None:
    """Time the envelope takes from 10 % to 90 % of ``plateau_uv`` above rest, after ``onset_s``, ms.

    Read from the report's envelope (``trace_window_s`` RMS), so a few tens of ms of the
    window's own smoothing are included.
    """
    base = ch.baseline.median
    span = plateau_uv - base
    if span <= 0:
        return None
    seg, _ = _trace_slice(ch, onset_s - 0.1, onset_s + 2.0)
    if seg.size == 0:
        return None
    above10 = np.flatnonzero(seg >= base + 0.1 * span)
    above90 = np.flatnonzero(seg >= base + 0.9 * span)
    if not above10.size or not above90.size:
        return None
    i10 = int(above10[0])
    later = above90[above90 >= i10]
    if not later.size:
        return None
    return 1000.0 * (int(later[0]) - i10) / ch.trace_hz


def _first_sustained(bursts: Sequence[Burst], start_s: float, stop_s: float, min_s: float) -> Burst | None:
    for b in bursts:
        if start_s <= b.onset_s < stop_s and b.duration_s >= min_s:
            return b
    return None


def weight_shift(
    tilt: Tilt | None, lift_s: float, *, search_s: float = 2.5, pre_s: float = 0.5
) -> tuple[float, str]:
    """Start of the weight shift after a ``lift`` cue, from the pelvis tilt; the cue itself without one.

    The tilt's departure from its level in the ``pre_s`` before the cue is found where it first
    makes ``SHIFT_FRACTION`` of its largest change within ``search_s``, then walked back to where
    it last lay within the resting noise (3 robust SDs, at least ``MIN_TILT_DEG``), as Hodges &
    Bui (1996) walk an EMG onset back.  A change under 1 degree is sway, not a shift.

    Returns
    -------
    (t_s, source)
    """
    if tilt is not None:
        t = tilt.t_s
        pre = tilt.angle_deg[(t >= lift_s - pre_s) & (t < lift_s)]
        win = (t >= lift_s) & (t < lift_s + search_s)
        seg = tilt.angle_deg[win]
        pre = pre[np.isfinite(pre)]
        if pre.size >= 3 and seg.size and np.isfinite(seg).any():
            level, sd = median_sd(pre)
            noise = max(3.0 * sd, MIN_TILT_DEG)
            dev = np.nan_to_num(np.abs(seg - level))
            peak = float(dev.max())
            if peak >= 1.0:
                i = int(np.flatnonzero(dev >= SHIFT_FRACTION * peak)[0])
                while i > 0 and dev[i - 1] > noise:
                    i -= 1
                return float(t[win][i]), "pelvis tilt (IMU)"
    return lift_s, "lift cue (no usable IMU tilt)"


def _hold_window(
    r: RepResult, events: Sequence[Event], glute: Burst | None, delay_s: float
) -> tuple[float | None, float | None]:
    known = [t for t in (r.glute_onset_s, r.hamstring_onset_s, r.cue_s) if t is not None]
    if not known:
        return None, None
    start = max(known) + delay_s
    stops = [start + 3.0]
    nxt = next_after(tuple(events), start, frozenset({"lower", "release", "cue", "squeeze"}))
    if nxt is not None:
        stops.append(nxt)
    if glute is not None:
        stops.append(glute.offset_s)
    stop = min(stops)
    return (start, stop) if stop - start >= 0.2 else (None, None)


def clinical_rep(
    r: RepResult,
    result: AnalysisResult,
    recording: Recording,
    references: Mapping[Role, Reference],
) -> ClinicalRep:
    """The clinical metrics of one rep."""
    side = r.side
    chans = {m: result.channel(Role.emg(m, side)) for m in Muscle}
    g_ch, h_ch, e_ch, m_ch = (
        chans[Muscle.GLUTE_MAX],
        chans[Muscle.HAMSTRING],
        chans[Muscle.ERECTOR],
        chans[Muscle.GLUTE_MED],
    )
    g_b, h_b = _burst_at(g_ch, r.glute_onset_s), _burst_at(h_ch, r.hamstring_onset_s)
    cfg = result.settings.metrics
    start, stop = _hold_window(r, recording.events, g_b, cfg.hold_delay_s)
    g_hold, h_hold, e_hold = _hold(g_ch, start, stop), _hold(h_ch, start, stop), _hold(e_ch, start, stop)

    def ref(ch: ChannelResult | None) -> Reference | None:
        return None if ch is None else references.get(ch.role)

    # a muscle that did not switch on has no activation: its hold level would be a ratio of noise
    if r.glute_onset_s is None:
        g_hold = _Hold(None, None, None)
    if r.hamstring_onset_s is None:
        h_hold = _Hold(None, None, None)
    g_mean, h_mean = _pct(g_hold.mean_uv, ref(g_ch)), _pct(h_hold.mean_uv, ref(h_ch))
    e_mean = _pct(e_hold.mean_uv, ref(e_ch))
    e_onset = None
    if e_ch is not None and r.glute_onset_s is not None:
        lo = (r.cue_s if r.cue_s is not None else r.glute_onset_s) - result.settings.pre_cue_s - 0.5
        eb = _first_sustained(e_ch.bursts, lo, r.glute_onset_s + 1.0, cfg.sustained_s)
        e_onset = eb.onset_s if eb else None
    shift_s: float | None = None
    shift_src = ""
    med_ms: float | None = None
    if result.protocol is Protocol.SINGLE_LEG_STAND and r.cue_s is not None:
        lifts = [c.onset_s for c in cues(recording.events, "lift", recording.meta) if c.side in (side, None)]
        before = [t for t in lifts if t < r.cue_s]
        if before:
            shift_s, shift_src = weight_shift(result.tilt, before[-1])
            if m_ch is not None:
                mb = _first_sustained(m_ch.bursts, before[-1] - 0.5, r.cue_s, cfg.sustained_s)
                med_ms = _ms(mb.onset_s if mb else None, shift_s)
    rise = (
        rise_10_90_ms(g_ch, r.glute_onset_s, g_hold.mean_uv)
        if g_ch is not None and r.glute_onset_s is not None and g_hold.mean_uv is not None
        else None
    )
    return ClinicalRep(
        result=r,
        glute_from_movement_ms=_ms(r.glute_onset_s, r.movement_onset_s),
        hamstring_from_movement_ms=_ms(r.hamstring_onset_s, r.movement_onset_s),
        glute_from_cue_ms=_ms(r.glute_onset_s, r.cue_s),
        hamstring_from_cue_ms=_ms(r.hamstring_onset_s, r.cue_s),
        glute_lag_sd_ms=lag_sd_ms(r, g_b, h_b) if r.glute_lag_ms is not None else None,
        glute_time_to_peak_ms=_ms(g_b.peak_s, g_b.onset_s) if g_b else None,
        hamstring_time_to_peak_ms=_ms(h_b.peak_s, h_b.onset_s) if h_b else None,
        glute_hold_mean_pct=g_mean,
        glute_hold_peak_pct=_pct(g_hold.peak_uv, ref(g_ch)),
        hamstring_hold_mean_pct=h_mean,
        hamstring_hold_peak_pct=_pct(h_hold.peak_uv, ref(h_ch)),
        glute_ham_ratio=_ratio(g_mean, h_mean),
        glute_ham_ratio_uv=_ratio(g_hold.mean_uv, h_hold.mean_uv),
        erector_from_glute_ms=_ms(e_onset, r.glute_onset_s),
        erector_hold_mean_pct=e_mean,
        erector_to_glute=_ratio(e_mean, g_mean),
        glute_rise_10_90_ms=rise,
        glute_hold_cv=g_hold.cv,
        weight_shift_s=shift_s,
        weight_shift_source=shift_src,
        glute_med_from_shift_ms=med_ms,
        hold_start_s=start,
        hold_stop_s=stop,
    )
