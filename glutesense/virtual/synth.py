"""A simple generator of test recordings with known onsets (for tests of the analysis core).

Independent of the virtual person in ``glutesense.virtual``: this one is small,
deterministic for a seed, and exposes every knob a detector test needs.

Model (per EMG channel): background noise plus an activation ``a(t) * n(t)``
where ``n`` is unit-RMS Gaussian noise band-limited to the EMG band
(20 Hz to ``min(450, 0.45 fs)`` Hz), and ``a`` rises as a raised cosine over the
rise time from 0 at the onset to the plateau amplitude (a rise of 0 is a step).
Background noise is band-limited the same way, so the SNR
``20 log10(plateau RMS / noise RMS)`` does not depend on the sample rate.  Mains
hum and baseline wander are added on top.  The thigh accelerometer (100 Hz)
sees gravity rotate by the thigh angle, which ramps up when the hips lift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from glutesense.model.arrays import FloatArray
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import Muscle, Protocol, Role, Side


@dataclass(frozen=True)
class SynthSpec:
    """Parameters of a synthetic recording (all times in seconds unless named ``_ms``).

    Attributes
    ----------
    protocol : Protocol
    fs_hz : float
        EMG sample rate.
    imu_fs_hz : float
        Accelerometer sample rate.
    n_reps : int
        Reps (bridge) or squeeze trials per stance side (single-leg stand).
    snr_db : float
        Plateau RMS over background RMS, in-band, dB (amplitude).
    noise_uv : float
        Background RMS, µV.
    rise_s : (float, float)
        Range the rise time of each onset is drawn from (uniform).
    lag_ms : float
        Glute onset minus hamstring onset, left side (positive: glute later).
    lag_ms_right : float or None
        The same for the right side (None: as ``lag_ms``).
    glute_absent : bool
        The glute never activates.
    glute_gain : float
        Glute plateau relative to the hamstring plateau.
    mains_hz, mains_uv : float or None, float
        Mains hum (None: none) and its amplitude.
    wander_uv : float
        Amplitude of a 0.3 Hz baseline wander.
    rest_s : float
        Length of the initial rest phase (a ``rest`` event).
    hold_s, between_s : float
        Hold of each rep, pause after it.
    cue_events, imu : bool
        Whether cue/lower/squeeze events and the accelerometer are present.
    false_starts : int
        Single-leg stand: short glute bursts (120 ms) before the sustained one.
    squeeze_latency_s : float
        Single-leg stand: squeeze cue to sustained glute onset.
    gaps : tuple of (start_s, duration_s)
        Spans set to NaN in every stream (lost packets).
    side_in_trial_type : bool
        Single-leg stand: label squeeze cues ``squeeze_left``/``squeeze_right`` instead of
        ``squeeze`` with the event's ``side`` field.
    seed : int
    """

    protocol: Protocol = Protocol.BRIDGE
    fs_hz: float = 1000.0
    imu_fs_hz: float = 100.0
    n_reps: int = 4
    snr_db: float = 15.0
    noise_uv: float = 5.0
    rise_s: tuple[float, float] = (0.05, 0.15)
    lag_ms: float = 80.0
    lag_ms_right: float | None = None
    glute_absent: bool = False
    glute_gain: float = 1.0
    mains_hz: float | None = 50.0
    mains_uv: float = 20.0
    wander_uv: float = 30.0
    rest_s: float = 5.0
    hold_s: float = 3.0
    between_s: float = 3.0
    cue_events: bool = True
    imu: bool = True
    false_starts: int = 0
    squeeze_latency_s: float = 1.2
    gaps: tuple[tuple[float, float], ...] = ()
    side_in_trial_type: bool = False
    seed: int = 0


@dataclass(frozen=True)
class TrueOnset:
    """One activation in the truth: its start, rise time and end, seconds."""

    side: Side
    muscle: Muscle
    rep: int
    onset_s: float
    rise_s: float
    offset_s: float


@dataclass(frozen=True)
class TrueRep:
    """One rep (or squeeze trial) in the truth."""

    side: Side | None
    rep: int
    cue_s: float
    movement_onset_s: float | None
    false_starts: int


@dataclass(frozen=True)
class SynthTruth:
    """Ground truth of a synthetic recording."""

    onsets: tuple[TrueOnset, ...]
    reps: tuple[TrueRep, ...]

    def onset_s(self, side: Side, muscle: Muscle, rep: int) -> float | None:
        """True onset of ``muscle`` on ``side`` in ``rep`` (1-based), None if absent."""
        for o in self.onsets:
            if o.side is side and o.muscle is muscle and o.rep == rep:
                return o.onset_s
        return None


def _band_noise(rng: np.random.Generator, n: int, fs_hz: float) -> FloatArray:
    """Unit-RMS Gaussian noise in the EMG band, shape (n,)."""
    high = min(450.0, 0.45 * fs_hz)
    sos = sps.butter(4, [20.0, high], btype="bandpass", fs=fs_hz, output="sos")
    x = sps.sosfiltfilt(sos, rng.standard_normal(n + 2000))[1000:-1000]
    return np.asarray(x / np.std(x))


def _ramp(t_s: FloatArray, start_s: float, rise_s: float) -> FloatArray:
    """Raised-cosine rise from 0 (at ``start_s``) to 1 (after ``rise_s``); a step if ``rise_s`` is 0."""
    if rise_s <= 0:
        return (t_s >= start_s).astype(np.float64)
    u = np.clip((t_s - start_s) / rise_s, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


def _pulse(t_s: FloatArray, on_s: float, rise_s: float, off_s: float, fall_s: float) -> FloatArray:
    return _ramp(t_s, on_s, rise_s) * (1.0 - _ramp(t_s, off_s, fall_s))


@dataclass(frozen=True)
class _Plan:
    onsets: tuple[TrueOnset, ...]
    reps: tuple[TrueRep, ...]
    events: tuple[Event, ...]
    thigh_deg: tuple[tuple[float, float], ...]  # (lift start, lower start) per rep
    extra_bursts: tuple[tuple[Side, float, float], ...]  # false starts: side, start, duration
    duration_s: float


def _plan_bridge(spec: SynthSpec, rng: np.random.Generator) -> _Plan:
    onsets: list[TrueOnset] = []
    reps: list[TrueRep] = []
    events = [Event(0.0, spec.rest_s, "rest")]
    lifts: list[tuple[float, float]] = []
    t = spec.rest_s + 1.0
    for k in range(1, spec.n_reps + 1):
        cue = t
        lower = cue + spec.hold_s
        ham_on = cue + 0.25 + 0.1 * rng.random()
        first = ham_on
        for side in Side:
            lag = spec.lag_ms if side is Side.LEFT or spec.lag_ms_right is None else spec.lag_ms_right
            glute_on = ham_on + lag / 1000.0 + 0.005 * rng.standard_normal()
            first = min(first, glute_on)
            onsets.append(
                TrueOnset(side, Muscle.HAMSTRING, k, ham_on, float(rng.uniform(*spec.rise_s)), lower + 0.2)
            )
            if not spec.glute_absent:
                onsets.append(
                    TrueOnset(
                        side, Muscle.GLUTE_MAX, k, glute_on, float(rng.uniform(*spec.rise_s)), lower + 0.2
                    )
                )
        move = first + 0.15
        lifts.append((move, lower + 0.1))
        reps.append(TrueRep(None, k, cue, move, 0))
        if spec.cue_events:
            events += [Event(cue, 0.0, "cue"), Event(lower, 0.0, "lower")]
        t = lower + spec.between_s
    return _Plan(tuple(onsets), tuple(reps), tuple(events), tuple(lifts), (), t + 1.0)


def _plan_single_leg(spec: SynthSpec, rng: np.random.Generator) -> _Plan:
    onsets: list[TrueOnset] = []
    reps: list[TrueRep] = []
    events = [Event(0.0, spec.rest_s, "rest")]
    extra: list[tuple[Side, float, float]] = []
    t = spec.rest_s + 1.0
    for side in Side:
        lag = spec.lag_ms if side is Side.LEFT or spec.lag_ms_right is None else spec.lag_ms_right
        for k in range(1, spec.n_reps + 1):
            lift = t
            squeeze = lift + 2.0
            release = squeeze + spec.hold_s
            glute_on = squeeze + spec.squeeze_latency_s
            ham_on = glute_on - lag / 1000.0
            for j in range(spec.false_starts):
                extra.append((side, squeeze + 0.3 + 0.3 * j, 0.12))
            onsets.append(
                TrueOnset(side, Muscle.HAMSTRING, k, ham_on, float(rng.uniform(*spec.rise_s)), release)
            )
            if not spec.glute_absent:
                onsets.append(
                    TrueOnset(side, Muscle.GLUTE_MAX, k, glute_on, float(rng.uniform(*spec.rise_s)), release)
                )
            reps.append(TrueRep(side, k, squeeze, None, spec.false_starts))
            if spec.cue_events:
                cue = (
                    Event(squeeze, 0.0, f"squeeze_{side.value}")
                    if spec.side_in_trial_type
                    else Event(squeeze, 0.0, "squeeze", side=side, rep=k)
                )
                events += [
                    Event(lift, 0.0, "lift", side=side, rep=k),
                    cue,
                    Event(release, 0.0, "release", side=side, rep=k),
                ]
            t = release + spec.between_s
    return _Plan(tuple(onsets), tuple(reps), tuple(events), (), tuple(extra), t + 1.0)


_PLANNERS = {Protocol.BRIDGE: _plan_bridge, Protocol.SINGLE_LEG_STAND: _plan_single_leg}


def make_recording(spec: SynthSpec | None = None) -> tuple[Recording, SynthTruth]:
    """Generate a recording and its truth.

    Returns
    -------
    (Recording, SynthTruth)
        Streams ``"emg"`` (glute_max_l, hamstring_l, glute_max_r, hamstring_r; µV) and, if
        ``spec.imu``, ``"imu"`` (acc_x, acc_y, acc_z; g).
    """
    spec = spec or SynthSpec()
    rng = np.random.default_rng(spec.seed)
    plan = _PLANNERS[spec.protocol](spec, rng)
    n = round(plan.duration_s * spec.fs_hz)
    t = np.arange(n) / spec.fs_hz
    plateau_uv = spec.noise_uv * 10 ** (spec.snr_db / 20.0)
    roles = (Role.GLUTE_MAX_L, Role.HAMSTRING_L, Role.GLUTE_MAX_R, Role.HAMSTRING_R)
    rows = []
    for role in roles:
        side, muscle = role.side, role.muscle
        assert side is not None
        assert muscle is not None
        gain = spec.glute_gain if muscle is Muscle.GLUTE_MAX else 1.0
        amp = np.zeros(n)
        for o in plan.onsets:
            if o.side is side and o.muscle is muscle:
                amp = np.maximum(amp, _pulse(t, o.onset_s, o.rise_s, o.offset_s, 0.2))
        if muscle is Muscle.GLUTE_MAX:
            for s, start, dur in plan.extra_bursts:
                if s is side:
                    amp = np.maximum(amp, _pulse(t, start, 0.03, start + dur, 0.03))
        x = spec.noise_uv * _band_noise(rng, n, spec.fs_hz) + plateau_uv * gain * amp * _band_noise(
            rng, n, spec.fs_hz
        )
        if spec.mains_hz is not None:
            x += spec.mains_uv * np.sin(2 * np.pi * spec.mains_hz * t + rng.uniform(0, 2 * np.pi))
        x += spec.wander_uv * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 2 * np.pi)) + 10.0
        rows.append(x)
    emg = np.vstack(rows)
    streams = [Stream("emg", spec.fs_hz, 0.0, roles, emg)]
    if spec.imu:
        m = round(plan.duration_s * spec.imu_fs_hz)
        ti = np.arange(m) / spec.imu_fs_hz
        theta = np.zeros(m)
        for up, down in plan.thigh_deg:
            theta += 35.0 * _ramp(ti, up, 0.8) * (1.0 - _ramp(ti, down, 0.8))
        th = np.deg2rad(theta + 20.0)
        acc = np.vstack([np.zeros(m), np.sin(th), np.cos(th)]) + 0.01 * rng.standard_normal((3, m))
        acc[0] += 0.02 * ti / max(plan.duration_s, 1.0)  # slow drift
        streams.append(Stream("imu", spec.imu_fs_hz, 0.0, (Role.ACC_X, Role.ACC_Y, Role.ACC_Z), acc))
    for start_s, dur_s in spec.gaps:
        for stream in streams:
            a = round(start_s * stream.fs_hz)
            stream.data[:, a : a + round(dur_s * stream.fs_hz)] = np.nan
    meta = {"protocol": spec.protocol.value, "synthetic": True}
    rec = Recording(streams=tuple(streams), events=plan.events, meta=meta, source="synth")
    return rec, SynthTruth(plan.onsets, plan.reps)
