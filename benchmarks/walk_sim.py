"""Generator of walking and running recordings with known truth (surface EMG of both legs + a shank IMU).

Written for the benchmark, apart from glutesense's simulators and detectors.  The EMG is made of
motor-unit action potential trains (:mod:`mu_pool`: Fuglevand et al. 1993), so a burst starts with a
few small, sparse MUAPs and fills in as larger units are recruited.

Gait (both legs; the right leg's strides set the clock):

* **Strides**: cadence ``cadence_spm`` strides per minute, stride-to-stride CV 1.5-3 %; the left leg
  touches down ``0.5 + asym`` of the right's cycle after it (``asym`` within +-2 %, per person).
* **Muscle bursts** per stride and leg, phases relative to that leg's touchdown in % of its cycle
  (walking, after Winter 2009 and Perry & Burnfield 2010; running after Novacheck 1998 and Cappellini
  et al. 2006), each person drawn within the ranges below, each stride jittered by 1-2.5 % (SD):

  ============  ==================  ===================  ================
  muscle        walking on / off    running on / off     late-glute walk
  ============  ==================  ===================  ================
  hamstring     -22..-12 / +6..+14  -32..-22 / +4..+10   as walking
  glute max     -9..-3 / +15..+25   -16..-8 / +12..+20   +3..+10 / +25..+35
  glute med     -6..0 / +30..+40    -12..-4 / +20..+30   as walking
  ============  ==================  ===================  ================

  Excitation rises over 30-150 ms (running 20-90 ms) with a shape drawn per burst (linear, logistic,
  raised cosine, exponential approach, quadratic) to a plateau of 20-50 % of maximal (+-15 % per
  stride), and falls over 50-150 ms.  ``tonic`` adds a steady 3-6 % excitation between bursts.
* **Background**: amplifier noise at ``snr_db`` (burst plateau RMS over noise RMS in 20-450 Hz), 50/60
  Hz mains with harmonics, DC offset, baseline wander; with ``artifacts``, a heel-strike transient on
  every EMG channel of the leg that lands (a damped 4-15 Hz oscillation, 0.3-2x the plateau RMS) and
  electrode pops (about 2 per minute per channel).
* **Shank IMU** (right leg, 100 Hz): the sagittal angular velocity of the shank per stride (a negative
  minimum shortly after heel strike, a roll-over hump in stance, a minimum at toe-off, the mid-swing
  peak of 250-400 deg/s walking or 500-900 running), seen through a random mounting rotation, with bias
  and noise; the accelerometer holds gravity and an impact at heel strike.  The minimum after heel
  strike lags the true contact by 5-30 ms (per person), as gyroscope heel strikes do (Aminian et al.
  2002 measured about 10 ms); toe-off is at 58-64 % of the cycle walking, 35-42 % running.

A 4 s standing rest (``rest`` event, all muscles quiet) precedes the walk.  Events: ``touchdown`` per
leg (column ``side``).  Truth per stride, leg and muscle, with the stride's true touchdown and
duration: ``discharge_s`` = the burst's first motor-unit discharge (the drive is placed so that the
lowest threshold is crossed at the drawn onset) and ``onset_s`` = the EMG onset, where the first action
potential becomes visible at the electrodes (reaches 10 % of its peak: 2-8 ms of propagation plus the
start of the potential later; :func:`mu_pool.muap_start`); with ``tonic`` activity, of the first unit
the tonic level had not recruited.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
from mu_pool import discharges, drive_shape, fraction_time, make_pool, muap_start, render
from scipy import signal

FloatArray = npt.NDArray[np.float64]

SIDES = ("l", "r")
MUSCLES = ("glute_max", "glute_med", "hamstring")
EMG_ROLES = tuple(f"{m}_{s}" for s in SIDES for m in MUSCLES)
SHAPES = ("linear", "logistic", "raised_cosine", "exp_approach", "quadratic")
IMU_FS_HZ = 100.0
REST_S = 4.0

PHASES = {  # (onset range, offset range), % of the cycle from the leg's touchdown
    "walk": {
        "hamstring": ((-22, -12), (6, 14)),
        "glute_max": ((-9, -3), (15, 25)),
        "glute_med": ((-6, 0), (30, 40)),
    },
    "run": {
        "hamstring": ((-32, -22), (4, 10)),
        "glute_max": ((-16, -8), (12, 20)),
        "glute_med": ((-12, -4), (20, 30)),
    },
    "late": {
        "hamstring": ((-22, -12), (6, 14)),
        "glute_max": ((3, 10), (25, 35)),
        "glute_med": ((-6, 0), (30, 40)),
    },
}


@dataclass(frozen=True)
class WalkSpec:
    fs_hz: float
    snr_db: float
    seed: int
    cadence_spm: float = 55.0
    gait: str = "walk"  # "walk", "run" or "late" (glute max after touchdown)
    n_strides: int = 30
    artifacts: bool = True
    tonic: bool = False
    jitter_pct: tuple[float, float] = (1.0, 2.5)
    n_mu_range: tuple[int, int] = (100, 200)


@dataclass(frozen=True)
class StrideTruth:
    side: str  # "left" / "right"
    stride: int  # 1-based per leg
    touchdown_s: float
    stride_s: float
    muscle: str
    onset_s: float  # the EMG onset: the first action potential's visible start at the electrodes
    onset_pct: float
    discharge_s: float  # the first motor-unit discharge (2-8 ms and a MUAP's rise before onset_s)


@dataclass
class WalkRecording:
    spec: WalkSpec
    emg_uv: FloatArray  # (6, n) at spec.fs_hz
    roles: tuple[str, ...]
    gyr_dps: FloatArray  # (3, m) at IMU_FS_HZ
    acc_g: FloatArray
    events: list[tuple[float, float, str, str | None]]  # onset, duration, trial_type, side
    truths: list[StrideTruth]
    touchdowns: dict[str, list[float]]  # true contacts per side ("left"/"right")
    gyro_heel_lag_s: float
    meta: dict[str, float | str] = field(default_factory=dict)


def _touchdowns(rng: np.random.Generator, spec: WalkSpec) -> dict[str, FloatArray]:
    period = 60.0 / spec.cadence_spm
    cv = rng.uniform(0.015, 0.03)
    durs = period * (1.0 + cv * rng.standard_normal(spec.n_strides + 2))
    right = REST_S + 0.8 + np.concatenate(([0.0], np.cumsum(durs)))
    asym = rng.uniform(-0.02, 0.02)
    left = right[:-1] + (0.5 + asym) * np.diff(right)
    return {"right": right, "left": left}


def _drive(
    tt: FloatArray, start: float, rise_s: float, shape: str, off_s: float, fall_s: float, level: float
) -> FloatArray:
    up = drive_shape(shape, (tt - start) / rise_s)
    down = 1.0 - drive_shape("raised_cosine", (tt - off_s) / fall_s)
    return level * up * down


def _muscle(
    rng: np.random.Generator,
    spec: WalkSpec,
    td: FloatArray,
    side: str,
    muscle: str,
    fs_int: float,
    n_int: int,
) -> tuple[FloatArray, list[StrideTruth], FloatArray]:
    """One channel's clean EMG (internal rate), its truths, and its plateau mask."""
    pool = make_pool(rng, fs_int, spec.n_mu_range)
    (on_lo, on_hi), (off_lo, off_hi) = PHASES[spec.gait][muscle]
    on_pct, off_pct = rng.uniform(on_lo, on_hi), rng.uniform(off_lo, off_hi)
    jitter = rng.uniform(*spec.jitter_pct)
    fast = spec.gait == "run"
    mask = np.zeros(n_int, dtype=bool)
    truths: list[StrideTruth] = []
    tt_all = np.arange(n_int) / fs_int
    tonic = rng.uniform(0.03, 0.06) if spec.tonic else 0.0
    drive = np.where(tt_all > REST_S + 0.3, tonic, 0.0)
    spans: list[tuple[int, int]] = []
    for k in range(td.size - 1):
        period = td[k + 1] - td[k]
        prev = td[k] - td[k - 1] if k > 0 else period
        target = td[k] + (on_pct + jitter * rng.standard_normal()) / 100.0 * (prev if on_pct < 0 else period)
        shape = str(rng.choice(SHAPES))
        rise_s = rng.uniform(0.02, 0.09) if fast else rng.uniform(0.03, 0.15)
        level = max(rng.uniform(0.2, 0.5) * (1.0 + 0.15 * rng.standard_normal()), 0.12)
        # the first discharge of the burst comes when the drive crosses the lowest threshold not yet
        # reached by the tonic activity (without tonic activity: the lowest threshold)
        new = float(pool.rte[pool.rte > tonic][0])
        u_cross = fraction_time(shape, (new - tonic) / (level - tonic))
        start = target - u_cross * rise_s
        fall_s = rng.uniform(0.05, 0.15)
        off_s = max(
            td[k] + (off_pct + jitter * rng.standard_normal()) / 100.0 * period, start + rise_s + 0.05
        )
        i0, i1 = max(int(start * fs_int), 0), min(int((off_s + fall_s) * fs_int) + 2, n_int)
        seg = tonic + (level - tonic) * _drive(tt_all[i0:i1], start, rise_s, shape, off_s, fall_s, 1.0)
        drive[i0:i1] = np.maximum(drive[i0:i1], seg)
        mask[i0:i1] |= seg >= 0.9 * level
        spans.append((i0, i1))
        if k >= 1:  # the first stride has no full cycle before it
            truths.append(
                StrideTruth(
                    "left" if side == "l" else "right",
                    k,
                    float(td[k]),
                    float(period),
                    muscle,
                    float(target),
                    100.0 * (target - td[k]) / period,
                    float(target),
                )
            )
    # one discharge train per burst (each burst's first discharge follows its threshold crossing), and
    # the tonic stretches between them
    cuts = [0] + [(a_end + b_start) // 2 for (_, a_end), (b_start, _) in itertools.pairwise(spans)]
    cuts.append(n_int)
    clean = np.zeros(n_int)
    arrival: dict[int, float] = {}
    starts = muap_start(pool)
    for j, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        if hi - lo < 2 or not drive[lo:hi].max() > 0:
            continue
        spikes, units = discharges(rng, pool, drive[lo:hi], fs_int)
        train = render(pool, spikes, units, 0, hi - lo)
        if train is not None:
            clean[lo:hi] += train[0]
            # the burst's first new action potential (units above the tonic level), visible start
            firsts = [
                s[0] + starts[u] for s, u in zip(spikes, units, strict=True) if s.size and pool.rte[u] > tonic
            ]
            if firsts:
                arrival[j] = (lo + min(firsts)) / fs_int
    # segment j holds stride j's burst: its EMG onset is the first new MUAP at the electrodes
    truths = [
        replace(
            t, onset_s=arrival[t.stride], onset_pct=100.0 * (arrival[t.stride] - t.touchdown_s) / t.stride_s
        )
        if t.stride in arrival
        else t
        for t in truths
    ]
    return clean, truths, mask


def _gyro(
    rng: np.random.Generator, spec: WalkSpec, td: FloatArray, n: int
) -> tuple[FloatArray, FloatArray, float]:
    """Right shank angular velocity and acceleration at IMU_FS_HZ, and the heel-strike minimum's lag."""
    t = np.arange(n) / IMU_FS_HZ
    run = spec.gait == "run"
    heel_lag = rng.uniform(0.005, 0.03)
    swing_amp = rng.uniform(500.0, 900.0) if run else rng.uniform(250.0, 400.0)
    to_pct = rng.uniform(0.35, 0.42) if run else rng.uniform(0.58, 0.64)
    w = np.zeros(n)

    def bump(center: float, width: float, amp: float) -> None:
        w[:] += amp * np.exp(-0.5 * ((t - center) / width) ** 2)

    for k in range(td.size - 1):
        period = td[k + 1] - td[k]
        hs = td[k] + heel_lag + 0.004 * rng.standard_normal()
        bump(hs, 0.018 * period / 1.1 + 0.006, -rng.uniform(60.0, 140.0))
        bump(td[k] + 0.5 * to_pct * period, 0.12 * period, rng.uniform(30.0, 70.0))
        bump(td[k] + to_pct * period, 0.035 * period, -rng.uniform(100.0, 220.0))
        swing = to_pct + 0.45 * (1.0 - to_pct)
        bump(td[k] + swing * period, 0.075 * period, swing_amp * (1.0 + 0.05 * rng.standard_normal()))
    rot = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    sag = rot[:, 0]
    other = 15.0 * np.sin(2 * np.pi * t / (td[1] - td[0]) + rng.uniform(0, 6.3))
    gyr = (
        np.outer(sag, w)
        + np.outer(rot[:, 1], other)
        + rng.uniform(-3, 3, (3, 1))
        + 2.0 * rng.standard_normal((3, n))
    )
    gyr[:, t < td[0] - 0.6] = rng.uniform(-3, 3, (3, 1)) + 2.0 * rng.standard_normal(
        (3, int((t < td[0] - 0.6).sum()))
    )
    acc = np.outer(rot[:, 2], np.ones(n)) + 0.02 * rng.standard_normal((3, n))
    for k in range(td.size):
        dt = t - td[k]
        acc += np.outer(rot[:, 0], rng.uniform(1.0, 3.0) * np.exp(-np.clip(dt, 0.0, None) / 0.02) * (dt >= 0))
    return gyr, acc, heel_lag


def simulate(spec: WalkSpec) -> WalkRecording:
    """One walking/running recording (module docstring)."""
    rng = np.random.default_rng(spec.seed)
    fs = float(spec.fs_hz)
    k = int(np.ceil(2000.0 / fs))
    fs_int = fs * k
    tds = _touchdowns(rng, spec)
    dur = float(tds["right"][-1]) + 1.0
    n = round(dur * fs)
    n_int = n * k
    clean = np.zeros((len(EMG_ROLES), n_int))
    masks = np.zeros((len(EMG_ROLES), n_int), dtype=bool)
    truths: list[StrideTruth] = []
    for c, role in enumerate(EMG_ROLES):
        muscle, side = role[:-2], role[-1]
        td = tds["left" if side == "l" else "right"]
        clean[c], tr, masks[c] = _muscle(rng, spec, td, side, muscle, fs_int, n_int)
        truths += tr
    emg = _to_device(rng, spec, clean, masks, k)
    t = np.arange(n) / fs
    amps = [
        float(np.sqrt(np.mean(emg[c][masks[c, ::k]] ** 2))) if masks[c].any() else 50.0
        for c in range(len(EMG_ROLES))
    ]
    _background(rng, emg, t, fs)
    if spec.artifacts:
        _artifacts(rng, emg, t, tds, amps)
    m = round(dur * IMU_FS_HZ)
    gyr, acc, lag = _gyro(rng, spec, tds["right"], m)
    events: list[tuple[float, float, str, str | None]] = [(0.0, REST_S, "rest", None)]
    for side in ("left", "right"):
        events += [(round(float(x), 4), 0.0, "touchdown", side) for x in tds[side]]
    events.sort(key=lambda e: e[0])
    touch = {s: [float(x) for x in v] for s, v in tds.items()}
    return WalkRecording(spec, emg, EMG_ROLES, gyr, acc, events, truths, touch, lag, {"imu_site": "shank_r"})


def _to_device(
    rng: np.random.Generator, spec: WalkSpec, clean: FloatArray, masks: FloatArray, k: int
) -> FloatArray:
    fs_int = spec.fs_hz * k
    for c in range(clean.shape[0]):
        fc = min(rng.uniform(250.0, 500.0), 0.45 * fs_int)
        clean[c] = signal.sosfiltfilt(signal.butter(2, fc, fs=fs_int, output="sos"), clean[c])
    if k > 1:
        clean = signal.sosfilt(signal.butter(4, 0.4 * spec.fs_hz, fs=fs_int, output="sos"), clean, axis=1)
    x = clean[:, ::k]
    mk = masks[:, ::k]
    fs = spec.fs_hz
    band_hi = min(450.0, 0.45 * fs)
    band = signal.butter(4, [20.0, band_hi], btype="bandpass", fs=fs, output="sos")
    out = np.zeros_like(x)
    for c in range(x.shape[0]):
        m = mk[c]
        rms = float(np.sqrt(np.mean(x[c, m] ** 2))) if m.any() else 1.0
        y = x[c] * (rng.uniform(40.0, 250.0) / rms)
        band_rms = float(np.sqrt(np.mean(signal.sosfiltfilt(band, y)[m] ** 2))) if m.any() else 1.0
        snr = spec.snr_db + rng.uniform(-1.0, 1.0)
        sigma = band_rms / 10 ** (snr / 20.0) / np.sqrt((band_hi - 20.0) / (fs / 2.0))
        out[c] = y + sigma * rng.standard_normal(y.size)
    return out


def _background(rng: np.random.Generator, emg: FloatArray, t: FloatArray, fs: float) -> None:
    mains = float(rng.choice([50.0, 60.0]))
    hum = sum(
        a * np.sin(2 * np.pi * h * mains * t + rng.uniform(0, 6.3))
        for h, a in ((1, 1.0), (2, rng.uniform(0.05, 0.3)), (3, rng.uniform(0.05, 0.4)))
        if h * mains < 0.5 * fs
    )
    amp = rng.uniform(5.0, 60.0)
    for c in range(emg.shape[0]):
        wander = sum(
            rng.uniform(20.0, 120.0) * np.sin(2 * np.pi * rng.uniform(0.05, 1.5) * t + rng.uniform(0, 6.3))
            for _ in range(3)
        )
        emg[c] += amp * rng.uniform(0.3, 1.0) * hum + wander + rng.uniform(-800.0, 800.0)


def _artifacts(
    rng: np.random.Generator, emg: FloatArray, t: FloatArray, tds: dict[str, FloatArray], amps: list[float]
) -> None:
    for c, role in enumerate(EMG_ROLES):
        for x in tds["left" if role.endswith("_l") else "right"]:
            dt = t - x
            a = rng.uniform(0.3, 2.0) * amps[c] * rng.choice([-1.0, 1.0])
            f = rng.uniform(4.0, 15.0)
            env = np.where(
                dt >= 0, (1 - np.exp(-np.clip(dt, 0, None) / 0.01)) * np.exp(-np.clip(dt, 0, None) / 0.08), 0
            )
            emg[c] += a * env * np.sin(2 * np.pi * f * np.clip(dt, 0, None))
        for _ in range(rng.poisson(2.0 * t[-1] / 60.0)):
            tp = rng.uniform(0.0, t[-1])
            dt = t - tp
            emg[c] += np.where(
                dt >= 0,
                rng.uniform(2.0, 8.0)
                * amps[c]
                * rng.choice([-1.0, 1.0])
                * np.exp(-np.clip(dt, 0, None) / rng.uniform(0.02, 0.3)),
                0.0,
            )


def to_recording(rec: WalkRecording, *, with_events: bool = True, with_imu: bool = True):  # type: ignore[no-untyped-def]
    """The recording as a glutesense :class:`~glutesense.model.records.Recording` (EMG, IMU, events)."""
    from glutesense.model.records import Event, Recording, Stream
    from glutesense.model.roles import Role, Side

    streams = [Stream("emg", rec.spec.fs_hz, 0.0, tuple(Role(r) for r in rec.roles), rec.emg_uv)]
    if with_imu:
        roles = (Role.GYR_X, Role.GYR_Y, Role.GYR_Z, Role.ACC_X, Role.ACC_Y, Role.ACC_Z)
        streams.append(Stream("imu", IMU_FS_HZ, 0.0, roles, np.vstack([rec.gyr_dps, rec.acc_g])))
    events = tuple(
        Event(o, d, tt, Side(s) if s else None)
        for o, d, tt, s in rec.events
        if with_events or tt != "touchdown"
    )
    return Recording(tuple(streams), events, dict(rec.meta), f"walk_sim seed {rec.spec.seed}")
