"""Signal quality of one raw EMG channel: clipping, flat lines, lost samples and a 0..1 score.

Pure: arrays in, frozen dataclasses out.  Sample runs are half-open ``[start, stop)`` sample
indices into the channel; times are seconds on the recording's axis (``t0_s`` + index / ``fs_hz``).

- **Clipping**: runs of at least ``CLIP_MIN_SAMPLES`` consecutive samples at an ADC rail.  The rails
  are the known ``rail_uv`` if given, else the channel's own maximum and minimum, which count as a
  rail only when samples pile up there (more samples sit at the extreme than at the next value
  inside it: a clean signal thins out towards its extremes, a clipped one piles up at the rail).
  A channel whose extremes are hit once, or in a natural tail, is not clipping.
- **Flat line**: runs of exactly identical finite values lasting at least ``FLAT_MIN_S`` and
  ``FLAT_MIN_SAMPLES`` samples (electrode off, a stuck ADC, a device padding lost packets with
  repeated values).  So that coarsely quantised rest noise (a 12-bit ADC whose resting EMG takes a few
  levels) is not mistaken for one, the minimum length grows with how often the channel repeats a
  value anyway: with ``p`` the share of unchanged consecutive samples in a typical second (the median
  over 1 s blocks), a run of ``L`` identical samples happens by chance with probability about
  ``p^(L-1)``; ``L`` is raised until fewer than ``FLAT_FALSE_RUNS`` such runs are expected in the
  whole channel.  Samples at a clipping rail are clipping, not flat line.
- **Lost**: NaN samples (dropped packets).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glutesense.model.arrays import BoolArray, FloatArray
from glutesense.model.robust import median_sd
from glutesense.signal.runs import covered, mask_of, runs_of
from glutesense.signal.units import index_at, n_samples

Runs = tuple[tuple[int, int], ...]

CLIP_MIN_SAMPLES = 2
"""A rail must hold at least this many consecutive samples to count as clipping."""

FLAT_MIN_S = 0.05
FLAT_MIN_SAMPLES = 5
"""A flat line lasts at least ``FLAT_MIN_S`` and at least ``FLAT_MIN_SAMPLES`` samples."""

FLAT_FALSE_RUNS = 0.01
"""Expected number of chance flat runs in a channel that the flat-line minimum length allows."""

FLAT_LOST_S = 0.1
"""Flat lines at least this long on a channel whose resting noise exceeds one ADC step are treated as
lost samples before detection (see :func:`stalled_runs`)."""

SNR_FULL_DB = 12.0
"""SNR from which the channel's activation counts fully in the score (activation RMS 4x the rest)."""

SUSTAINED_S = 0.5
"""Bursts at least this long count as contractions when measuring the active level."""

ONSET_WINDOW_S = 0.2
"""Half-width of the window around an onset whose damage lowers the burst's confidence."""


@dataclass(frozen=True)
class SignalQuality:
    """Damage found in one raw EMG channel.

    Attributes
    ----------
    fs_hz, t0_s : float
        Sample rate and time of the first sample.
    n_samples : int
    lost_runs, clipped_runs, flat_runs : tuple of (int, int)
        Half-open sample runs ``[start, stop)``: NaN samples; samples at a clipping rail; flat line
        (not counting clipped samples).
    lost_fraction, clipped_fraction, flat_fraction : float
        Share of all samples in each kind of run (0 for an empty channel, except lost: 1).
    damaged_fraction : float
        Share of samples in any of them (lost, clipped or flat).
    flat_min_samples : int
        The minimum flat-line length used for this channel (see the module docstring).
    step_uv : float or None
        The ADC step, µV: the smallest change between consecutive samples at rest (None: unknown).
    rest_noise_steps : float or None
        Resting noise in ADC steps: robust SD of the sample-to-sample differences / sqrt(2) in the
        quietest seconds, divided by ``step_uv`` (None: unknown).
    """

    fs_hz: float
    t0_s: float
    n_samples: int
    lost_runs: Runs
    clipped_runs: Runs
    flat_runs: Runs
    lost_fraction: float
    clipped_fraction: float
    flat_fraction: float
    damaged_fraction: float
    flat_min_samples: int
    step_uv: float | None
    rest_noise_steps: float | None

    def runs_s(self, runs: Runs) -> tuple[tuple[float, float], ...]:
        """``runs`` as ``(start_s, stop_s)`` times."""
        return tuple((self.t0_s + a / self.fs_hz, self.t0_s + b / self.fs_hz) for a, b in runs)


@dataclass(frozen=True)
class WindowDamage:
    """Share of a time window that is lost, clipped or flat (0..1 each); ``damaged``: any of them."""

    lost: float
    clipped: float
    flat: float
    damaged: float


def _runs(mask: BoolArray, min_len: int = 1) -> Runs:
    return tuple(runs_of(mask, min_len))


def _rail_mask(x: FloatArray, ok: BoolArray, rail_uv: tuple[float, float] | None) -> BoolArray:
    """Samples at a rail: the known ``rail_uv`` (low, high), else a piled-up channel extreme."""
    at = np.zeros(x.size, dtype=bool)
    v = x[ok]
    if rail_uv is not None:
        lo_uv, hi_uv = rail_uv
        at[ok] = (v <= lo_uv) | (v >= hi_uv)
        return at
    if v.size < 3:
        return at
    for extreme, inside in ((v.max(), v < v.max()), (v.min(), v > v.min())):
        n_at = int(v.size - inside.sum())
        if n_at < CLIP_MIN_SAMPLES or not inside.any():
            continue
        rest = v[inside]
        nearest = rest.max() if extreme == v.max() else rest.min()
        if n_at > int((v == nearest).sum()):  # piled up at the extreme: a rail
            at[ok] |= v == extreme
    return at


def _diff_blocks(x: FloatArray, fs_hz: float) -> FloatArray:
    """``diff(x)`` cut into whole 1 s blocks, shape ``(n_blocks, block)`` (NaN where lost)."""
    d = np.diff(x)
    size = max(n_samples(1.0, fs_hz), 2)
    n_blocks = d.size // size
    if n_blocks == 0:
        return d[np.newaxis, :] if d.size >= 2 else np.zeros((0, 2))
    return d[: n_blocks * size].reshape(n_blocks, size)


def _repeat_share(blocks: FloatArray) -> float:
    """Median over 1 s blocks of the share of unchanged consecutive finite samples."""
    n_finite = np.isfinite(blocks).sum(axis=1)
    keep = n_finite > 0
    if not keep.any():
        return 0.0
    shares = (blocks[keep] == 0.0).sum(axis=1) / n_finite[keep]
    return float(np.median(shares))


def _rest_noise(blocks: FloatArray) -> tuple[float | None, float | None]:
    """Resting noise and ADC step, µV, from the quietest 1 s blocks that are not mostly a flat line.

    Noise: robust SD of ``diff(x) / sqrt(2)`` (the plain SD where a block takes so few levels that its
    MAD is 0), the smallest over the five quietest blocks (by mean absolute difference).  Step: the
    smallest nonzero absolute difference in those blocks (at rest, neighbouring samples often differ by
    one step).
    """
    n_finite = np.isfinite(blocks).sum(axis=1)
    zero = (blocks == 0.0).sum(axis=1)
    keep = np.flatnonzero((n_finite >= 4) & (zero <= 0.9 * n_finite))
    if not keep.size:
        return None, None
    level = np.nanmean(np.abs(blocks[keep]), axis=1)
    noise: float | None = None
    step: float | None = None
    for k in keep[np.argsort(level)[:5]]:
        d = blocks[k][np.isfinite(blocks[k])]
        _, sd = median_sd(d)
        if sd == 0.0:
            sd = float(np.std(d))
        noise = sd if noise is None else min(noise, sd)
        nz = np.abs(d[d != 0.0])
        if nz.size:
            step = float(nz.min()) if step is None else min(step, float(nz.min()))
    return (None if noise is None else noise / math.sqrt(2.0)), step


def flat_min_samples(repeat_share: float, n_total: int, fs_hz: float) -> int:
    """Minimum flat-line length, samples: ``FLAT_MIN_S``, ``FLAT_MIN_SAMPLES``, and long enough that
    fewer than ``FLAT_FALSE_RUNS`` chance runs are expected when a value repeats with probability
    ``repeat_share`` (see the module docstring)."""
    base = max(FLAT_MIN_SAMPLES, math.ceil(FLAT_MIN_S * fs_hz - 1e-9))
    if repeat_share <= 0.0 or n_total <= 1:
        return base
    if repeat_share >= 1.0:
        return max(base, n_total + 1)
    chance = 1 + math.log(FLAT_FALSE_RUNS / n_total) / math.log(repeat_share)
    return max(base, math.ceil(chance))


def assess_channel(
    emg_uv: FloatArray,
    fs_hz: float,
    *,
    t0_s: float = 0.0,
    rail_uv: tuple[float, float] | None = None,
) -> SignalQuality:
    """Clipping, flat lines and lost samples of one raw EMG channel (see the module docstring).

    Parameters
    ----------
    emg_uv : ndarray, shape (n_samples,)
        Raw (un-conditioned) EMG, µV; NaN where samples were lost.
    fs_hz : float
    t0_s : float
        Time of the first sample, s.
    rail_uv : (float, float), optional
        Known ADC rails (low, high), µV: samples at or beyond them are clipped.  Default: the
        channel's own extremes where samples pile up.

    Returns
    -------
    SignalQuality
    """
    x = np.asarray(emg_uv, dtype=np.float64)
    n = int(x.size)
    ok = np.isfinite(x)
    lost_runs = _runs(~ok)
    clipped_runs = _runs(_rail_mask(x, ok, rail_uv), CLIP_MIN_SAMPLES)
    clipped = mask_of(n, clipped_runs)
    blocks = _diff_blocks(x, fs_hz)
    min_flat = flat_min_samples(_repeat_share(blocks), n, fs_hz)
    flat_runs: Runs = ()
    if n > 1:
        # k consecutive unchanged steps are k + 1 identical samples; samples at a rail are clipping
        kept = ok & ~clipped
        eq = kept[1:] & kept[:-1] & (np.diff(np.where(ok, x, 0.0)) == 0.0)
        flat_runs = tuple((a, b + 1) for a, b in _runs(eq, max(min_flat - 1, 1)))
    noise, step = _rest_noise(blocks)
    damaged = covered(_runs(mask_of(n, lost_runs + clipped_runs + flat_runs)))
    return SignalQuality(
        fs_hz=fs_hz,
        t0_s=t0_s,
        n_samples=n,
        lost_runs=lost_runs,
        clipped_runs=clipped_runs,
        flat_runs=flat_runs,
        lost_fraction=covered(lost_runs) / n if n else 1.0,
        clipped_fraction=covered(clipped_runs) / n if n else 0.0,
        flat_fraction=covered(flat_runs) / n if n else 0.0,
        damaged_fraction=damaged / n if n else 1.0,
        flat_min_samples=min_flat,
        step_uv=step,
        rest_noise_steps=noise / step if noise is not None and step else None,
    )


def stalled_runs(q: SignalQuality, *, min_s: float = FLAT_LOST_S) -> Runs:
    """Flat-line runs that are clearly not quantised rest, to be treated as lost before detection.

    A run qualifies when it lasts at least ``min_s`` and the channel's resting noise is more than one
    ADC step (``rest_noise_steps > 1``): such a channel changes value almost every sample even at
    rest, so ``min_s`` of one exact value is a stalled signal (electrode off, stuck ADC, padding), not
    EMG.  On a channel whose rest stays within one step the runs are only flagged, never removed.
    """
    if q.rest_noise_steps is None or q.rest_noise_steps <= 1.0:
        return ()
    need = max(n_samples(min_s, q.fs_hz), q.flat_min_samples)
    return tuple((a, b) for a, b in q.flat_runs if b - a >= need)


def window_damage(q: SignalQuality, start_s: float, stop_s: float) -> WindowDamage:
    """Share of ``[start_s, stop_s)`` that is lost, clipped or flat (time outside the channel: lost)."""
    a = index_at(start_s, q.fs_hz, q.t0_s)
    b = max(index_at(stop_s, q.fs_hz, q.t0_s), a + 1)
    width = b - a
    lo, hi = max(a, 0), min(b, q.n_samples)
    outside = width - max(hi - lo, 0)

    def share(runs: Runs) -> BoolArray:
        return mask_of(q.n_samples, runs)[lo:hi] if hi > lo else np.zeros(0, dtype=bool)

    lost, clip, flat = share(q.lost_runs), share(q.clipped_runs), share(q.flat_runs)
    return WindowDamage(
        lost=(int(lost.sum()) + outside) / width,
        clipped=int(clip.sum()) / width,
        flat=int(flat.sum()) / width,
        damaged=(int((lost | clip | flat).sum()) + outside) / width,
    )


def onset_damage(q: SignalQuality, onset_s: float, *, half_width_s: float = ONSET_WINDOW_S) -> float:
    """Damaged share of ``[onset_s - half_width_s, onset_s + half_width_s)``."""
    return window_damage(q, onset_s - half_width_s, onset_s + half_width_s).damaged


def active_level_uv(
    envelope_uv: FloatArray,
    env_hz: float,
    env_t0_s: float,
    bursts_s: Sequence[tuple[float, float]],
    *,
    min_duration_s: float = SUSTAINED_S,
) -> float | None:
    """Median envelope (µV RMS) inside the ``(onset_s, offset_s)`` bursts lasting ``min_duration_s``."""
    parts = []
    for on_s, off_s in bursts_s:
        if off_s - on_s < min_duration_s:
            continue
        a = max(index_at(on_s, env_hz, env_t0_s), 0)
        z = min(index_at(off_s, env_hz, env_t0_s), envelope_uv.size)
        seg = envelope_uv[a:z]
        parts.append(seg[np.isfinite(seg)])
    v = np.concatenate(parts) if parts else np.zeros(0)
    return float(np.median(v)) if v.size else None


def snr_db(rest_uv: float, active_uv: float | None) -> float | None:
    """``20 log10(sqrt(active^2 - rest^2) / rest)``: activation RMS over resting RMS (None if unknown)."""
    if active_uv is None or rest_uv <= 0:
        return None
    excess = max(active_uv**2 - rest_uv**2, 1e-12)
    return 10.0 * math.log10(excess / rest_uv**2)


def quality_score(q: SignalQuality, snr: float | None) -> float:
    """Channel quality in [0, 1]: ``usable x activation``.

    ``usable = 1 - damaged_fraction``: the share of the recording that holds real EMG samples (not
    lost, not held at an ADC rail, not a flat line).  ``activation = clip(snr_db / SNR_FULL_DB, 0, 1)``:
    0 when a contraction is no larger than the resting noise (0 dB), 0.5 at 6 dB (activation RMS twice
    the rest), 1 from 12 dB (four times the rest) up; 1 when the SNR is unknown (no sustained
    contraction to measure it on).  The burst confidence written to ``onsets.csv`` is the detector's
    confidence x this score x (1 - damaged share of the onset +/- ``ONSET_WINDOW_S`` window).
    """
    usable = 1.0 - q.damaged_fraction
    activation = 1.0 if snr is None else min(max(snr / SNR_FULL_DB, 0.0), 1.0)
    return float(min(max(usable * activation, 0.0), 1.0))
