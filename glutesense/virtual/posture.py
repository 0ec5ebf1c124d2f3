"""The virtual person's IMU: a gravity-projection model of one body segment.

The segment is the thigh for the bridge and the pelvis for the single-leg stand.  Its pitch and
roll (deg) are a resting posture plus smooth transitions (:class:`~glutesense.virtual.shapes.Transition`)
and, while standing on one leg, a gated sway; the sensor reads::

    acc = (-sin p + r_thigh * p'' / g,  sin r cos p,  cos r cos p)   g
    gyr = (dr/dt, dp/dt, 0) + bias                                    deg/s

plus white noise on every axis.  Pure functions of time: the person keeps the transitions and the
random state (:class:`~glutesense.virtual.person.VirtualPerson`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.model.roles import Protocol
from glutesense.virtual.shapes import Transition

G_MPS2 = 9.80665
THIGH_RADIUS_M = 0.25
POSTURE_DEG = {Protocol.BRIDGE: (40.0, 0.0), Protocol.SINGLE_LEG_STAND: (70.0, 0.0)}  # (pitch, roll)
IMU_SITE = {Protocol.BRIDGE: "thigh", Protocol.SINGLE_LEG_STAND: "pelvis"}
ACC_NOISE_G = 0.004
GYR_NOISE_DPS = 0.15
SWAY_DEG = 1.2
SWAY_HZ = 0.7


class SegmentAngles(NamedTuple):
    """Pitch and roll of the segment and their derivatives at each instant."""

    pitch_deg: FloatArray
    pitch_rate_dps: FloatArray
    pitch_acc_dps2: FloatArray
    roll_deg: FloatArray
    roll_rate_dps: FloatArray


def segment_angles(
    t: FloatArray,
    protocol: Protocol,
    pitch: Sequence[Transition],
    roll: Sequence[Transition],
    sway_gate: Sequence[Transition],
    sway_phase: float,
) -> SegmentAngles:
    """The segment's angles at times ``t`` (s): resting posture, transitions and gated sway.

    ``sway_gate`` holds unitless 0..1 transitions (stored as "deg") that switch the sway on
    while the person stands on one leg.
    """
    pitch0, roll0 = POSTURE_DEG[protocol]
    p = np.full(t.shape, pitch0)
    p_rate = np.zeros(t.shape)
    p_acc = np.zeros(t.shape)
    for tr in pitch:
        p += tr.value(t)
        p_rate += tr.rate(t)
        p_acc += tr.accel(t)
    r = np.full(t.shape, roll0)
    r_rate = np.zeros(t.shape)
    for tr in roll:
        r += tr.value(t)
        r_rate += tr.rate(t)
    gate = np.zeros(t.shape)
    gate_rate = np.zeros(t.shape)
    for tr in sway_gate:
        gate += tr.value(t)
        gate_rate += tr.rate(t)
    w = 2 * np.pi * SWAY_HZ
    sway = np.sin(w * t + sway_phase)
    r += SWAY_DEG * gate * sway
    r_rate += SWAY_DEG * (gate_rate * sway + gate * w * np.cos(w * t + sway_phase))
    return SegmentAngles(p, p_rate, p_acc, r, r_rate)


def imu_samples(angles: SegmentAngles, gyr_bias_dps: FloatArray, noise: FloatArray) -> FloatArray:
    """IMU samples, shape ``(n, 6)``: ``acc_x, acc_y, acc_z`` (g), ``gyr_x, gyr_y, gyr_z`` (deg/s).

    ``noise`` is unit-variance white noise of shape ``(n, 6)``, scaled here per axis.
    """
    pitch, pitch_rate, pitch_acc, roll, roll_rate = angles
    p_rad, r_rad = np.radians(pitch), np.radians(roll)
    out = np.empty((pitch.size, 6))
    out[:, 0] = -np.sin(p_rad) + THIGH_RADIUS_M * np.radians(pitch_acc) / G_MPS2
    out[:, 1] = np.sin(r_rad) * np.cos(p_rad)
    out[:, 2] = np.cos(r_rad) * np.cos(p_rad)
    out[:, 3] = roll_rate
    out[:, 4] = pitch_rate
    out[:, 5] = 0.0
    out[:, 3:] += gyr_bias_dps
    out[:, :3] += ACC_NOISE_G * noise[:, :3]
    out[:, 3:] += GYR_NOISE_DPS * noise[:, 3:]
    return out
