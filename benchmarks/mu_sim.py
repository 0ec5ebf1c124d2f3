"""Motor-unit-based surface-EMG generator for a glute-bridge test, with known truth.

Written for the outside-CSV benchmark from the physiology, apart from glutesense's own simulators
(``glutesense.virtual.synth``, ``glutesense.virtual``) and from ``benchmarks/bridge_sim.py`` (which multiplies
coloured Gaussian noise by an envelope).  Here the signal is the sum of motor-unit action potential
trains, so onsets start with a few small, sparse MUAPs and fill in as larger units are recruited.

Model, per muscle (channel):

* **Pool** of 100-200 motor units (Fuglevand, Winter & Patla 1993).  Recruitment thresholds are
  exponentially distributed, ``RTE_i = RTE_max * RR ** (i / (n - 1) - 1)`` with recruitment range
  ``RR = 30`` and the last unit recruited at 55-75 % of maximal excitation, so most units have low
  thresholds.  Above threshold a unit fires at ``MFR + g (E - RTE_i)``, from ``MFR = 8 Hz`` up to a peak
  rate that falls from 35 Hz (first unit) to 25 Hz (last), ``g`` 40-60 Hz per unit excitation.
  Inter-spike intervals vary with CV 0.2 (phase increments ``1 + 0.2 N(0, 1)`` on the integrated rate);
  a unit's first discharge comes 0-0.1 of an interspike interval after its threshold is crossed.
* **MUAPs**: a mixture of first- and second-order Hermite-Rodriguez functions with time scale
  ``lambda`` 0.7-1.5 ms widened by depth, seen by a bipolar electrode pair (the waveform minus itself
  delayed by 20 mm / conduction velocity 3-5.5 m/s), starting 2-8 ms after the discharge (propagation
  from the innervation zone).  Duration 5-20 ms.  Amplitude grows exponentially with the unit's rank
  (x10-20 over the pool) and falls with depth; a per-channel tissue low-pass (250-500 Hz) follows.
  MUAP trains are placed by scattering templates at the discharge samples (a convolution of the spike
  trains with the templates, done with ``np.bincount``).
* **Excitation drive** per activation: rises from 0 to a plateau (25-60 % of maximal excitation) over
  50-300 ms with a shape drawn per activation (linear, logistic, raised cosine, exponential approach,
  quadratic), a slow +-10 % modulation on the plateau, and a fall of 150-400 ms after the ``lower`` cue.
* **Background**: amplifier white noise at the asked SNR (RMS of the EMG plateau over RMS of the noise,
  both in the 20-450 Hz band, 450 capped at 0.45 fs), mains 50 or 60 Hz with 2nd and 3rd harmonics,
  DC offset, baseline wander (0.05-1.5 Hz).  With ``artifacts``: a motion artifact at lift-off and at
  lowering (a smooth low-frequency transient, 0.5-3x the plateau RMS) and electrode pops (a step with
  an exponential recovery, about 2 per minute per channel, anywhere, including the rest).
* The signal is generated at an internal rate ``k * fs >= 2000 Hz`` and brought to ``fs`` through a
  causal 4th-order Butterworth anti-alias filter at 0.4 fs (as an amplifier's would be; its delay is
  under 1 ms at fs >= 1000 Hz and about 3 ms at 200 Hz) and decimation.
* **Thigh accelerometer** at 100 Hz (g): gravity seen by a sensor on the thigh whose pitch drops by
  20-35 degrees while the hips are up (the lift starts 100-300 ms after the rep's first onset and takes
  0.4-0.9 s; lowering starts 150-400 ms after the ``lower`` cue), a jolt at lift-off, sensor noise.

Protocol: 5 s rest (``rest`` event), 6 reps with ``cue`` and ``lower`` events (hold 2.5 s, 3 s pause);
both sides, glute max and hamstring; hamstring onset 0.2-0.45 s after the cue, glute onset = hamstring
onset + lag, lag uniform in -150..+250 ms per rep and side.

**Truth** per activation: ``onset_s`` = the first motor-unit discharge of that activation (the drive is
placed so that the lowest-threshold unit's threshold crossing falls on the drawn onset; the first
discharge follows within a few ms); also ``drive_start_s`` (drive leaves 0), ``t10_s`` (drive reaches
10 % of its plateau) and ``end_s`` (the last MUAP of the activation has ended).  The first MUAP
reaches the electrodes 2-8 ms after the discharge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from mu_pool import discharges, drive_shape, fraction_time, make_pool, render
from scipy import signal

FloatArray = npt.NDArray[np.float64]

EMG_ROLES = ("glute_max_l", "hamstring_l", "glute_max_r", "hamstring_r")
SHAPES = ("linear", "logistic", "raised_cosine", "exp_approach", "quadratic")
IMU_FS_HZ = 100.0


@dataclass(frozen=True)
class MuSpec:
    fs_hz: float
    snr_db: float
    seed: int
    artifacts: bool = True
    n_reps: int = 6
    rest_s: float = 5.0
    hold_s: float = 2.5
    pause_s: float = 3.0
    rise_ms_range: tuple[float, float] = (50.0, 300.0)
    lag_ms_range: tuple[float, float] = (-150.0, 250.0)
    n_mu_range: tuple[int, int] = (100, 200)


@dataclass(frozen=True)
class Truth:
    """One activation (rep, side, muscle)."""

    rep: int
    side: str  # "left" / "right"
    muscle: str  # "glute_max" / "hamstring"
    onset_s: float  # first motor-unit discharge of the activation
    drive_start_s: float  # drive leaves 0
    t10_s: float  # drive reaches 10 % of its plateau
    end_s: float  # last MUAP of the activation has ended
    rise_ms: float
    shape: str
    plateau: float  # plateau excitation, fraction of maximal


@dataclass
class MuRecording:
    spec: MuSpec
    emg_uv: FloatArray  # (4, n) at spec.fs_hz, microvolts
    roles: tuple[str, ...]
    acc_g: FloatArray  # (3, m) at IMU_FS_HZ, g
    events: list[tuple[float, float, str, int | None]]  # onset_s, duration_s, trial_type, rep
    truths: list[Truth]
    movement_onsets_s: list[float]
    meta: dict[str, float | str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.emg_uv.shape[1] / self.spec.fs_hz


def simulate(spec: MuSpec) -> MuRecording:
    """One motor-unit bridge recording (see the module docstring)."""
    rng = np.random.default_rng(spec.seed)
    fs = float(spec.fs_hz)
    k = int(np.ceil(2000.0 / fs))
    fs_int = fs * k
    rep_s = spec.hold_s + spec.pause_s + 1.0
    dur = spec.rest_s + spec.n_reps * rep_s + 1.0
    n = round(dur * fs)
    n_int = n * k
    pools = [make_pool(rng, fs_int, spec.n_mu_range) for _ in EMG_ROLES]
    events: list[tuple[float, float, str, int | None]] = [(0.0, spec.rest_s, "rest", None)]
    # drawn onset plan: (channel, rep, side, muscle, onset target, lower cue)
    plan: list[tuple[int, int, str, str, float, float]] = []
    movement: list[float] = []
    lowers: list[float] = []
    for r in range(spec.n_reps):
        cue = spec.rest_s + 0.5 + r * rep_s + rng.uniform(-0.25, 0.25)
        lower = cue + spec.hold_s + rng.uniform(-0.1, 0.1)
        events.append((round(cue, 4), 0.0, "cue", r + 1))
        events.append((round(lower, 4), 0.0, "lower", r + 1))
        first = np.inf
        for side in ("l", "r"):
            ham = cue + rng.uniform(0.2, 0.45)
            glu = ham + rng.uniform(*spec.lag_ms_range) / 1000.0
            first = min(first, ham, glu)
            plan.append((EMG_ROLES.index(f"hamstring_{side}"), r + 1, side, "hamstring", ham, lower))
            plan.append((EMG_ROLES.index(f"glute_max_{side}"), r + 1, side, "glute_max", glu, lower))
        movement.append(first + rng.uniform(0.1, 0.3))
        lowers.append(lower + rng.uniform(0.15, 0.4))

    clean = np.zeros((4, n_int))
    truths: list[Truth] = []
    plateau_masks = np.zeros((4, n_int), dtype=bool)
    for c, rep, side, muscle, target, lower in plan:
        pool = pools[c]
        shape = str(rng.choice(SHAPES))
        rise_s = rng.uniform(*spec.rise_ms_range) / 1000.0
        plateau = rng.uniform(0.25, 0.6)
        fall_s = rng.uniform(0.15, 0.4)
        off_s = lower + rng.uniform(0.05, 0.3)
        # place the drive so that the lowest threshold is crossed at the drawn onset
        u_cross = fraction_time(shape, pool.rte[0] / plateau)
        start = target - u_cross * rise_s
        t10 = start + fraction_time(shape, 0.1) * rise_s
        i0 = int(np.floor(start * fs_int))
        i1 = min(n_int, int(np.ceil((off_s + fall_s) * fs_int)) + 1)
        tt = np.arange(i0, i1) / fs_int
        knots = np.arange(start, off_s + fall_s + 0.5, 0.35)
        mod = 1.0 + 0.1 * np.interp(tt, knots, rng.uniform(-1.0, 1.0, knots.size))
        up = drive_shape(shape, (tt - start) / rise_s)
        down = 1.0 - drive_shape("raised_cosine", (tt - off_s) / fall_s)
        drive = plateau * up * down * mod
        plateau_masks[c, i0:i1] |= (up >= 1.0) & (down >= 1.0)
        spikes, units = discharges(rng, pool, drive, fs_int)
        train = render(pool, spikes, units, i0, n_int)
        if train is None:
            continue
        clean[c] += train[0]
        first_s, last_s = train[1] / fs_int, train[2] / fs_int
        truths.append(Truth(rep, "left" if side == "l" else "right", muscle, first_s, start, t10, last_s,
                            rise_s * 1000.0, shape, plateau))

    # tissue low-pass (zero-phase: the volume conductor does not delay the MUAP), scale to microvolts
    for c in range(4):
        fc = min(rng.uniform(250.0, 500.0), 0.45 * fs_int)
        clean[c] = signal.sosfiltfilt(signal.butter(2, fc, fs=fs_int, output="sos"), clean[c])
    # amplifier anti-alias (causal) and decimation to fs
    if k > 1:
        aa = signal.butter(4, 0.4 * fs, fs=fs_int, output="sos")
        clean = signal.sosfilt(aa, clean, axis=1)
    clean = clean[:, ::k]
    plateau_masks = plateau_masks[:, ::k]
    t = np.arange(n) / fs
    band_hi = min(450.0, 0.45 * fs)
    band = signal.butter(4, [20.0, band_hi], btype="bandpass", fs=fs, output="sos")
    emg = np.zeros((4, n))
    amps: list[float] = []
    for c in range(4):
        m = plateau_masks[c]
        rms = float(np.sqrt(np.mean(clean[c, m] ** 2))) if m.any() else 1.0
        amp = rng.uniform(40.0, 250.0)
        x = clean[c] * (amp / rms)
        band_rms = float(np.sqrt(np.mean(signal.sosfiltfilt(band, x)[m] ** 2))) if m.any() else amp
        snr = spec.snr_db + rng.uniform(-1.0, 1.0)
        noise_band_rms = band_rms / 10 ** (snr / 20.0)
        white_frac = (band_hi - 20.0) / (fs / 2.0)
        sigma = noise_band_rms / np.sqrt(white_frac)
        emg[c] = x + sigma * rng.standard_normal(n)
        amps.append(amp)
    mains_hz = float(rng.choice([50.0, 60.0]))
    mains_amp = rng.uniform(5.0, 60.0)
    hum = np.zeros(n)
    for h, a in ((1, 1.0), (2, rng.uniform(0.05, 0.3)), (3, rng.uniform(0.05, 0.4))):
        if h * mains_hz < 0.5 * fs:
            hum += a * np.sin(2 * np.pi * h * mains_hz * t + rng.uniform(0, 2 * np.pi))
    for c in range(4):
        wander = sum(rng.uniform(20.0, 120.0) * np.sin(2 * np.pi * rng.uniform(0.05, 1.5) * t
                                                       + rng.uniform(0, 2 * np.pi)) for _ in range(3))
        emg[c] += mains_amp * rng.uniform(0.3, 1.0) * hum + wander + rng.uniform(-800.0, 800.0)
    if spec.artifacts:
        _artifacts(rng, emg, t, movement, lowers, amps)
    acc = _accelerometer(rng, dur, movement, lowers, spec.artifacts)
    meta: dict[str, float | str] = {"mains_hz": mains_hz, "internal_fs_hz": fs_int,
                                    "n_mu": ",".join(str(p.rte.size) for p in pools)}
    return MuRecording(spec, emg, EMG_ROLES, acc, events, truths, movement, meta)


def _artifacts(rng: np.random.Generator, emg: FloatArray, t: FloatArray, lifts: list[float],
               lowers: list[float], amps: list[float]) -> None:
    # motion artifacts: a smooth low-frequency transient (skin stretch, cable sway)
    for tm in [*lifts, *lowers]:
        width = rng.uniform(0.08, 0.3)
        f_osc = rng.uniform(1.5, 8.0)
        for c in range(emg.shape[0]):
            a = rng.uniform(0.5, 3.0) * amps[c] * rng.choice([-1.0, 1.0])
            dt = t - tm
            bump = np.where(dt >= 0, (1 - np.exp(-np.clip(dt, 0, None) / 0.02))
                            * np.exp(-np.clip(dt, 0, None) / width), 0.0)
            emg[c] += a * bump * np.cos(2 * np.pi * f_osc * np.clip(dt, 0, None))
    # electrode pops: a step with exponential recovery, ~2 per minute per channel
    dur = float(t[-1])
    for c in range(emg.shape[0]):
        for _ in range(rng.poisson(2.0 * dur / 60.0)):
            tp = rng.uniform(0.0, dur)
            tau = rng.uniform(0.02, 0.3)
            a = rng.uniform(2.0, 8.0) * amps[c] * rng.choice([-1.0, 1.0])
            dt = t - tp
            emg[c] += np.where(dt >= 0, a * np.exp(-np.clip(dt, 0, None) / tau), 0.0)


def _accelerometer(rng: np.random.Generator, dur: float, lifts: list[float], lowers: list[float],
                   artifacts: bool) -> FloatArray:
    m = round(dur * IMU_FS_HZ)
    t = np.arange(m) / IMU_FS_HZ
    pitch0 = np.deg2rad(rng.uniform(35.0, 50.0))
    roll = np.deg2rad(rng.uniform(-8.0, 8.0))
    pitch = np.full(m, pitch0)
    for up, down in zip(lifts, lowers, strict=True):
        drop = np.deg2rad(rng.uniform(20.0, 35.0))
        a = drive_shape("raised_cosine", (t - up) / rng.uniform(0.4, 0.9))
        b = drive_shape("raised_cosine", (t - down) / rng.uniform(0.5, 1.0))
        pitch -= drop * a * (1.0 - b)
    acc = np.vstack([np.sin(pitch), np.cos(pitch) * np.sin(roll), np.cos(pitch) * np.cos(roll)])
    if artifacts:
        for tm in lifts:
            dt = t - tm
            acc[0] += np.where(dt >= 0, 0.2 * np.exp(-dt / 0.08) * np.sin(2 * np.pi * 7.0 * dt), 0.0)
    acc += 0.008 * rng.standard_normal(acc.shape)
    return acc
