"""A small two-stream recording (EMG with a gap, a 6-axis IMU, events) for round-trip tests."""

from __future__ import annotations

import numpy as np

from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import Role, Side

EMG_FS_HZ = 1000.0
IMU_FS_HZ = 100.0
DURATION_S = 4.0
EMG_ROLES = (Role.GLUTE_MAX_L, Role.HAMSTRING_L)
IMU_ROLES = (Role.ACC_X, Role.ACC_Y, Role.ACC_Z, Role.GYR_X, Role.GYR_Y, Role.GYR_Z)
GAP = slice(1500, 1520)  # EMG samples lost, 20 ms from 1.5 s
EVENTS = (
    Event(0.0, 1.0, "rest"),
    Event(1.25, 0.0, "cue", Side.LEFT, 1),
    Event(1.5, 0.02, "gap"),
    Event(2.75, 0.0, "cue", Side.RIGHT, 2),
    Event(3.5, 0.0, "user mark"),
)


def make_recording(emg_fs_hz: float = EMG_FS_HZ, imu_fs_hz: float = IMU_FS_HZ, *, emg_t0_s: float = 0.0,
                   imu_t0_s: float = 0.0) -> Recording:
    """2 EMG roles (µV: 50/80 Hz sines + noise, a 20 ms NaN gap) and a 6-axis IMU (g, deg/s)."""
    rng = np.random.default_rng(7)
    t_s = np.arange(round(DURATION_S * emg_fs_hz)) / emg_fs_hz
    emg_uv = np.vstack([
        400.0 * np.sin(2 * np.pi * 50.0 * t_s) + rng.normal(0.0, 20.0, t_s.size),
        150.0 * np.sin(2 * np.pi * 80.0 * t_s + 1.0) + rng.normal(0.0, 10.0, t_s.size),
    ])
    emg_uv[:, GAP] = np.nan
    ti_s = np.arange(round(DURATION_S * imu_fs_hz)) / imu_fs_hz
    acc_g = np.vstack([0.2 * np.sin(2 * np.pi * 0.5 * ti_s), 0.1 * np.cos(2 * np.pi * 0.5 * ti_s),
                       1.0 + 0.05 * rng.normal(size=ti_s.size)])
    gyr_dps = np.vstack([90.0 * np.sin(2 * np.pi * 0.25 * ti_s), rng.normal(0.0, 5.0, (2, ti_s.size))])
    streams = (
        Stream("emg", emg_fs_hz, emg_t0_s, EMG_ROLES, emg_uv),
        Stream("imu", imu_fs_hz, imu_t0_s, IMU_ROLES, np.vstack([acc_g, gyr_dps])),
    )
    meta = {"subject": "S07", "created_utc": "2024-05-01T10:11:12Z", "operator": "Jane Doe"}
    return Recording(streams, EVENTS, meta, "synthetic")
