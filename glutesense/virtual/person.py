"""A streaming physiological model of a person doing a guided test, driven by cues.

The person hears cues (:meth:`VirtualPerson.on_cue`) and plans muscle activations and
movement a reaction time later; :meth:`VirtualPerson.generate_emg` and
:meth:`VirtualPerson.generate_imu` return the next samples.  Nothing here reads a clock
or does I/O: time is the device's own axis, seconds since the first sample (of both
streams), advanced only by generating samples.

Signal model (per EMG channel)::

    emg_uv = envelope(t) * (1 + 5 % slow modulation) * carrier(t)   # activation
           + background_uv * white(t)                              # electrode/amplifier noise
           + mains hum (mains_hz, and its 3rd harmonic)
           + slow baseline wander (< 0.5 Hz)
           + motion artifacts (x e^(1-x) transients at movement onset and release)

``carrier`` is unit-RMS Gaussian noise band-limited to 20-450 Hz (adapted to the sample
rate) by a 4th-order Butterworth band-pass run with explicit ``sosfilt`` state, so the
output does not depend on how the samples are split into blocks.  ``envelope`` is a sum of
raised-cosine bursts (:class:`~glutesense.virtual.shapes.Burst`): exactly 0 before the
activation's onset, rising over 50-250 ms (``rise_ms``) to the plateau RMS.

IMU: a gravity-projection model of one segment (``thigh`` for the bridge, ``pelvis`` for
the single-leg stand): ``acc = (-sin p, sin r cos p, cos r cos p)`` g plus the tangential
acceleration of the thigh, ``gyr = (dr/dt, dp/dt, 0)`` deg/s, plus noise and gyro bias
(:mod:`glutesense.virtual.posture`).

Cue labels follow DESIGN.md's events (``cue`` = bridge lift, ``lower``, ``lift``,
``squeeze``, ``release``, ``rest``); a label may carry the stance side as
``"label:left"`` / ``"label:right"`` (the form the recorder sends in diy-v1 markers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from scipy import signal as sps

from glutesense.model.arrays import FloatArray
from glutesense.model.roles import IMU_ROLES, Muscle, Protocol, Role, Side
from glutesense.virtual.fatigue import FatiguingCarrier
from glutesense.virtual.moves import Moves
from glutesense.virtual.params import Pattern, PersonParams
from glutesense.virtual.performed import PerformedRep, Stance, r6
from glutesense.virtual.posture import IMU_SITE, imu_samples, segment_angles
from glutesense.virtual.shapes import Burst, Transition, artifact_shape

_LEVEL = {Muscle.GLUTE_MAX: 1.0, Muscle.HAMSTRING: 0.9, Muscle.GLUTE_MED: 0.45, Muscle.ERECTOR: 0.3}


def parse_cue_label(text: str) -> tuple[str, Side | None]:
    """Split ``"squeeze:left"`` into ``("squeeze", Side.LEFT)``; a bare label has no side."""
    label, _, side = text.strip().partition(":")
    try:
        return label, Side(side) if side else None
    except ValueError:
        return label, None


class VirtualPerson:
    """Streaming model of one person doing ``protocol``; see the module docstring.

    Parameters
    ----------
    params : PersonParams
    protocol : Protocol
        Sets the resting posture and the IMU site (thigh for the bridge, pelvis for
        the single-leg stand).  Every cue label is understood whatever the protocol.
    """

    def __init__(self, params: PersonParams, protocol: Protocol = Protocol.BRIDGE) -> None:
        self.params = params
        self.protocol = protocol
        p = params
        plan_ss, emg_ss, imu_ss, static_ss = np.random.SeedSequence(p.seed).spawn(4)
        self._plan = np.random.default_rng(plan_ss)
        self._emg_rng = np.random.default_rng(emg_ss)
        self._imu_rng = np.random.default_rng(imu_ss)
        static = np.random.default_rng(static_ss)
        n_ch = len(p.emg_roles)
        hi_hz = min(450.0, 0.45 * p.emg_fs_hz)
        lo_hz = min(20.0, 0.25 * hi_hz)
        self._sos = sps.butter(4, [lo_hz, hi_hz], btype="bandpass", fs=p.emg_fs_hz, output="sos")
        self._zi = np.zeros((self._sos.shape[0], 2, n_ch))
        impulse = np.zeros(int(max(4096, 8 * p.emg_fs_hz)))
        impulse[0] = 1.0
        self._carrier_gain = float(np.sqrt(np.sum(sps.sosfilt(self._sos, impulse) ** 2)))
        self._mains_amp = p.mains_uv * static.uniform(0.6, 1.4, n_ch)
        self._mains_phase = static.uniform(0.0, 2 * np.pi, n_ch)
        self._wander_amp = p.wander_uv * static.uniform(0.5, 1.0, (2, n_ch))
        self._wander_phase = static.uniform(0.0, 2 * np.pi, (2, n_ch))
        self._mod_phase = static.uniform(0.0, 2 * np.pi, n_ch)
        self._sway_phase = float(static.uniform(0.0, 2 * np.pi))
        self._gyr_bias_dps = static.normal(0.0, 0.3, 3)
        self._col = {r: i for i, r in enumerate(p.emg_roles)}
        self._bursts: list[tuple[int, Burst]] = []  # (column, burst); muscles not generated are dropped
        self._artifacts: list[tuple[float, float, FloatArray]] = []  # (t0_s, tau_s, amp_uv per column)
        self._pitch: list[Transition] = []
        self._roll: list[Transition] = []
        self._sway_gate: list[Transition] = []  # unitless 0..1, stored as "deg"
        self._n_emg = 0
        self._n_imu = 0
        self._cues: list[dict[str, Any]] = []
        self._reps: list[PerformedRep] = []
        self._bridge_open: list[PerformedRep] = []
        self._bridge_lift_deg = 0.0
        self._n_bridge = 0
        self._n_squeeze = {Side.LEFT: 0, Side.RIGHT: 0}
        self._stance: Stance | None = None
        self._handlers: dict[str, Callable[[float, Side | None], None]] = {
            "cue": self._bridge_lift,
            "lower": self._bridge_lower,
            "lift": self._stand_lift,
            "squeeze": self._stand_squeeze,
            "release": self._stand_release,
        }
        self._moves = Moves(self, PerformedRep)
        self._handlers.update(self._moves.handlers())
        self._fatigue = FatiguingCarrier.of(p, [_LEVEL[r.muscle or Muscle.GLUTE_MAX] for r in p.emg_roles])

    # ------------------------------------------------------------------ cues
    @property
    def n_emg_samples(self) -> int:
        """EMG samples generated so far."""
        return self._n_emg

    @property
    def n_imu_samples(self) -> int:
        """IMU samples generated so far."""
        return self._n_imu

    @property
    def generated_s(self) -> float:
        """Device time up to which samples have been generated (both streams), s."""
        return max(self._n_emg / self.params.emg_fs_hz, self._n_imu / self.params.imu_fs_hz)

    def on_cue(self, label: str, t_s: float, side: Side | None = None) -> None:
        """Hear cue ``label`` at device time ``t_s`` (s); plan the response.

        Onsets are planned at ``t_s`` + a reaction time, and never before what has
        already been generated.  Unknown labels (and ``rest``) are recorded and ignored.
        """
        name, label_side = parse_cue_label(label)
        side = side if side is not None else label_side
        self._cues.append({"label": name, "side": None if side is None else side.value, "t_s": r6(t_s)})
        handler = self._handlers.get(name)
        if handler is not None:
            handler(float(t_s), side)

    def _u(self, lo_hi: tuple[float, float], scale: float = 1.0) -> float:
        return float(self._plan.uniform(lo_hi[0], lo_hi[1])) * scale

    def _start_after(self, t_cue_s: float) -> tuple[float, float]:
        """(reaction_s, first onset time) for a cue at ``t_cue_s``."""
        reaction_s = self._u(self.params.reaction_ms, 1e-3)
        return reaction_s, max(t_cue_s + reaction_s, self.generated_s + 1e-3)

    def _side_gain(self, side: Side) -> float:
        return self.params.right_gain if side is Side.RIGHT else 1.0

    def _lag_s(self, side: Side) -> float:
        p = self.params
        lag_ms = p.glute_lag_ms + float(self._plan.normal(0.0, p.lag_jitter_ms))
        if side is Side.RIGHT:
            lag_ms += p.right_lag_offset_ms
        if p.pattern is Pattern.GLUTE_FIRST:
            lag_ms = min(lag_ms, 0.0)
        elif p.pattern is Pattern.GLUTE_LATE:
            lag_ms = max(lag_ms, 1.0)
        return lag_ms * 1e-3

    def _activate(self, muscle: Muscle, side: Side, t_on_s: float, level: float | None = None) -> Burst:
        """Plan an activation of ``muscle`` on ``side`` starting at ``t_on_s``."""
        rel = _LEVEL[muscle] if level is None else level
        level_uv = self.params.plateau_uv * rel * self._side_gain(side) * self._u((0.85, 1.15))
        burst = Burst(t_on_s, self._u(self.params.rise_ms, 1e-3), level_uv)
        col = self._col.get(Role.emg(muscle, side))
        if col is not None:
            self._bursts.append((col, burst))
        return burst

    def _release(self, bursts: Iterable[Burst], t_s: float) -> None:
        for b in bursts:
            b.t_off_s = t_s + self._u((0.0, 40.0), 1e-3)
            b.fall_s = self._u(self.params.fall_ms, 1e-3)

    def _artifact(self, t0_s: float, scale: float) -> None:
        n_ch = len(self.params.emg_roles)
        amp = self._plan.uniform(*self.params.artifact_uv, n_ch) * self._plan.choice([-1.0, 1.0], n_ch)
        tau_s = self._u((0.06, 0.15))
        if self.params.motion_artifacts:
            self._artifacts.append((t0_s, tau_s, amp * scale))

    def _bridge_lift(self, t_cue_s: float, side: Side | None) -> None:
        p = self.params
        self._n_bridge += 1
        reaction_s, t_first = self._start_after(t_cue_s)
        move_s = t_first + self._u(p.movement_delay_ms, 1e-3)
        for rep in self._bridge_open:  # lifted again without a "lower" cue: let go first
            self._release(rep.muscles.values(), t_first - 0.3)
            rep.offset_s = t_first - 0.3
        self._bridge_open = []
        for s in (Side.LEFT, Side.RIGHT):
            t0 = t_first + self._u((0.0, 12.0), 1e-3)
            lag = self._lag_s(s)
            muscles: dict[Role, Burst] = {}
            if p.pattern is Pattern.GLUTE_ABSENT:
                t_ham, t_glute = t0, None
            elif lag <= 0:
                t_glute, t_ham = t0, t0 - lag
            else:
                t_ham, t_glute = t0, t0 + lag
            muscles[Role.emg(Muscle.HAMSTRING, s)] = self._activate(Muscle.HAMSTRING, s, t_ham)
            if t_glute is not None:
                muscles[Role.emg(Muscle.GLUTE_MAX, s)] = self._activate(Muscle.GLUTE_MAX, s, t_glute)
                t_med = t_glute + self._u((0.0, 30.0), 1e-3)
                muscles[Role.emg(Muscle.GLUTE_MED, s)] = self._activate(Muscle.GLUTE_MED, s, t_med)
            erector = 0.3 if p.pattern is Pattern.GLUTE_FIRST else 0.6  # the lower back takes over
            t_er = t0 + self._u((0.0, 40.0), 1e-3)
            muscles[Role.emg(Muscle.ERECTOR, s)] = self._activate(Muscle.ERECTOR, s, t_er, erector)
            rep = PerformedRep(self._n_bridge, s, "cue", t_cue_s, reaction_s, move_s, muscles)
            self._reps.append(rep)
            self._bridge_open.append(rep)
        self._bridge_lift_deg = -self._u((20.0, 30.0))
        self._pitch.append(Transition(move_s, self._u((0.5, 1.0)), self._bridge_lift_deg))
        self._artifact(move_s, 1.0)

    def _bridge_lower(self, t_cue_s: float, side: Side | None) -> None:
        if not self._bridge_open:
            return
        _, t_rel = self._start_after(t_cue_s)
        move_s = t_rel + self._u(self.params.movement_delay_ms, 1e-3)
        for rep in self._bridge_open:
            self._release(rep.muscles.values(), t_rel)
            rep.release_cue_s, rep.offset_s, rep.movement_offset_s = t_cue_s, t_rel, move_s
        self._pitch.append(Transition(move_s, self._u((0.6, 1.0)), -self._bridge_lift_deg))
        self._artifact(move_s, 0.5)
        self._bridge_open = []

    def _stand_lift(self, t_cue_s: float, side: Side | None) -> None:
        if self._stance is not None:
            self._stand_release(t_cue_s, self._stance.side)
        stance = side or Side.LEFT
        _, t_first = self._start_after(t_cue_s)
        bursts = {
            Role.emg(Muscle.GLUTE_MED, stance): self._activate(Muscle.GLUTE_MED, stance, t_first, 0.35),
            Role.emg(Muscle.ERECTOR, stance): self._activate(
                Muscle.ERECTOR, stance, t_first + self._u((0.0, 40.0), 1e-3), 0.15
            ),
            Role.emg(Muscle.HAMSTRING, stance.other): self._activate(
                Muscle.HAMSTRING, stance.other, t_first + self._u((10.0, 50.0), 1e-3), 0.3
            ),
        }
        move_s = t_first + self._u(self.params.movement_delay_ms, 1e-3)
        roll = (1.0 if stance is Side.LEFT else -1.0) * self._u((4.0, 8.0))
        self._roll.append(Transition(move_s, self._u((0.4, 0.7)), roll))
        self._sway_gate.append(Transition(move_s, 0.5, 1.0))
        self._artifact(move_s, 0.6)
        self._stance = Stance(stance, t_cue_s, bursts, roll)

    def _stand_squeeze(self, t_cue_s: float, side: Side | None) -> None:
        p = self.params
        if self._stance is None or (side is not None and side is not self._stance.side):
            self._stance = Stance(side or Side.LEFT, None, {}, 0.0)
        st = self._stance
        self._n_squeeze[st.side] += 1
        reaction_s, t_first = self._start_after(t_cue_s)
        false_starts: list[Burst] = []
        muscles: dict[Role, Burst] = {}
        glute_role, ham_role = Role.emg(Muscle.GLUTE_MAX, st.side), Role.emg(Muscle.HAMSTRING, st.side)
        if p.pattern is Pattern.GLUTE_ABSENT:
            muscles[ham_role] = self._activate(Muscle.HAMSTRING, st.side, t_first, 0.5)
            first_sustained = t_first
        else:
            lag = self._lag_s(st.side)
            t = t_first + max(lag, 0.0)
            for _ in range(p.false_starts):
                dur_s = self._u((60.0, 150.0), 1e-3)
                level_uv = p.plateau_uv * self._side_gain(st.side) * self._u((0.25, 0.5))
                fs_burst = Burst(t, 0.5 * dur_s, level_uv, t_off_s=t + 0.5 * dur_s, fall_s=0.5 * dur_s)
                if glute_role in self._col:
                    self._bursts.append((self._col[glute_role], fs_burst))
                false_starts.append(fs_burst)
                t += dur_s + self._u((150.0, 300.0), 1e-3)
            muscles[glute_role] = self._activate(Muscle.GLUTE_MAX, st.side, t)
            t_ham = t_first if lag > 0 else t - lag
            muscles[ham_role] = self._activate(Muscle.HAMSTRING, st.side, t_ham, 0.5)
            first_sustained = min(t, t_ham)
        move_s = first_sustained + self._u(p.movement_delay_ms, 1e-3)
        tilt = -self._u((2.0, 4.0))
        self._pitch.append(Transition(move_s, self._u((0.3, 0.6)), tilt))
        st.pitch_delta_deg += tilt
        self._artifact(move_s, 0.3)
        rep = PerformedRep(self._n_squeeze[st.side], st.side, "squeeze", t_cue_s, reaction_s, move_s, muscles)
        rep.false_starts = false_starts
        rep.lift_cue_s = st.lift_cue_s
        rep.lift_muscles = dict(st.bursts)
        st.bursts.update(muscles)
        st.reps.append(rep)
        self._reps.append(rep)

    def _stand_release(self, t_cue_s: float, side: Side | None) -> None:
        st = self._stance
        if st is None:
            return
        _, t_rel = self._start_after(t_cue_s)
        self._release(st.bursts.values(), t_rel)
        move_s = t_rel + self._u(self.params.movement_delay_ms, 1e-3)
        for rep in st.reps:
            if rep.release_cue_s is None:
                rep.release_cue_s, rep.offset_s, rep.movement_offset_s = t_cue_s, t_rel, move_s
        dur_s = self._u((0.4, 0.7))
        if st.roll_delta_deg:
            self._roll.append(Transition(move_s, dur_s, -st.roll_delta_deg))
            self._sway_gate.append(Transition(move_s, 0.5, -1.0))
        if st.pitch_delta_deg:
            self._pitch.append(Transition(move_s, dur_s, -st.pitch_delta_deg))
        self._artifact(move_s, 0.6)
        self._stance = None

    # ------------------------------------------------------------ generation
    def activation_envelope(self, t_s: FloatArray) -> FloatArray:
        """Activation envelope (plateau RMS, µV) of every EMG column at times ``t_s``.

        Returns shape ``(len(t_s), n_emg_channels)``; exactly 0 where no muscle is active.
        """
        t = np.asarray(t_s, dtype=np.float64)
        env = np.zeros((t.size, len(self.params.emg_roles)))
        if t.size == 0:
            return env
        t_lo, t_hi = float(t.min()), float(t.max())
        for col, b in self._bursts:
            if b.t_on_s < t_hi and b.end_s > t_lo:
                env[:, col] += b.envelope_uv(t)
        return env

    def generate_emg(self, n_samples: int) -> FloatArray:
        """The next ``n_samples`` EMG samples, shape ``(n_samples, n_emg_channels)``, µV."""
        p = self.params
        n_ch = len(p.emg_roles)
        if n_samples <= 0:
            return np.zeros((0, n_ch))
        t = (self._n_emg + np.arange(n_samples)) / p.emg_fs_hz
        self._n_emg += n_samples
        white = self._emg_rng.standard_normal((n_samples, 2 * n_ch))
        tc = t[:, None]
        mod = 1.0 + 0.05 * np.sin(2 * np.pi * 0.7 * tc + self._mod_phase)
        if self._fatigue is None:
            carrier, self._zi = sps.sosfilt(self._sos, white[:, :n_ch], axis=0, zi=self._zi)
            emg = self.activation_envelope(t) * mod * carrier / self._carrier_gain
        else:
            env = self.activation_envelope(t)
            emg = env * mod * self._fatigue.carrier(white[:, :n_ch], env, float(t[0]))
        emg += p.background_uv * white[:, n_ch:]
        emg += self._mains_amp * np.sin(2 * np.pi * p.mains_hz * tc + self._mains_phase)
        if 3 * p.mains_hz < 0.5 * p.emg_fs_hz:
            emg += 0.3 * self._mains_amp * np.sin(2 * np.pi * 3 * p.mains_hz * tc + 2 * self._mains_phase)
        for k, f_hz in enumerate((0.11, 0.29)):
            emg += self._wander_amp[k] * np.sin(2 * np.pi * f_hz * tc + self._wander_phase[k])
        for t0_s, tau_s, amp in self._artifacts:
            if t0_s < t[-1] and t0_s + 40.0 * tau_s > t[0]:
                emg += artifact_shape(t, t0_s, tau_s)[:, None] * amp
        return np.asarray(emg, dtype=np.float64)

    def generate_imu(self, n_samples: int) -> FloatArray:
        """The next ``n_samples`` IMU samples, shape ``(n_samples, 6)`` (:mod:`glutesense.virtual.posture`).

        Columns ``acc_x, acc_y, acc_z`` (g) and ``gyr_x, gyr_y, gyr_z`` (deg/s).
        """
        if n_samples <= 0:
            return np.zeros((0, 6))
        t = (self._n_imu + np.arange(n_samples)) / self.params.imu_fs_hz
        self._n_imu += n_samples
        angles = segment_angles(t, self.protocol, self._pitch, self._roll, self._sway_gate, self._sway_phase)
        return imu_samples(angles, self._gyr_bias_dps, self._imu_rng.standard_normal((n_samples, 6)))

    # ----------------------------------------------------------------- truth
    def truth(self) -> dict[str, Any]:
        """Ground truth so far, JSON-able; times on the device axis (s since the first sample)."""
        return {
            "model": "glutesense.virtual.person",
            "model_version": 1,
            "protocol": self.protocol.value,
            "time_axis": "device seconds since the first sample of the stream (EMG and IMU)",
            "onset_definition": "activation start: the envelope leaves 0 (raised-cosine rise); "
            "t10 = time the envelope reaches 10 % of its plateau",
            "imu_site": IMU_SITE[self.protocol],
            "emg_roles": [r.value for r in self.params.emg_roles],
            "imu_roles": [r.value for r in IMU_ROLES],
            "params": self.params.to_json(),
            "cues": [dict(c) for c in self._cues],
            "reps": [r.to_json() for r in self._reps],
            **FatiguingCarrier.truth_of(self._fatigue, self.params.emg_roles, self._reps),
        }


