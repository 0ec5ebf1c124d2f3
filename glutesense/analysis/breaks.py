"""A sitting break, checked on the EMG: did the glute switch on after the prompt, how fast, how long.

The article's routine: stand every 20-30 minutes and squeeze the glutes.  Per prompt, over each
glute channel (µV): the 100-ms RMS envelope's resting level and robust SD over the baseline before
the prompt; the squeeze is *taken* when the envelope rises above ``rest + on_sd SD`` and at least
``on_ratio`` times the resting level for ``min_on_s``, and *verified* when it then stays there (with
``fill`` of the time) for ``hold_s``; the latency is from the prompt to that rise.  The glute that
rose first counts.  Pure: arrays in, a frozen dataclass out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.model.roles import Role
from glutesense.signal.condition import causal_envelope
from glutesense.signal.envelope import median_sd


@dataclass(frozen=True)
class BreakSettings:
    on_sd: float = 8.0
    on_ratio: float = 3.0
    min_on_s: float = 0.3
    hold_s: float = 2.0
    fill: float = 0.8
    envelope_s: float = 0.1


@dataclass(frozen=True)
class BreakCheck:
    """What the sensor saw after one prompt."""

    taken: bool
    verified: bool
    latency_s: float | None
    held_s: float
    level_ratio: float | None
    """The squeeze's median envelope over the resting level (None without a squeeze)."""


def _one(
    env: FloatArray, fs_hz: float, t0_s: float, prompt_s: float, rest: tuple[float, float], s: BreakSettings
) -> BreakCheck:
    i = lambda t: int(np.clip(round((t - t0_s) * fs_hz), 0, env.size))  # noqa: E731
    base = env[i(rest[0]) : i(rest[1])]
    none = BreakCheck(False, False, None, 0.0, None)
    if base.size < 10:
        return none
    level, sd = median_sd(base)
    thr = max(level + s.on_sd * sd, s.on_ratio * level)
    after = env[i(prompt_s) :] > thr
    n_on, n_hold = max(1, int(s.min_on_s * fs_hz)), max(1, int(s.hold_s * fs_hz))
    run = np.convolve(after.astype(float), np.ones(n_on), mode="valid")
    starts = np.flatnonzero(run >= n_on)
    if starts.size == 0:
        return none
    k = int(starts[0])
    held_mask = after[k : k + n_hold]
    verified = held_mask.size >= n_hold and float(np.mean(held_mask)) >= s.fill
    on = after[k:]
    stop = np.flatnonzero(np.convolve((~on).astype(float), np.ones(n_on), mode="valid") >= n_on)
    held_s = (int(stop[0]) if stop.size else on.size) / fs_hz
    seg = env[i(prompt_s) + k : i(prompt_s) + k + max(n_hold, 1)]
    ratio = float(np.median(seg) / level) if level > 0 and seg.size else None
    return BreakCheck(True, bool(verified), k / fs_hz, held_s, ratio)


def check_break(
    channels: Mapping[Role, tuple[FloatArray, float, float]],
    prompt_s: float,
    rest: tuple[float, float],
    settings: BreakSettings = BreakSettings(),
) -> BreakCheck:
    """Check the squeeze after a prompt at ``prompt_s`` on the glute ``channels`` ``(x_uv, fs_hz, t0_s)``.

    ``rest`` is the baseline ``[start_s, stop_s)`` before the prompt (session seconds).
    """
    checks = [
        _one(causal_envelope(x, fs, window_s=settings.envelope_s), fs, t0, prompt_s, rest, settings)
        for x, fs, t0 in channels.values()
    ]
    taken = [c for c in checks if c.taken]
    if not taken:
        return BreakCheck(False, False, None, 0.0, None)
    best = min(taken, key=lambda c: c.latency_s if c.latency_s is not None else np.inf)
    verified = any(c.verified for c in taken)
    return BreakCheck(True, verified, best.latency_s, max(c.held_s for c in taken), best.level_ratio)
