"""Independent generator of synthetic glute-bridge recordings with known activation onsets.

Written for the benchmark only, on purpose apart from glutesense's own simulators
(``glutesense.virtual.synth``, ``glutesense.virtual``) and from any detector's assumptions:

* activation amplitude rises with one of several shapes (raised cosine, logistic, exponential
  approach, linear ramp, quadratic) over 30-250 ms, carries a slow random modulation on its plateau,
  and falls at the "lower" cue;
* it multiplies Gaussian noise coloured with a Shwedyk-type sEMG spectrum
  ``P(f) ~ f_h^4 f^2 / ((f^2 + f_l^2)(f^2 + f_h^2)^2)`` (peak roughly 60-120 Hz), with per-channel
  ``f_l``, ``f_h``;
* background: white amplifier noise plus 1/f noise, scaled so that the in-band (20 Hz to
  min(450, 0.45 fs) Hz) SNR of plateau over background is as asked;
* mains at 50 or 60 Hz with harmonics (amplitude comparable to or larger than the EMG), DC offset,
  baseline wander (0.05-2 Hz), and, when ``artifacts`` is on, a motion artifact at lift-off and at
  lowering (a damped low-frequency oscillation plus a fast baseline step on every EMG channel, gain
  varying by channel) and electrode-pop spikes (about 3 per minute per channel, at any time);
* thigh accelerometer (100 Hz): gravity rotated by the thigh angle during the lift, a jolt at
  lift-off, sensor noise.

Truth per activation: ``onset_s`` (where the amplitude leaves 0) and ``t10_s`` (10 % of plateau).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

SHAPES = ("raised_cosine", "logistic", "exponential", "linear", "quadratic")
EMG_ROLES = ("glute_max_l", "hamstring_l", "glute_max_r", "hamstring_r")
IMU_FS_HZ = 100.0


def shape_value(shape: str, u: FloatArray) -> FloatArray:
    """Rise shape on ``u`` in [0, 1] (time over rise time), 0 at 0 and 1 at 1, clipped outside."""
    u = np.clip(u, 0.0, 1.0)
    if shape == "raised_cosine":
        return 0.5 - 0.5 * np.cos(np.pi * u)
    if shape == "logistic":
        k = 10.0
        lo, hi = 1 / (1 + np.exp(k / 2)), 1 / (1 + np.exp(-k / 2))
        return (1 / (1 + np.exp(-k * (u - 0.5))) - lo) / (hi - lo)
    if shape == "exponential":
        tau = 4.0
        return (1 - np.exp(-tau * u)) / (1 - np.exp(-tau))
    if shape == "linear":
        return u
    if shape == "quadratic":
        return u * u
    raise ValueError(f"unknown shape {shape!r}")


def t10_fraction(shape: str) -> float:
    """Fraction of the rise time at which ``shape`` reaches 0.1."""
    u = np.linspace(0, 1, 100001)
    return float(u[np.argmax(shape_value(shape, u) >= 0.1)])


@dataclass(frozen=True)
class Truth:
    """One activation's truth."""

    rep: int
    side: str
    muscle: str
    onset_s: float
    t10_s: float
    rise_ms: float
    shape: str
    offset_s: float


@dataclass(frozen=True)
class SimSpec:
    fs_hz: float
    snr_db: float
    artifacts: bool
    seed: int
    n_reps: int = 6
    rest_s: float = 5.0
    tail_s: float = 1.0
    hold_s: float = 2.5
    pause_s: float = 3.0
    rise_ms_range: tuple[float, float] = (30.0, 250.0)
    lag_ms_range: tuple[float, float] = (-150.0, 250.0)
    mode: str = "mix"
    """``"mix"``: every activation draws its shape (60 % the recording's own, else any) and rise time
    afresh (a stress test); ``"consistent"``: each muscle of the session keeps one shape and rises in
    a time drawn uniformly within +-20 % of its own mean (the mean uniform in ``rise_ms_range``)."""


@dataclass
class SimRecording:
    spec: SimSpec
    emg_uv: FloatArray  # (4, n)
    roles: tuple[str, ...]
    acc_g: FloatArray  # (3, m) at IMU_FS_HZ
    events: list[tuple[float, float, str, int | None]]  # onset_s, duration_s, trial_type, rep
    truths: list[Truth]
    active: FloatArray  # (4, n) bool-like: truth envelope > 0 (for false-burst accounting)
    mains_hz: float = 50.0
    meta: dict[str, float | str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.emg_uv.shape[1] / self.spec.fs_hz


def _coloured(rng: np.random.Generator, n: int, fs: float, psd: FloatArray | None) -> FloatArray:
    """Gaussian noise with power spectrum ``psd`` (on rfft bins), unit total RMS."""
    w = rng.standard_normal(n)
    if psd is None:
        return w / w.std()
    spec = np.fft.rfft(w) * np.sqrt(psd)
    y = np.fft.irfft(spec, n)
    return y / y.std()


def _band_fraction(psd: FloatArray, f: FloatArray, fs: float) -> float:
    band = (f >= 20.0) & (f <= min(450.0, 0.45 * fs))
    return float(psd[band].sum() / psd.sum())


def simulate(spec: SimSpec) -> SimRecording:
    """One synthetic bridge recording (see the module docstring)."""
    rng = np.random.default_rng(spec.seed)
    fs = spec.fs_hz
    rep_s = spec.hold_s + spec.pause_s + 1.0
    dur = spec.rest_s + spec.n_reps * rep_s + spec.tail_s
    n = round(dur * fs)
    t = np.arange(n) / fs
    f = np.fft.rfftfreq(n, 1 / fs)
    f1 = np.maximum(f, 0.5)
    emg = np.zeros((4, n))
    active = np.zeros((4, n), dtype=bool)
    truths: list[Truth] = []
    events: list[tuple[float, float, str, int | None]] = [(0.0, spec.rest_s, "rest", None)]
    shape_rec = str(rng.choice(SHAPES))
    lifts: list[float] = []
    lowers: list[float] = []
    amps = {}
    envs = np.zeros((4, n))
    for role in EMG_ROLES:
        amps[role] = rng.uniform(30.0, 200.0)
    own = _own_rises(rng, spec) if spec.mode != "mix" else {}
    for r in range(spec.n_reps):
        cue = spec.rest_s + 0.5 + r * rep_s + rng.uniform(-0.2, 0.2)
        events.append((cue, 0.0, "cue", r + 1))
        lower = cue + spec.hold_s
        events.append((lower, 0.0, "lower", r + 1))
        rep_onsets = []
        for side in ("l", "r"):
            ham_on = cue + rng.uniform(0.2, 0.45)
            glute_on = ham_on + rng.uniform(*spec.lag_ms_range) / 1000.0
            for muscle, on in (("hamstring", ham_on), ("glute_max", glute_on)):
                c = EMG_ROLES.index(f"{muscle}_{side}")
                if own:  # the muscle's own shape, its rise time within +-20 % of its own mean
                    shape, mean_s = own[EMG_ROLES[c]]
                    rise_s = mean_s * rng.uniform(0.8, 1.2)
                else:  # mostly the recording's own shape, sometimes another (variety within a recording)
                    shape = shape_rec if rng.random() < 0.6 else str(rng.choice(SHAPES))
                    rise_s = rng.uniform(*spec.rise_ms_range) / 1000.0
                off = lower + rng.uniform(0.05, 0.3)
                fall_s = rng.uniform(0.15, 0.4)
                up = shape_value(shape, (t - on) / rise_s)
                down = 1.0 - shape_value("raised_cosine", (t - off) / fall_s)
                envs[c] += up * down
                rep_onsets.append(on)
                truths.append(Truth(r + 1, "left" if side == "l" else "right", muscle, on,
                                    on + t10_fraction(shape) * rise_s, rise_s * 1000, shape, off + fall_s))
        lifts.append(min(rep_onsets) + rng.uniform(0.1, 0.3))
        lowers.append(lower + rng.uniform(0.1, 0.25))
    for c, role in enumerate(EMG_ROLES):
        # slow plateau modulation (fatigue / load sharing), +-15 %
        values = rng.uniform(-1, 1, int(dur / 0.4) + 3)
        knots_s = np.arange(0, dur + 1, 0.4)[: values.size]
        mod = 1.0 + 0.15 * np.interp(t, knots_s, values[: knots_s.size])
        amp_env = amps[role] * envs[c] * mod
        active[c] = envs[c] > 0
        fl, fh = rng.uniform(40, 75), rng.uniform(100, 160)
        psd = fh**4 * f1**2 / ((f1**2 + fl**2) * (f1**2 + fh**2) ** 2)
        psd[0] = 0.0
        emg_noise = _coloured(rng, n, fs, psd)
        emg_band = np.sqrt(_band_fraction(psd, f, fs))  # in-band RMS of the unit-RMS carrier
        snr = spec.snr_db + rng.uniform(-1.5, 1.5)
        noise_band_rms = amps[role] * emg_band / 10 ** (snr / 20.0)
        # background: white + 1/f, then scaled to the in-band RMS asked for
        w_mix = rng.uniform(0.3, 1.0)
        psd_bg = w_mix + (1 - w_mix) * 30.0 / f1
        psd_bg[0] = 0.0
        bg = _coloured(rng, n, fs, psd_bg)
        bg *= noise_band_rms / np.sqrt(_band_fraction(psd_bg, f, fs))
        x = amp_env * emg_noise + bg
        emg[c] = x
    # mains, DC, wander (common source with per-channel gains)
    mains_hz = float(rng.choice([50.0, 60.0]))
    mains_amp = rng.uniform(5.0, 80.0)
    phase = rng.uniform(0, 2 * np.pi, 3)
    hum = np.zeros(n)
    for k, a in zip((1, 2, 3), (1.0, rng.uniform(0.05, 0.3), rng.uniform(0.05, 0.4)), strict=True):
        if k * mains_hz < fs / 2:
            hum += a * np.sin(2 * np.pi * k * mains_hz * t + phase[k - 1])
    hum *= 1 + 0.2 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t)
    for c in range(4):
        gain = rng.uniform(0.3, 1.0)
        wander = sum(
            rng.uniform(20, 150) * np.sin(2 * np.pi * rng.uniform(0.05, 2.0) * t + rng.uniform(0, 6.3))
            for _ in range(3)
        )
        emg[c] += mains_amp * gain * hum + wander + rng.uniform(-500, 500)
    if spec.artifacts:
        _add_artifacts(rng, emg, t, fs, lifts, lowers, amps)
    acc = _accelerometer(rng, dur, lifts, lowers, spec.artifacts)
    return SimRecording(spec, emg, EMG_ROLES, acc, events, truths, active, mains_hz,
                        {"shape": shape_rec, "mains_hz": mains_hz, "mode": spec.mode})


def _own_rises(rng: np.random.Generator, spec: SimSpec) -> dict[str, tuple[str, float]]:
    """``consistent`` mode: each channel's shape and mean rise time (s)."""
    if spec.mode != "consistent":
        raise ValueError(f"unknown mode {spec.mode!r} (mix, consistent)")
    lo, hi = spec.rise_ms_range
    return {role: (str(rng.choice(SHAPES)), rng.uniform(lo / 0.8, hi / 1.2) / 1000.0) for role in EMG_ROLES}


def _add_artifacts(rng: np.random.Generator, emg: FloatArray, t: FloatArray, fs: float,
                   lifts: list[float], lowers: list[float], amps: dict[str, float]) -> None:
    for tm in [*lifts, *lowers]:
        f_osc = rng.uniform(2.0, 12.0)
        tau = rng.uniform(0.05, 0.2)
        step_rise = rng.uniform(0.003, 0.02)
        for c, role in enumerate(EMG_ROLES):
            gain = rng.uniform(0.5, 4.0) * amps[role]
            dt = t - tm
            after = dt >= 0
            decay = np.exp(-np.clip(dt, 0, None) / tau)
            osc = np.where(after, decay * np.sin(2 * np.pi * f_osc * dt), 0.0)
            edge = 0.5 * (1 + np.tanh(dt / step_rise))
            step = rng.uniform(-1, 1) * edge * np.exp(-np.clip(dt, 0, None) / 0.5)
            emg[c] += gain * (osc + step)
    # electrode pops: ~3 per minute per channel, 2-10 ms biphasic
    dur = t[-1]
    for c, role in enumerate(EMG_ROLES):
        for _ in range(rng.poisson(3.0 * dur / 60.0)):
            tp = rng.uniform(0, dur)
            width = rng.uniform(0.002, 0.01)
            a = rng.uniform(1.0, 6.0) * amps[role] * rng.choice([-1, 1])
            dt = t - tp
            emg[c] += a * (dt / width) * np.exp(-0.5 * (dt / width) ** 2)


def _accelerometer(rng: np.random.Generator, dur: float, lifts: list[float], lowers: list[float],
                   artifacts: bool) -> FloatArray:
    m = round(dur * IMU_FS_HZ)
    t = np.arange(m) / IMU_FS_HZ
    angle = np.zeros(m)
    for up, down in zip(lifts, lowers, strict=True):
        amp = np.deg2rad(rng.uniform(15, 30))
        ramp_up = np.clip((t - up) / rng.uniform(0.4, 0.8), 0, 1)
        ramp_dn = np.clip((t - down) / rng.uniform(0.4, 0.8), 0, 1)
        angle += amp * (0.5 - 0.5 * np.cos(np.pi * ramp_up)) * (1 - (0.5 - 0.5 * np.cos(np.pi * ramp_dn)))
    acc = np.vstack([np.sin(angle), np.zeros(m), np.cos(angle)])
    if artifacts:
        for tm in lifts:
            dt = t - tm
            acc[0] += np.where(dt >= 0, 0.3 * np.exp(-dt / 0.1) * np.sin(2 * np.pi * 6 * dt), 0.0)
    acc += 0.01 * rng.standard_normal(acc.shape)
    return acc
