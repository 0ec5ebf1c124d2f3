"""The signal-quality gate before a guided test: is every EMG channel fit to record? (pure)

``record`` starts with about 20 s of checks (:mod:`glutesense.acquire.gate` schedules them): a
rest (``gate_rest``, keep still), then per side a test contraction of each muscle the verdict rests
on, cued in words (``gate_glute``: "squeeze your left glute"; ``gate_press``: "press your left
heel into the floor"), each followed by ``gate_relax``.  :func:`check_gate` reads them from the
recording so far and grades every channel:

* **signal**: a live channel at all: a flat line or a resting band RMS below 0.5 µV (below any
  amplifier's own noise) is a dead lead; samples piling up at the ADC rails are saturation;
* **noise**: the resting noise floor, RMS in the analysis band (20-450 Hz, adapted to the sample
  rate) with the mains lines taken out: good skin contact gives a few µV (SENIAM: baseline noise
  below 5 µV RMS); up to 10 µV passes, up to 20 µV warns, above fails (a lifted or dry electrode);
* **mains**: the RMS of the 50 or 60 Hz family (whichever is larger, every harmonic in the band) at
  rest: above 10 µV *and* more than half the resting in-band power it warns (a notch can take a
  stable hum out, so it never fails alone);
* **motion**: EMG below 10 Hz at rest above 50 µV RMS (a cable swinging, an electrode rocking),
  and with an IMU an acceleration SD above 0.03 g or an angular rate above 5 deg/s, warn;
* **contraction**: the test contraction's band RMS over rest's (both without the mains lines, which a
  notch takes out): 5x (14 dB) and 20 µV above it pass, 2x warns, less fails;
* **leads**: the glute channel rose more on the hamstring cue than on its own *and* the hamstring
  channel more on the glute cue than on its own: the two leads are swapped (fail).

Each check passes, warns or fails with the fix in plain words (:class:`~glutesense.model.gate.GateCheck`).
The limits are physiological levels and ratios (:class:`GateLimits`), not the simulator's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from glutesense.analysis.gate_levels import band_rms, cut, rest_levels
from glutesense.model.arrays import FloatArray
from glutesense.model.gate import CheckKind, GateCheck, GateReport, Level
from glutesense.model.records import Event, Recording
from glutesense.model.roles import ACC_ROLES, EMG_ROLES, GYR_ROLES, Muscle, Role, Side
from glutesense.signal.condition import adapt_band
from glutesense.signal.quality import assess_channel

GATE_REST = "gate_rest"
GATE_GLUTE = "gate_glute"
GATE_HAMSTRING = "gate_press"
GATE_RELAX = "gate_relax"
GATE_LABELS = (GATE_REST, GATE_GLUTE, GATE_HAMSTRING, GATE_RELAX)
"""Event labels of the gate's cues (DESIGN.md, events); they drive nothing else."""

CUE_OF = {Muscle.GLUTE_MAX: GATE_GLUTE, Muscle.HAMSTRING: GATE_HAMSTRING}

FIX_DEAD = "no signal: check the lead is clipped onto the electrode and plugged into the sensor"
FIX_CLIPPED = "the signal hits the amplifier's limit: press the electrode down and keep the cable off it"
FIX_NOISE = "press the electrode down (or clean the skin and use a fresh electrode)"
FIX_MAINS = "move away from the charger or mains-powered laptop, and keep the cables short and together"
FIX_MOTION = "keep still during the check, and tape the cable down so it cannot swing"
FIX_WEAK = "press the electrode down over the middle of the muscle, then squeeze harder"
FIX_NONE = "no contraction seen: check the electrode sits over the muscle and press it down"


@dataclass(frozen=True)
class GateLimits:
    """The gate's limits (µV are RMS in the analysis band unless said otherwise)."""

    band_hz: tuple[float, float] = (20.0, 450.0)
    dead_uv: float = 0.5
    clipped_share: float = 0.001
    noise_pass_uv: float = 10.0
    noise_fail_uv: float = 20.0
    mains_warn_uv: float = 10.0
    mains_warn_share: float = 0.5
    motion_cutoff_hz: float = 10.0
    motion_warn_uv: float = 50.0
    acc_warn_g: float = 0.03
    gyr_warn_dps: float = 5.0
    rise_pass: float = 5.0
    rise_fail: float = 2.0
    rise_min_uv: float = 20.0
    settle_s: float = 0.5
    """Skipped after a cue (reaction) and at the start of the rest, s."""


@dataclass(frozen=True)
class _Windows:
    rest: tuple[float, float] | None
    cues: dict[tuple[str, Side], tuple[float, float]]


def gate_windows(events: Sequence[Event], settle_s: float = 0.5) -> _Windows:
    """The rest and each test contraction's window ``[start_s, stop_s)`` from the gate's events."""
    rest = None
    cues: dict[tuple[str, Side], tuple[float, float]] = {}
    ordered = sorted(events, key=lambda e: e.onset_s)
    for i, e in enumerate(ordered):
        if e.trial_type == GATE_REST and e.duration_s > 2 * settle_s:
            rest = (e.onset_s + settle_s, e.onset_s + e.duration_s)
        elif e.trial_type in (GATE_GLUTE, GATE_HAMSTRING) and e.side is not None:
            later = [x.onset_s for x in ordered[i + 1 :] if x.trial_type in GATE_LABELS]
            stop = e.onset_s + e.duration_s if e.duration_s > 0 else (later[0] if later else e.onset_s)
            if stop - e.onset_s > 2 * settle_s:
                cues[(e.trial_type, e.side)] = (e.onset_s + settle_s, stop)
    return _Windows(rest, cues)


def _check(
    role: Role, kind: CheckKind, level: Level, value: float | None, unit: str, detail: str, fix: str
) -> GateCheck:
    return GateCheck(
        role.value,
        kind,
        level,
        None if value is None else round(value, 3),
        unit,
        detail,
        fix if level is not Level.PASS else "",
    )


def _emg_motion(role: Role, rest: FloatArray, fs_hz: float, lim: GateLimits) -> GateCheck:
    """Movement at rest from the EMG below the band (a swinging cable, a rocking electrode)."""
    lo = sps.butter(2, min(lim.motion_cutoff_hz, 0.2 * fs_hz), btype="lowpass", fs=fs_hz, output="sos")
    slow = sps.sosfiltfilt(lo, rest - np.mean(rest)) if rest.size > 30 else rest * 0
    slow_uv = float(np.sqrt(np.mean(slow**2))) if slow.size else 0.0
    moving = slow_uv > lim.motion_warn_uv
    return _check(
        role,
        CheckKind.MOTION,
        Level.WARN if moving else Level.PASS,
        slow_uv,
        "uV",
        f"{slow_uv:.0f} µV RMS below {lim.motion_cutoff_hz:g} Hz at rest (warn above {lim.motion_warn_uv:g})",
        FIX_MOTION,
    )


def _rest_checks(
    role: Role, rest: FloatArray, whole: FloatArray, fs_hz: float, band: tuple[float, float], lim: GateLimits
) -> tuple[list[GateCheck], bool]:
    """signal, noise, mains and motion checks of one channel; (checks, whether the channel is alive)."""
    total_uv = band_rms(rest, fs_hz, band)
    q = assess_channel(whole, fs_hz)
    if not np.isfinite(total_uv) or total_uv < lim.dead_uv or q.flat_fraction > 0.5:
        what = "a flat line" if q.flat_fraction > 0.5 else f"{total_uv:.2f} µV RMS at rest"
        detail = f"{what} (a connected electrode shows at least {lim.dead_uv} µV)"
        return [
            _check(
                role,
                CheckKind.SIGNAL,
                Level.FAIL,
                total_uv if np.isfinite(total_uv) else None,
                "uV",
                detail,
                FIX_DEAD,
            )
        ], False
    clipped = q.clipped_fraction > lim.clipped_share
    out = [
        _check(
            role,
            CheckKind.SIGNAL,
            Level.FAIL if clipped else Level.PASS,
            100.0 * q.clipped_fraction,
            "%",
            f"{100 * q.clipped_fraction:.2f} % of samples at the amplifier's limit "
            f"(at most {100 * lim.clipped_share:.1f} %)",
            FIX_CLIPPED,
        )
    ]
    floor_uv, mains_uv, share = rest_levels(rest, fs_hz, band)
    noise = (
        Level.PASS
        if floor_uv <= lim.noise_pass_uv
        else Level.WARN
        if floor_uv <= lim.noise_fail_uv
        else Level.FAIL
    )
    out.append(
        _check(
            role,
            CheckKind.NOISE,
            noise,
            floor_uv,
            "uV",
            f"noise floor {floor_uv:.1f} µV RMS at rest "
            f"(good: up to {lim.noise_pass_uv:g}, too much: above {lim.noise_fail_uv:g})",
            FIX_NOISE,
        )
    )
    hum = mains_uv > lim.mains_warn_uv and share > lim.mains_warn_share
    out.append(
        _check(
            role,
            CheckKind.MAINS,
            Level.WARN if hum else Level.PASS,
            mains_uv,
            "uV",
            f"mains hum {mains_uv:.1f} µV RMS, {100 * share:.0f} % of the resting signal "
            f"(warn above {lim.mains_warn_uv:g} µV and {100 * lim.mains_warn_share:.0f} %)",
            FIX_MAINS,
        )
    )
    out.append(_emg_motion(role, rest, fs_hz, lim))
    return out, True


def _rise(
    x: FloatArray,
    fs_hz: float,
    t0_s: float,
    span: tuple[float, float] | None,
    band: tuple[float, float],
    rest_uv: float,
) -> tuple[float, float] | None:
    """(active band RMS, ratio over rest) in ``span``; None when there is no such window."""
    if span is None:
        return None
    seg = cut(x, fs_hz, t0_s, span)
    active = rest_levels(seg, fs_hz, band)[0] if seg.size >= 8 else float("nan")
    if not np.isfinite(active):
        return None
    return active, active / rest_uv if rest_uv > 0 else float("inf")


def _contraction(
    role: Role, rise: tuple[float, float] | None, rest_uv: float, cue_text: str, lim: GateLimits
) -> GateCheck | None:
    if rise is None:
        return None
    active, ratio = rise
    if ratio >= lim.rise_pass and active - rest_uv >= lim.rise_min_uv:
        level, fix = Level.PASS, ""
    elif ratio >= lim.rise_fail:
        level, fix = Level.WARN, FIX_WEAK
    else:
        level, fix = Level.FAIL, FIX_NONE
    detail = (
        f"{cue_text}: {active:.0f} µV RMS, {ratio:.1f}x rest "
        f"(clear: {lim.rise_pass:g}x and {lim.rise_min_uv:g} µV above rest)"
    )
    return _check(role, CheckKind.CONTRACTION, level, ratio, "x", detail, fix)


def _leads(side: Side, ratios: dict[tuple[Muscle, str], float]) -> GateCheck | None:
    """Whether the glute and hamstring channels of ``side`` answered each other's cue."""
    need = [(m, c) for m in (Muscle.GLUTE_MAX, Muscle.HAMSTRING) for c in (GATE_GLUTE, GATE_HAMSTRING)]
    if any(k not in ratios for k in need):
        return None
    g_own, g_other = ratios[(Muscle.GLUTE_MAX, GATE_GLUTE)], ratios[(Muscle.GLUTE_MAX, GATE_HAMSTRING)]
    h_own, h_other = ratios[(Muscle.HAMSTRING, GATE_HAMSTRING)], ratios[(Muscle.HAMSTRING, GATE_GLUTE)]
    role = Role.emg(Muscle.GLUTE_MAX, side)
    detail = (
        f"glute channel {g_own:.1f}x rest on the glute cue, {g_other:.1f}x on the heel press; "
        f"hamstring channel {h_own:.1f}x on the heel press, {h_other:.1f}x on the glute cue"
    )
    if g_other > g_own and h_other > h_own:
        fix = (
            f"glute and hamstring channels look swapped: the glute channel answered the hamstring cue; "
            f"swap the {side.value} glute and hamstring leads (or map them with --map)"
        )
        return _check(role, CheckKind.LEADS, Level.FAIL, g_other / g_own, "x", detail, fix)
    if g_other > g_own or h_other > h_own:
        which = "glute" if g_other > g_own else "hamstring"
        fix = (
            f"the {side.value} {which} channel answered the other muscle's cue more than its own: "
            f"check it sits over the {which}"
        )
        return _check(role, CheckKind.LEADS, Level.WARN, None, "", detail, fix)
    return _check(role, CheckKind.LEADS, Level.PASS, None, "", detail, "")


_CUE_TEXT = {GATE_GLUTE: "squeeze", GATE_HAMSTRING: "heel press"}


def _imu_motion(rec: Recording, rest: tuple[float, float], lim: GateLimits) -> list[GateCheck]:
    out = []
    for roles, limit, unit, what in (
        (ACC_ROLES, lim.acc_warn_g, "g", "acceleration SD"),
        (GYR_ROLES, lim.gyr_warn_dps, "deg/s", "angular rate"),
    ):
        if not all(rec.has(r) for r in roles):
            continue
        parts = []
        for r in roles:
            x, fs_hz, t0_s = rec.signal(r)
            seg = cut(x, fs_hz, t0_s, rest)
            if seg.size < 2:
                break
            parts.append(
                float(np.std(seg)) if unit == "g" else float(np.sqrt(np.mean((seg - np.median(seg)) ** 2)))
            )
        else:
            value = float(np.sqrt(np.sum(np.square(parts))))
            level = Level.WARN if value > limit else Level.PASS
            detail = f"{what} {value:.3f} {unit} at rest (warn above {limit:g})"
            out.append(
                GateCheck(
                    "",
                    CheckKind.MOTION,
                    level,
                    round(value, 4),
                    unit,
                    detail,
                    FIX_MOTION if level is Level.WARN else "",
                )
            )
    return out


def check_gate(rec: Recording, limits: GateLimits | None = None) -> GateReport:
    """Grade every EMG channel of ``rec`` from its gate events (module docstring)."""
    lim = limits or GateLimits()
    win = gate_windows(rec.events, lim.settle_s)
    spans = [e.onset_s for e in rec.events if e.trial_type in GATE_LABELS]
    t_from, t_to = (min(spans), max(spans)) if spans else (0.0, 0.0)
    emg = [r for r in rec.roles if r in EMG_ROLES]
    if win.rest is None or not emg:
        note = "no EMG channel with a role to check" if not emg else "the gate's rest was not recorded"
        return GateReport((), t_from, t_to, note)
    checks: list[GateCheck] = []
    ratios: dict[Side, dict[tuple[Muscle, str], float]] = {}
    for role in emg:
        x, fs_hz, t0_s = rec.signal(role)
        (lo, hi), _ = adapt_band(lim.band_hz, fs_hz)
        rest = cut(x, fs_hz, t0_s, win.rest)
        whole = cut(x, fs_hz, t0_s, (t_from, t_to))
        if rest.size < fs_hz:
            checks.append(
                _check(
                    role,
                    CheckKind.SIGNAL,
                    Level.FAIL,
                    None,
                    "",
                    "less than 1 s of the rest arrived",
                    FIX_DEAD,
                )
            )
            continue
        rest_checks, alive = _rest_checks(role, rest, whole, fs_hz, (lo, hi), lim)
        checks.extend(rest_checks)
        if not alive or role.side is None or role.muscle is None:
            continue
        rest_uv = rest_levels(rest, fs_hz, (lo, hi))[0]
        for cue in (GATE_GLUTE, GATE_HAMSTRING):
            rise = _rise(x, fs_hz, t0_s, win.cues.get((cue, role.side)), (lo, hi), rest_uv)
            if rise is not None:
                ratios.setdefault(role.side, {})[(role.muscle, cue)] = rise[1]
            if CUE_OF.get(role.muscle) == cue:
                c = _contraction(role, rise, rest_uv, _CUE_TEXT[cue], lim)
                if c is not None:
                    checks.append(c)
    for side in (Side.LEFT, Side.RIGHT):
        leads = _leads(side, ratios.get(side, {}))
        if leads is not None:
            checks.append(leads)
    checks.extend(_imu_motion(rec, win.rest, lim))
    return GateReport(tuple(checks), t_from, t_to)
