"""Run a virtual person through a cue schedule offline, with the same code as the live sensor."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any
from typing import Protocol as TypingProtocol

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.model.roles import Protocol, Side
from glutesense.virtual.params import PersonParams
from glutesense.virtual.person import VirtualPerson


class CueLike(TypingProtocol):
    """Anything with a cue's time (s), label and side (a recorder ``ScheduledCue`` fits)."""

    @property
    def t_s(self) -> float: ...
    @property
    def label(self) -> str: ...
    @property
    def side(self) -> Side | None: ...


def simulate(
    protocol: Protocol,
    schedule: Iterable[CueLike],
    params: PersonParams,
    *,
    duration_s: float | None = None,
) -> tuple[FloatArray, FloatArray, dict[str, Any]]:
    """Run a person through ``schedule`` offline, with the same code as the live sensor.

    Parameters
    ----------
    protocol : Protocol
    schedule : iterable of cue-like objects
        ``t_s`` (device seconds), ``label`` and ``side``; entries with a false
        ``is_event`` attribute (such as the recorder's ``end``) only extend the duration.
    params : PersonParams
    duration_s : float, optional
        Length of the simulation, s; default 2 s after the last schedule entry.

    Returns
    -------
    emg_uv : ndarray, shape (n_emg_samples, n_emg_channels)
    imu : ndarray, shape (n_imu_samples, 6)
        g and deg/s.
    truth : dict
        :meth:`VirtualPerson.truth`.
    """
    person = VirtualPerson(params, protocol)
    cues = sorted(schedule, key=lambda c: c.t_s)
    if duration_s is None:
        duration_s = (cues[-1].t_s if cues else 0.0) + 2.0
    emg_parts: list[FloatArray] = []
    imu_parts: list[FloatArray] = []

    def advance(t_s: float) -> None:
        n_emg = math.ceil(t_s * params.emg_fs_hz - 1e-9) - person.n_emg_samples
        n_imu = math.ceil(t_s * params.imu_fs_hz - 1e-9) - person.n_imu_samples
        if n_emg > 0:
            emg_parts.append(person.generate_emg(n_emg))
        if n_imu > 0:
            imu_parts.append(person.generate_imu(n_imu))

    for cue in cues:
        if cue.t_s > duration_s:
            break
        advance(cue.t_s)
        if getattr(cue, "is_event", True):
            person.on_cue(cue.label, cue.t_s, cue.side)
    advance(duration_s)
    n_ch = len(params.emg_roles)
    emg = np.concatenate(emg_parts) if emg_parts else np.zeros((0, n_ch))
    imu = np.concatenate(imu_parts) if imu_parts else np.zeros((0, 6))
    return emg, imu, person.truth()
