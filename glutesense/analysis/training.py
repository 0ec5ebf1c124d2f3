"""A training set, rep by rep: activation against a reference, glute-first, hold time and fatigue.

Input is what a training session holds (``glutesense train``): EMG per role (µV) and its events
(DESIGN.md): ``rest`` (baseline), ``reference`` .. ``relax`` (the reference contraction, as hard as
the person can), and per rep either ``cue`` (lift) .. ``hold`` .. ``lower`` (hip thrust, bridges,
clamshell, side plank, squat) or ``contract`` .. ``relax`` (the squeeze).

Per rep and glute / hamstring channel, over the rep's window ``[first cue + lead_s, last cue +
tail_s)`` (the reaction, the rise and the movement transient left out):

* **activation**: band RMS (resting noise power subtracted) as a share of the reference's;
* **MDF / MNF**: :mod:`glutesense.analysis.fatigue` (Welch, De Luca 1984; Cifrek et al. 2009);
* **hold**: the longest time the glute's 100-ms RMS envelope stays at or above ``target_share``
  of the reference's envelope;
* **glute first** (thrusts and bridges): the glute's envelope crosses rest + ``onset_sd`` SD (and
  ``onset_share`` of the reference) before the hamstring's.  A live reading; ``glutesense analyze``
  measures the onsets properly (``reps.csv``).

Over the set: the fatigue of each channel (its per-rep MDF) and of the glutes together: each
rep's glute MDF read against the set's own spectrum as a spectral compression
(:mod:`glutesense.analysis.compression`; Lindström & Magnusson 1977), whose scatter is about
0.7 of the per-rep MDF's, then the mean of the left and right glute (which halves the variance
again); and when the running fall of the per-rep glute MDF (a live, causal reading,
:func:`~glutesense.analysis.fatigue.running_drop_pct`) first reached ``tired_drop_pct``.

Pure: arrays, events and frozen dataclasses in and out; the live monitor and the report share it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from glutesense.analysis.compression import set_compression
from glutesense.analysis.fatigue import (
    ContractionSpectrum,
    FatigueAssessment,
    FloatArray,
    Spectrum,
    SpectrumSettings,
    activation_share,
    assess_fatigue,
    contraction_spectrum,
    noise_spectrum,
    running_drop_pct,
)
from glutesense.detect.common import merge_runs
from glutesense.model.records import Event
from glutesense.model.roles import Muscle, Role, Side
from glutesense.signal.condition import causal_envelope
from glutesense.signal.envelope import median_sd
from glutesense.signal.runs import runs_of

START_LABELS = ("cue", "contract")
END_LABELS = ("lower", "relax")
GLUTES = (Role.GLUTE_MAX_L, Role.GLUTE_MAX_R)
HAMSTRINGS = (Role.HAMSTRING_L, Role.HAMSTRING_R)


@dataclass(frozen=True)
class TrainingSettings:
    """How a set is read (module docstring; physical units in the names)."""

    lead_s: float = 0.6
    tail_s: float = 0.1
    envelope_s: float = 0.1
    target_share: float = 0.4
    onset_sd: float = 5.0
    onset_share: float = 0.0
    tired_drop_pct: float = 10.0
    min_reps_tired: int = 4
    order_matters: bool = True
    """Whether glute-first is part of the verdict (thrusts and bridges)."""
    success_hold_s: float = 0.0
    """A rep succeeds when both glutes stayed above the target this long (0: no success count)."""


Channel = tuple[FloatArray, float, float]
"""``(x_uv, fs_hz, t0_s)`` of one EMG channel."""


@dataclass(frozen=True)
class MuscleRep:
    """One channel in one rep: activation (share of reference), spectrum, onset, time above target."""

    role: Role
    activation: float
    spectrum: ContractionSpectrum
    onset_s: float | None
    above_target_s: float


@dataclass(frozen=True)
class RepSummary:
    """One rep: its window, each channel, whether the glute led, the hold, and a verdict line."""

    rep: int
    start_s: float
    stop_s: float
    muscles: tuple[MuscleRep, ...]
    glute_first: bool | None
    hold_s: float
    glute_mdf_hz: float
    verdict: str
    success: bool | None = None

    def muscle(self, role: Role) -> MuscleRep | None:
        return next((m for m in self.muscles if m.role is role), None)


@dataclass(frozen=True)
class Conditioned:
    """A channel ready for reading: raw µV, its 100-ms RMS envelope, rest noise and reference levels."""

    x_uv: FloatArray
    envelope_uv: FloatArray
    fs_hz: float
    t0_s: float
    noise: Spectrum | None
    rest_level_uv: float
    rest_sd_uv: float
    reference_rms_uv: float
    reference_envelope_uv: float
    rest_uv: FloatArray | None = None

    def index(self, t_s: float) -> int:
        return int(np.clip(round((t_s - self.t0_s) * self.fs_hz), 0, self.x_uv.size))


def _window(
    events: Sequence[Event], start: str | tuple[str, ...], end: tuple[str, ...]
) -> tuple[float, float] | None:
    starts = (start,) if isinstance(start, str) else start
    a = next((e for e in events if e.trial_type in starts), None)
    if a is None:
        return None
    b = next((e for e in events if e.trial_type in end and e.onset_s > a.onset_s), None)
    return (a.onset_s, b.onset_s) if b is not None else None


def rep_windows(events: Sequence[Event]) -> tuple[tuple[int, float, float], ...]:
    """``(rep, first cue s, last cue s)`` of every complete rep, in order (interrupted cues left out)."""
    by_rep: dict[int, list[Event]] = {}
    for e in events:
        if e.rep is not None and e.trial_type in (*START_LABELS, "hold", *END_LABELS):
            by_rep.setdefault(e.rep, []).append(e)
    out = []
    for rep, evs in sorted(by_rep.items()):
        starts = [e.onset_s for e in evs if e.trial_type in START_LABELS]
        ends = [e.onset_s for e in evs if e.trial_type in END_LABELS]
        if starts and ends and max(ends) > max(starts):
            out.append((rep, max(starts), max(ends)))
    return tuple(out)


def condition(channel: Channel, events: Sequence[Event], settings: TrainingSettings) -> Conditioned:
    """Band-pass for the envelope, rest noise spectrum, and the reference contraction's levels."""
    x, fs_hz, t0_s = channel
    x = np.nan_to_num(np.asarray(x, dtype=np.float64))
    env = causal_envelope(x, fs_hz, window_s=settings.envelope_s)
    rest = _window(events, "rest", ("reference", *START_LABELS))
    rest_e = next((e for e in events if e.trial_type == "rest"), None)
    if rest_e is not None and rest_e.duration_s > 0:
        rest = (rest_e.onset_s, rest_e.onset_s + rest_e.duration_s)
    noise, level, sd, rest_uv = None, float("nan"), float("nan"), None
    if rest is not None:
        noise = noise_spectrum(x, fs_hz, rest[0] - t0_s, rest[1] - t0_s)
        i0, i1 = max(0, int((rest[0] - t0_s) * fs_hz)), int((rest[1] - t0_s) * fs_hz)
        if i1 - i0 > 10:
            level, sd = median_sd(env[i0:i1])
            rest_uv = x[i0:i1]
    ref_rms = ref_env = float("nan")
    ref = _window(events, "reference", END_LABELS)
    if ref is not None:
        a, b = ref[0] + settings.lead_s - t0_s, ref[1] + settings.tail_s - t0_s
        spec = contraction_spectrum(x, fs_hz, a, b, noise=noise, settings=SpectrumSettings(edge_s=0.0))
        ref_rms = spec.rms_uv
        seg = env[max(0, int(a * fs_hz)) : int(b * fs_hz)]
        ref_env = float(np.median(seg)) if seg.size else float("nan")
    return Conditioned(x, env, fs_hz, t0_s, noise, level, sd, ref_rms, ref_env, rest_uv)


def _longest_run_s(mask: np.ndarray, fs_hz: float, bridge_s: float = 0.25) -> float:
    """The longest run of True, s, inner dips shorter than ``bridge_s`` bridged (an RMS envelope of a
    stochastic signal wobbles by tens of % over 100 ms; a held squeeze does not let go that fast)."""
    runs = merge_runs(runs_of(mask), math.ceil(bridge_s * fs_hz))
    return max((b - a for a, b in runs), default=0) / fs_hz


def _onset_s(c: Conditioned, cue_s: float, stop_s: float, settings: TrainingSettings) -> float | None:
    if not np.isfinite(c.rest_level_uv):
        return None
    floor = c.reference_envelope_uv * settings.onset_share if np.isfinite(c.reference_envelope_uv) else 0.0
    thr = c.rest_level_uv + max(settings.onset_sd * c.rest_sd_uv, floor)
    i0, i1 = c.index(cue_s), c.index(stop_s)
    above = np.flatnonzero(c.envelope_uv[i0:i1] > thr)
    return None if above.size == 0 else c.t0_s + (i0 + int(above[0])) / c.fs_hz


def muscle_rep(
    role: Role, c: Conditioned, cue_s: float, end_s: float, settings: TrainingSettings
) -> MuscleRep:
    """One channel over one rep (cue at ``cue_s``, last cue at ``end_s``)."""
    a, b = cue_s + settings.lead_s, end_s + settings.tail_s
    spec = contraction_spectrum(
        c.x_uv, c.fs_hz, a - c.t0_s, b - c.t0_s, noise=c.noise, settings=SpectrumSettings(edge_s=0.0)
    )
    spec = ContractionSpectrum(
        spec.start_s + c.t0_s, spec.stop_s + c.t0_s, spec.mdf_hz, spec.mnf_hz, spec.rms_uv
    )
    above = 0.0
    if np.isfinite(c.reference_envelope_uv):
        seg = c.envelope_uv[c.index(cue_s) : c.index(b)]
        above = _longest_run_s(seg >= settings.target_share * c.reference_envelope_uv, c.fs_hz)
    onset = _onset_s(c, cue_s, b, settings)
    return MuscleRep(role, activation_share(spec.rms_uv, c.reference_rms_uv), spec, onset, above)


def _glute_first(muscles: Mapping[Role, MuscleRep]) -> bool | None:
    votes = []
    for side in (Side.LEFT, Side.RIGHT):
        g, h = muscles.get(Role.emg(Muscle.GLUTE_MAX, side)), muscles.get(Role.emg(Muscle.HAMSTRING, side))
        if g is not None and h is not None and g.onset_s is not None and h.onset_s is not None:
            votes.append(g.onset_s <= h.onset_s)
    return None if not votes else all(votes)


def _verdict(
    rep: int,
    muscles: Mapping[Role, MuscleRep],
    glute_first: bool | None,
    hold_s: float,
    mdf_hz: float,
    settings: TrainingSettings,
) -> str:
    glutes = [m.activation for r, m in muscles.items() if r in GLUTES and np.isfinite(m.activation)]
    parts = [f"rep {rep}:"]
    if glutes:
        parts.append(f"glute {100 * float(np.mean(glutes)):.0f} % of your reference,")
    if glute_first is not None and settings.order_matters:
        parts.append("glute first," if glute_first else "hamstrings led,")
    parts.append(f"held {hold_s:.1f} s above {100 * settings.target_share:.0f} %")
    if np.isfinite(mdf_hz):
        parts.append(f"(MDF {mdf_hz:.0f} Hz)")
    weak = bool(glutes) and float(np.mean(glutes)) < settings.target_share
    led = glute_first is False and settings.order_matters
    short = settings.success_hold_s > 0 and hold_s < settings.success_hold_s
    word = (
        "weak: squeeze harder"
        if weak
        else "let the glute lead"
        if led
        else "hold it longer"
        if short
        else "good"
    )
    return " ".join(parts) + f" — {word}"


def summarize_rep(
    rep: int, cue_s: float, end_s: float, channels: Mapping[Role, Conditioned], settings: TrainingSettings
) -> RepSummary:
    """Every channel over one rep, the glute-first reading, the hold and the verdict line."""
    muscles = {role: muscle_rep(role, c, cue_s, end_s, settings) for role, c in channels.items()}
    glute_first = _glute_first(muscles)
    holds = [muscles[r].above_target_s for r in GLUTES if r in muscles]
    hold_s = float(min(holds)) if holds else 0.0
    mdfs = [muscles[r].spectrum.mdf_hz for r in GLUTES if r in muscles]
    mdf = float(np.nanmean(mdfs)) if mdfs and np.isfinite(mdfs).any() else float("nan")
    verdict = _verdict(rep, muscles, glute_first, hold_s, mdf, settings)
    success = hold_s >= settings.success_hold_s if settings.success_hold_s > 0 else None
    return RepSummary(
        rep,
        cue_s + settings.lead_s,
        end_s + settings.tail_s,
        tuple(muscles.values()),
        glute_first,
        hold_s,
        mdf,
        verdict,
        success,
    )


@dataclass(frozen=True)
class SetSummary:
    """A whole set: each rep, each channel's fatigue and the glutes' together, when it tired."""

    reps: tuple[RepSummary, ...]
    fatigue: Mapping[Role, FatigueAssessment]
    glute_fatigue: FatigueAssessment
    tired_at_rep: int | None
    reference_rms_uv: Mapping[Role, float]

    @property
    def sentences(self) -> tuple[str, ...]:
        g = self.glute_fatigue
        out = [f"{len(self.reps)} reps."]
        counted = [r.success for r in self.reps if r.success is not None]
        if counted:
            out.append(f"{sum(counted)} of {len(counted)} squeezes held above the target.")
        if g.mdf is not None:
            lo, hi = g.mdf.ci_pct
            out.append(
                f"Glute median frequency {g.mdf.slope_pct:+.2f} % per rep (95 % CI {lo:+.2f} to {hi:+.2f}), "
                f"{-g.mdf_drop_pct:+.1f} % over the set."
            )
            if g.rms is not None:
                out.append(f"Glute amplitude {g.rms.change_pct:+.1f} % over the set.")
        if g.tired:
            out.append(
                f"Your glute's median frequency fell {g.mdf_drop_pct:.0f} % — that's the burn "
                "(local fatigue)."
            )
        elif g.mdf is not None and g.mdf.consistent_with_zero:
            out.append("No sign of fatigue: the median frequency held steady.")
        if self.tired_at_rep is not None:
            out.append(f"The running fall first reached the tired mark at rep {self.tired_at_rep}.")
        return tuple(out)


def summarize_set(
    channels: Mapping[Role, Channel], events: Sequence[Event], settings: TrainingSettings = TrainingSettings()
) -> SetSummary:
    """Read a training set from its EMG ``channels`` (glute and hamstring roles used) and ``events``."""
    evs = sorted(events, key=lambda e: e.onset_s)
    used = {r: condition(ch, evs, settings) for r, ch in channels.items() if r in (*GLUTES, *HAMSTRINGS)}
    reps = tuple(summarize_rep(rep, a, b, used, settings) for rep, a, b in rep_windows(evs))
    fatigue = {
        role: assess_fatigue(
            [m.spectrum for r in reps if (m := r.muscle(role)) is not None],
            tired_drop_pct=settings.tired_drop_pct,
        )
        for role in used
    }
    pooled = [
        ContractionSpectrum(r.start_s, r.stop_s, mdf, _mean_glute(r, "mnf_hz"), _mean_glute(r, "rms_uv"))
        for r, mdf in zip(reps, _glute_set_mdf(reps, used), strict=True)
    ]
    tired_at = None
    for k in range(1, len(reps) + 1):
        drop = running_drop_pct([r.glute_mdf_hz for r in reps[:k]])
        if k >= settings.min_reps_tired and drop >= settings.tired_drop_pct:
            tired_at = reps[k - 1].rep
            break
    return SetSummary(
        reps,
        fatigue,
        assess_fatigue(pooled, tired_drop_pct=settings.tired_drop_pct),
        tired_at,
        {r: c.reference_rms_uv for r, c in used.items()},
    )


def _glute_set_mdf(reps: Sequence[RepSummary], used: Mapping[Role, Conditioned]) -> list[float]:
    """Each rep's glute MDF read against the set's own spectrum (:mod:`~glutesense.analysis.compression`),
    the mean of both glutes; a glute with under 3 reps keeps its per-rep MDF."""
    per_role = []
    for role in (r for r in GLUTES if r in used):
        c = used[role]
        spans = [(m.spectrum.start_s, m.spectrum.stop_s) for r in reps if (m := r.muscle(role)) is not None]
        windows = [c.x_uv[c.index(a) : c.index(b)] for a, b in spans]
        got = set_compression(windows, c.fs_hz, c.rest_uv) if len(windows) == len(reps) else None
        plain = [m.spectrum.mdf_hz if (m := r.muscle(role)) is not None else np.nan for r in reps]
        per_role.append(got.mdf_hz if got is not None else np.asarray(plain, dtype=np.float64))
    if not per_role:
        return [float("nan")] * len(reps)
    stack = np.array(per_role)
    return [float(np.nanmean(col)) if np.isfinite(col).any() else float("nan") for col in stack.T]


def _mean_glute(rep: RepSummary, attr: str) -> float:
    vals = [getattr(m.spectrum, attr) for m in rep.muscles if m.role in GLUTES]
    vals = [v for v in vals if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")
