"""Signal quality per EMG channel: SNR, lost data, clipping, flat lines and a score, for the report and
the verdicts (the raw-sample checks live in :mod:`glutesense.signal.quality`)."""

from __future__ import annotations

from dataclasses import dataclass

from glutesense.analysis.pipeline import ChannelResult
from glutesense.model.roles import Role
from glutesense.signal.quality import SUSTAINED_S, SignalQuality

__all__ = ["CLIP_FRACTION", "SUSTAINED_S", "ChannelQuality", "channel_quality"]

CLIP_FRACTION = 1e-3
"""More samples than this share held at an ADC rail: clipping suspected."""

MAX_RUN_NOTES = 3
"""Flat-line / clipping stretches named one by one in the notes (longest first); the rest are counted."""


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
        Share of samples held at an ADC rail in runs of >= 2 (None: unknown, no raw samples).
    n_bursts : int
    notes : tuple of str
    flat_fraction : float or None
        Share of samples in flat lines (None: unknown).
    score : float or None
        Channel quality 0..1 (:func:`glutesense.signal.quality.quality_score`; None: unknown).
    """

    role: Role
    baseline_uv: float
    active_uv: float | None
    snr_db: float | None
    lost_fraction: float
    clipped_fraction: float | None
    n_bursts: int
    notes: tuple[str, ...]
    flat_fraction: float | None = None
    score: float | None = None

    @property
    def clipping(self) -> bool:
        return self.clipped_fraction is not None and self.clipped_fraction > CLIP_FRACTION


def _run_notes(q: SignalQuality, runs: tuple[tuple[int, int], ...], what: str, why: str) -> list[str]:
    longest = sorted(runs, key=lambda r: (r[0] - r[1], r[0]))
    notes = [
        f"{what} for {stop_s - start_s:.1f} s from {start_s:.1f} s ({why})"
        for start_s, stop_s in sorted(q.runs_s(tuple(longest[:MAX_RUN_NOTES])))
    ]
    if len(runs) > MAX_RUN_NOTES:
        notes.append(f"{len(runs) - MAX_RUN_NOTES} shorter {what} stretches")
    return notes


def channel_quality(ch: ChannelResult) -> ChannelQuality:
    """Quality of ``ch``: lost data, clipping and flat lines from the raw-sample assessment ``analyze``
    made (``ch.quality``), SNR and score from its final bursts."""
    q = ch.quality
    clipped = q.clipped_fraction
    notes = []
    if q.lost_fraction > 0:
        notes.append(f"{100 * q.lost_fraction:.1f} % of samples lost")
    if clipped > CLIP_FRACTION:
        notes.append(f"clipping suspected ({100 * clipped:.2f} % of samples held at a rail)")
        notes += _run_notes(q, q.clipped_runs, "clipping", "gain too high or electrode artefact?")
    if q.flat_runs:
        notes += _run_notes(q, q.flat_runs, "flat line", "electrode contact?")
    if ch.active_uv is None:
        notes.append("no sustained contraction detected")
    return ChannelQuality(
        ch.role,
        ch.baseline.median,
        ch.active_uv,
        ch.snr_db,
        q.lost_fraction,
        clipped,
        len(ch.bursts),
        tuple(notes),
        flat_fraction=q.flat_fraction,
        score=ch.quality_score,
    )
