"""Signal quality per EMG channel: SNR, lost data, clipping, for the report and the verdicts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glutesense.analysis import ChannelResult
from glutesense.records import Recording
from glutesense.roles import Role
from glutesense.signal.units import index_at

SUSTAINED_S = 0.5
"""Bursts at least this long count as contractions when measuring the active level."""

CLIP_FRACTION = 1e-3
"""More samples than this share sitting at the channel's extreme value: clipping suspected."""


@dataclass(frozen=True)
class ChannelQuality:
    """Quality of one EMG channel.

    Attributes
    ----------
    role : Role
    baseline_uv : float
        Resting envelope (median, µV RMS).
    active_uv : float or None
        Median envelope inside sustained bursts (µV RMS), None without one.
    snr_db : float or None
        ``20 log10(sqrt(active^2 - rest^2) / rest)``: in-band activation RMS over resting RMS;
        None when the channel never contracted (no sustained burst).
    lost_fraction : float
        Share of samples lost (NaN) in the recording.
    clipped_fraction : float or None
        Share of samples at the channel's extreme values (None: no finite samples).
    n_bursts : int
    notes : tuple of str
    """

    role: Role
    baseline_uv: float
    active_uv: float | None
    snr_db: float | None
    lost_fraction: float
    clipped_fraction: float | None
    n_bursts: int
    notes: tuple[str, ...]

    @property
    def clipping(self) -> bool:
        return self.clipped_fraction is not None and self.clipped_fraction > CLIP_FRACTION


def _active_uv(ch: ChannelResult) -> float | None:
    parts = []
    for b in ch.bursts:
        if b.duration_s < SUSTAINED_S:
            continue
        a = max(index_at(b.onset_s, ch.trace_hz, ch.trace_t0_s), 0)
        z = min(index_at(b.offset_s, ch.trace_hz, ch.trace_t0_s), ch.trace_uv.size)
        seg = ch.trace_uv[a:z]
        parts.append(seg[np.isfinite(seg)])
    v = np.concatenate(parts) if parts else np.zeros(0)
    return float(np.median(v)) if v.size else None


def channel_quality(ch: ChannelResult, recording: Recording | None) -> ChannelQuality:
    """Quality of ``ch``.

    Lost data and clipping are read from the raw samples in ``recording``; without it, lost
    data come from the envelope's gaps and clipping is unknown (None).
    """
    x = recording.signal(ch.role)[0] if recording is not None else ch.trace_uv
    ok = np.isfinite(x)
    lost = float(1.0 - ok.mean()) if x.size else 1.0
    clipped: float | None = None
    if recording is not None and ok.any():
        v = x[ok]
        hi, lo = float(v.max()), float(v.min())
        clipped = float(((v >= hi) | (v <= lo)).mean()) if hi > lo else 1.0
    base = ch.baseline.median
    active = _active_uv(ch)
    snr: float | None = None
    if active is not None and base > 0:
        excess = max(active**2 - base**2, 1e-12)
        snr = 10.0 * math.log10(excess / base**2)
    notes = []
    if lost > 0:
        notes.append(f"{100 * lost:.1f} % of samples lost")
    if clipped is not None and clipped > CLIP_FRACTION:
        notes.append(f"clipping suspected ({100 * clipped:.2f} % of samples at the extremes)")
    if active is None:
        notes.append("no sustained contraction detected")
    return ChannelQuality(ch.role, base, active, snr, lost, clipped, len(ch.bursts), tuple(notes))
