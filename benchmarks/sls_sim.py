"""Generator of single-leg-stand recordings with known truth: tries, squeeze latency, stance vs hanging side.

Written for the benchmark, apart from glutesense's simulators and detectors; the EMG is made of
motor-unit action potential trains (:mod:`mu_pool`, after Fuglevand et al. 1993).

Protocol per rep and stance side: a ``lift`` cue (the other leg comes off the ground: the stance
glute medius switches on, the stance glute max takes up a tone of 8-25 % of the squeeze's amplitude,
the pelvis rolls 4-8 degrees), 1.5-2.5 s later a ``squeeze`` cue; after it the person makes 0-3
*tries* (a burst whose amplitude reaches ``try_share`` of the squeeze's, at least 20 % above the tone,
80-350 ms long, rising and falling back to the tone, 100-600 ms apart)
and then the *sustained* squeeze (30-60 % of maximal, rising over 50-300 ms in one of five shapes,
a slow +-10 % modulation), whose onset lies ``latency_ms`` after the cue (tries are placed in the
time before it, with the reaction time of 150-300 ms before the first); 2.5-3 s later ``release``.
With ``merged_p`` the last try does not relax before the squeeze: its amplitude dips to 40-60 % of the
try's for 60-150 ms and rises again into the sustained squeeze, whose onset is where the drive leaves
the dip (the truth marks the rep *not separable*).
The stance hamstring switches on 150-300 ms after the cue and holds; the hanging side's glute max
stays at 0-10 % of a squeeze's amplitude (soft).  Amplitudes are set through each pool's expected
power at a steady excitation (:func:`mu_pool.excitation_for`).  With ``reference`` each glute first
makes a 3 s reference contraction at 70-90 % of maximal (``mvc`` events, one per side).

Background as in :mod:`walk_sim`: amplifier noise at ``snr_db`` (sustained plateau RMS over noise,
20-450 Hz), mains, DC, wander, electrode pops (about 2 per minute per channel) and a motion artifact
at each lift and release.  Pelvis accelerometer at 100 Hz.

Truth per rep: cue, lift, ``onset_s`` of the sustained squeeze and of each try: where its drive rises
above the stance tone (the units already firing speed up and new ones join from that moment; for a
merged try, where the drive rises again from the dip), each try's end, the time the noise-free
amplitude (100 ms RMS) reaches 90 % of its hold level, and the noise-free hold amplitudes of both
glutes (and the stance glute before and after the lift) in % of each glute's reference (the
reference contraction, else the session peak).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from mu_pool import Pool, discharges, drive_shape, excitation_for, fraction_time, make_pool, render
from scipy import signal

FloatArray = npt.NDArray[np.float64]

EMG_ROLES = ("glute_max_l", "hamstring_l", "glute_med_l", "glute_max_r", "hamstring_r", "glute_med_r")
SHAPES = ("linear", "logistic", "raised_cosine", "exp_approach", "quadratic")
IMU_FS_HZ = 100.0
REST_S = 5.0


@dataclass(frozen=True)
class SlsSpec:
    fs_hz: float
    snr_db: float
    seed: int
    n_reps: int = 3
    tries: tuple[int, ...] | None = None  # tries per rep in order (cycled); None: 0-3 at random
    try_share: tuple[float, float] = (0.25, 0.9)
    try_ms: tuple[float, float] = (80.0, 350.0)
    gap_ms: tuple[float, float] = (100.0, 600.0)
    latency_ms: tuple[float, float] = (100.0, 1500.0)
    merged_p: float = 0.0
    reference: bool = False
    artifacts: bool = True
    n_mu_range: tuple[int, int] = (100, 200)


@dataclass(frozen=True)
class TryTruth:
    onset_s: float
    end_s: float


@dataclass(frozen=True)
class SqueezeTruth:
    side: str
    rep: int
    lift_s: float
    cue_s: float
    release_s: float
    onset_s: float
    latency_ms: float
    tries: tuple[TryTruth, ...]
    separable: bool
    firm_s: float
    stance_hold_pct: float
    hanging_hold_pct: float
    stance_before_lift_pct: float
    stance_after_lift_pct: float


@dataclass
class SlsRecording:
    spec: SlsSpec
    emg_uv: FloatArray
    roles: tuple[str, ...]
    acc_g: FloatArray
    events: list[tuple[float, float, str, str | None]]
    truths: list[SqueezeTruth]
    meta: dict[str, float | str] = field(default_factory=dict)


@dataclass
class _Channel:
    pool: Pool
    drive: FloatArray
    cuts: list[int]  # discharge trains start afresh at these samples (separate activations)


def _rise(shape: str, t: FloatArray, start: float, rise_s: float) -> FloatArray:
    return drive_shape(shape, (t - start) / rise_s)


def _plan_rep(
    rng: np.random.Generator, spec: SlsSpec, k: int
) -> tuple[float, list[tuple[float, float, float]], bool]:
    """Latency (s), tries as (start offset from cue s, duration s, share), merged flag."""
    n_try = spec.tries[k % len(spec.tries)] if spec.tries is not None else int(rng.integers(0, 4))
    reaction = rng.uniform(0.15, 0.3)
    tries: list[tuple[float, float, float]] = []
    t = reaction
    for _ in range(n_try):
        dur = rng.uniform(*spec.try_ms) / 1000.0
        tries.append((t, dur, rng.uniform(*spec.try_share)))
        t += dur + rng.uniform(*spec.gap_ms) / 1000.0
    lat_lo, lat_hi = spec.latency_ms[0] / 1000.0, spec.latency_ms[1] / 1000.0
    latency = max(rng.uniform(lat_lo, lat_hi), t if tries else reaction * 0.0 + lat_lo)
    if not tries:
        latency = rng.uniform(max(lat_lo, 0.1), lat_hi)
    merged = bool(tries) and rng.random() < spec.merged_p
    return latency, tries, merged


def simulate(spec: SlsSpec) -> SlsRecording:
    """One single-leg-stand recording (module docstring)."""
    rng = np.random.default_rng(spec.seed)
    fs = float(spec.fs_hz)
    k = int(np.ceil(2000.0 / fs))
    fs_int = fs * k
    rep_s = 9.5
    t_ref = 4.0 if spec.reference else 0.0
    dur = REST_S + 2 * t_ref + 2 * spec.n_reps * rep_s + 2.0
    n_int = round(dur * fs) * k
    tt = np.arange(n_int) / fs_int
    chans = {r: _Channel(make_pool(rng, fs_int, spec.n_mu_range), np.zeros(n_int), []) for r in EMG_ROLES}
    events: list[tuple[float, float, str, str | None]] = [(0.0, REST_S, "rest", None)]
    t = REST_S + 0.5
    if spec.reference:
        for s in ("l", "r"):
            _activate(
                chans[f"glute_max_{s}"], tt, fs_int, t, 3.0, rng.uniform(0.7, 0.9), "raised_cosine", 0.3
            )
            events.append((round(t, 4), 3.0, "mvc", "left" if s == "l" else "right"))
            t += t_ref
    plans: list[
        tuple[str, int, float, float, float, float, list[tuple[float, float, float]], bool, float]
    ] = []
    for side in ("l", "r"):
        for rep in range(1, spec.n_reps + 1):
            lift = t + rng.uniform(0.0, 0.3)
            cue = lift + rng.uniform(1.5, 2.5)
            latency, tries, merged = _plan_rep(rng, spec, rep - 1 + (0 if side == "l" else spec.n_reps))
            release = cue + latency + rng.uniform(2.5, 3.0)
            plans.append((side, rep, lift, cue, latency, release, tries, merged, rng.uniform(0.3, 0.6)))
            name = "left" if side == "l" else "right"
            events += [
                (round(lift, 4), 0.0, "lift", name),
                (round(cue, 4), 0.0, "squeeze", name),
                (round(release, 4), 0.0, "release", name),
            ]
            t = release + rng.uniform(1.8, 2.5)
    truths = [_perform(rng, chans, tt, fs_int, p) for p in plans]
    clean = np.vstack([_emg(rng, chans[r], fs_int) for r in EMG_ROLES])
    truths = _levels_truth(clean, fs_int, truths, spec.reference, events)
    emg, amps = _to_device(rng, spec, clean, k, chans)
    _background(rng, emg, np.arange(emg.shape[1]) / fs, fs, spec.artifacts, plans, amps)
    acc = _pelvis(rng, dur, plans)
    events.sort(key=lambda e: e[0])
    return SlsRecording(spec, emg, EMG_ROLES, acc, events, truths, {"imu_site": "pelvis"})


def _activate(
    ch: _Channel,
    tt: FloatArray,
    fs_int: float,
    start: float,
    hold_s: float,
    level: float,
    shape: str,
    rise_s: float,
    *,
    fall_s: float = 0.2,
    cut: bool = True,
) -> None:
    i0 = max(int(start * fs_int) - 1, 0)
    i1 = min(int((start + rise_s + hold_s + fall_s) * fs_int) + 2, tt.size)
    seg = tt[i0:i1]
    knots = np.arange(start, start + rise_s + hold_s + 1.0, 0.35)
    mod = 1.0 + 0.1 * np.interp(seg, knots, np.sin(np.arange(knots.size) * 2.3))
    up = _rise(shape, seg, start, rise_s)
    down = 1.0 - drive_shape("raised_cosine", (seg - start - rise_s - hold_s) / fall_s)
    ch.drive[i0:i1] = np.maximum(ch.drive[i0:i1], level * up * down * mod)
    if cut:
        ch.cuts.append(i0)


def _perform(
    rng: np.random.Generator,
    chans: dict[str, _Channel],
    tt: FloatArray,
    fs_int: float,
    plan: tuple[str, int, float, float, float, float, list[tuple[float, float, float]], bool, float],
) -> SqueezeTruth:
    side, rep, lift, cue, latency, release, tries, merged, level = plan
    other = "r" if side == "l" else "l"
    g, h, m = chans[f"glute_max_{side}"], chans[f"hamstring_{side}"], chans[f"glute_med_{side}"]
    hang = chans[f"glute_max_{other}"]
    hold = release - lift
    _activate(
        m, tt, fs_int, lift + rng.uniform(0.15, 0.3), hold, rng.uniform(0.2, 0.35), "raised_cosine", 0.2
    )
    tone_share = rng.uniform(0.08, 0.25)
    stance_tone = excitation_for(g.pool, tone_share, level)
    _activate(g, tt, fs_int, lift + rng.uniform(0.15, 0.3), hold, stance_tone, "raised_cosine", 0.25)
    _activate(
        hang,
        tt,
        fs_int,
        lift + 0.2,
        hold,
        excitation_for(hang.pool, rng.uniform(0.0, 0.1), 0.45),
        "linear",
        0.3,
    )
    onset = cue + latency
    h_on = cue + rng.uniform(0.15, 0.3)
    _activate(
        h, tt, fs_int, h_on, release - h_on, rng.uniform(0.15, 0.3), "raised_cosine", rng.uniform(0.08, 0.2)
    )
    truths_try: list[TryTruth] = []
    shape = str(rng.choice(SHAPES))
    rise_s = rng.uniform(0.05, 0.3)
    for j, (off, dur, share) in enumerate(tries):
        t0 = cue + off
        lv = excitation_for(g.pool, max(share, tone_share + 0.2), level)
        if merged and j == len(tries) - 1:
            # the last try does not relax: its amplitude dips to 40-60 % of its peak for 60-150 ms just
            # before the squeeze and rises again into it (the onset is where the drive leaves the dip)
            dip_s = rng.uniform(0.06, 0.15)
            t0 = max(t0, onset - dur - dip_s)
            dip = excitation_for(g.pool, rng.uniform(0.4, 0.6) * max(share, tone_share + 0.2), level)
            i0, i1 = int(t0 * fs_int), int((onset + rise_s) * fs_int) + 1
            seg = tt[i0:i1]
            up = np.clip((seg - t0) / (0.4 * dur), 0.0, 1.0)
            down = np.clip((seg - t0 - 0.4 * dur) / (0.6 * dur), 0.0, 1.0)
            g.drive[i0:i1] = np.maximum(g.drive[i0:i1], lv * up - (lv - dip) * down)
            g.cuts.append(i0 - 1)
            truths_try.append(TryTruth(t0, onset))
            continue
        # the try's amplitude grows from the moment its drive rises above the stance tone (at t0)
        _activate(
            g,
            tt,
            fs_int,
            t0 - fraction_time("raised_cosine", min(stance_tone / lv, 0.999)) * 0.3 * dur,
            max(dur - 0.6 * dur, 0.0),
            lv,
            "raised_cosine",
            0.3 * dur,
            fall_s=0.3 * dur,
        )
        truths_try.append(TryTruth(t0, t0 + dur))
    start = onset if merged else onset - fraction_time(shape, min(stance_tone / level, 0.999)) * rise_s
    _activate(g, tt, fs_int, start, release - start - rise_s, level, shape, rise_s, cut=not merged)
    g.cuts.append(int((release + 0.6) * fs_int))
    return SqueezeTruth(
        "left" if side == "l" else "right",
        rep,
        lift,
        cue,
        release,
        onset,
        1000.0 * latency,
        tuple(truths_try),
        not merged,
        float("nan"),
        *(float("nan"),) * 4,
    )


def _emg(rng: np.random.Generator, ch: _Channel, fs_int: float) -> FloatArray:
    n = ch.drive.size
    out = np.zeros(n)
    cuts = sorted({0, n, *[c for c in ch.cuts if 0 < c < n]})
    for lo, hi in itertools.pairwise(cuts):
        if hi - lo < 2 or not ch.drive[lo:hi].max() > 0:
            continue
        spikes, units = discharges(rng, ch.pool, ch.drive[lo:hi], fs_int)
        train = render(ch.pool, spikes, units, 0, hi - lo)
        if train is not None:
            out[lo:hi] += train[0]
    return out


def _rms(x: FloatArray, fs: float, window_s: float = 0.1) -> FloatArray:
    w = max(1, round(window_s * fs))
    return np.sqrt(np.convolve(x * x, np.ones(w) / w, mode="same"))


def _levels_truth(
    clean: FloatArray,
    fs_int: float,
    truths: list[SqueezeTruth],
    reference: bool,
    events: list[tuple[float, float, str, str | None]],
) -> list[SqueezeTruth]:
    """Fill the truth's firm-up time and hold levels from the noise-free signal."""
    step = max(1, round(fs_int / 1000.0))
    env = {r: _rms(clean[i, ::step], fs_int / step) for i, r in enumerate(EMG_ROLES)}
    fs1 = fs_int / step

    def mean(r: str, a: float, b: float) -> float:
        return float(env[r][int(a * fs1) : int(b * fs1)].mean())

    def ref(r: str) -> float:
        w = round(0.5 * fs1)
        if reference:
            side = "left" if r.endswith("_l") else "right"
            e = next(e for e in events if e[2] == "mvc" and e[3] == side)
            seg = env[r][int(e[0] * fs1) : int((e[0] + e[1]) * fs1)]
        else:
            seg = env[r]
        return float(np.max(np.convolve(seg, np.ones(w) / w, mode="valid")))

    out = []
    for tr in truths:
        s, o = tr.side[0], ("r" if tr.side[0] == "l" else "l")
        g, hang = f"glute_max_{s}", f"glute_max_{o}"
        h0, h1 = tr.onset_s + 0.8, tr.release_s
        hold = float(np.median(env[g][int(h0 * fs1) : int(h1 * fs1)]))
        seg = env[g][int(tr.onset_s * fs1) : int(h1 * fs1)]
        firm = tr.onset_s + int(np.argmax(seg >= 0.9 * hold)) / fs1
        out.append(
            SqueezeTruth(
                tr.side,
                tr.rep,
                tr.lift_s,
                tr.cue_s,
                tr.release_s,
                tr.onset_s,
                tr.latency_ms,
                tr.tries,
                tr.separable,
                firm,
                100 * mean(g, h0, h1) / ref(g),
                100 * mean(hang, h0, h1) / ref(hang),
                100 * mean(g, tr.lift_s - 1.0, tr.lift_s) / ref(g),
                100 * mean(g, tr.lift_s + 0.6, tr.cue_s) / ref(g),
            )
        )
    return out


def _to_device(
    rng: np.random.Generator, spec: SlsSpec, clean: FloatArray, k: int, chans: dict[str, _Channel]
) -> tuple[FloatArray, list[float]]:
    fs_int = spec.fs_hz * k
    for c in range(clean.shape[0]):
        fc = min(rng.uniform(250.0, 500.0), 0.45 * fs_int)
        clean[c] = signal.sosfiltfilt(signal.butter(2, fc, fs=fs_int, output="sos"), clean[c])
    if k > 1:
        clean = signal.sosfilt(signal.butter(4, 0.4 * spec.fs_hz, fs=fs_int, output="sos"), clean, axis=1)
    x = clean[:, ::k]
    fs = spec.fs_hz
    band_hi = min(450.0, 0.45 * fs)
    band = signal.butter(4, [20.0, band_hi], btype="bandpass", fs=fs, output="sos")
    out = np.zeros_like(x)
    amps = []
    for c, r in enumerate(EMG_ROLES):
        d = chans[r].drive[::k]
        m = d >= 0.9 * d.max() if d.max() > 0 else np.ones(d.size, dtype=bool)
        rms = float(np.sqrt(np.mean(x[c, m] ** 2))) or 1.0
        y = x[c] * (rng.uniform(40.0, 250.0) / rms)
        band_rms = float(np.sqrt(np.mean(signal.sosfiltfilt(band, y)[m] ** 2)))
        snr = spec.snr_db + rng.uniform(-1.0, 1.0)
        sigma = band_rms / 10 ** (snr / 20.0) / np.sqrt((band_hi - 20.0) / (fs / 2.0))
        out[c] = y + sigma * rng.standard_normal(y.size)
        amps.append(band_rms)
    return out, amps


def _background(
    rng: np.random.Generator,
    emg: FloatArray,
    t: FloatArray,
    fs: float,
    artifacts: bool,
    plans: list,
    amps: list[float],
) -> None:  # type: ignore[type-arg]
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
    if not artifacts:
        return
    moves = [p[2] + 0.3 for p in plans] + [p[5] + 0.3 for p in plans]
    for c in range(emg.shape[0]):
        for tm in moves:
            dt = np.clip(t - tm, 0, None)
            a = rng.uniform(0.3, 2.0) * amps[c] * rng.choice([-1.0, 1.0])
            emg[c] += np.where(
                t >= tm,
                a
                * (1 - np.exp(-dt / 0.02))
                * np.exp(-dt / 0.2)
                * np.cos(2 * np.pi * rng.uniform(1.5, 8.0) * dt),
                0.0,
            )
        for _ in range(rng.poisson(2.0 * t[-1] / 60.0)):
            tp = rng.uniform(0.0, t[-1])
            dt = np.clip(t - tp, 0, None)
            emg[c] += np.where(
                t >= tp,
                rng.uniform(2.0, 8.0)
                * amps[c]
                * rng.choice([-1.0, 1.0])
                * np.exp(-dt / rng.uniform(0.02, 0.3)),
                0.0,
            )


def _pelvis(rng: np.random.Generator, dur: float, plans: list) -> FloatArray:  # type: ignore[type-arg]
    m = round(dur * IMU_FS_HZ)
    t = np.arange(m) / IMU_FS_HZ
    roll = np.zeros(m)
    for p in plans:
        side, lift, release = p[0], p[2], p[5]
        a = drive_shape("raised_cosine", (t - lift - rng.uniform(0.1, 0.25)) / rng.uniform(0.4, 0.7))
        b = drive_shape("raised_cosine", (t - release - 0.3) / rng.uniform(0.4, 0.7))
        roll += (1.0 if side == "l" else -1.0) * np.deg2rad(rng.uniform(4.0, 8.0)) * a * (1.0 - b)
    pitch = np.deg2rad(rng.uniform(-5.0, 5.0))
    acc = np.vstack([np.sin(pitch) * np.ones(m), np.cos(pitch) * np.sin(roll), np.cos(pitch) * np.cos(roll)])
    return acc + 0.005 * rng.standard_normal(acc.shape)


def to_recording(rec: SlsRecording, *, with_lift: bool = True):  # type: ignore[no-untyped-def]
    """The recording as a glutesense :class:`~glutesense.model.records.Recording`."""
    from glutesense.model.records import Event, Recording, Stream
    from glutesense.model.roles import Role, Side

    streams = (
        Stream("emg", rec.spec.fs_hz, 0.0, tuple(Role(r) for r in rec.roles), rec.emg_uv),
        Stream("imu", IMU_FS_HZ, 0.0, (Role.ACC_X, Role.ACC_Y, Role.ACC_Z), rec.acc_g),
    )
    events = tuple(
        Event(o, d, tt, Side(s) if s else None) for o, d, tt, s in rec.events if with_lift or tt != "lift"
    )
    return Recording(streams, events, dict(rec.meta), f"sls_sim seed {rec.spec.seed}")
