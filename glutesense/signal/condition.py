"""EMG conditioning adapted to the sample rate.

Pipeline: per finite segment (NaN gaps from lost packets are kept as NaN and
never filtered across), remove the median, band-pass 20-450 Hz (the upper edge
is lowered to 0.45 ``fs_hz`` when the rate cannot carry 450 Hz, with a note),
then remove the mains frequency (50 or 60 Hz, detected from the data) and its
harmonics below Nyquist: a least-squares sinusoid fit is subtracted and an IIR
notch takes what drifts (the subtraction keeps the notch's edge transient small).
The 20 Hz high-pass edge removes DC and baseline wander (De Luca et al. 2010
recommend 20 Hz for surface EMG).

Filtering is causal by default, also offline: a forward-backward (zero-phase)
band-pass and notch spread a burst's energy *before* its onset (pre-ringing),
which pulled onsets 20-30 ms early on synthetic steps; the causal filters' delay
in the band is a few ms.  ``zero_phase=True`` is available and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.signal.envelope import rms_envelope
from glutesense.signal.filters import (
    causal_filter,
    design_bandpass,
    design_notch,
    zero_phase_filter,
)
from glutesense.signal.mains import detect_mains_hz, harmonics_below, subtract_sinusoids
from glutesense.signal.runs import runs_of
from glutesense.signal.units import n_samples

EDGE_PAD_S = 0.5
"""Odd-extension padding at each end of a segment for zero-phase filtering (notch settling)."""

MIN_FS_HZ = 50.0
"""Below this rate a surface-EMG channel carries no usable band; refused."""

EMG_BAND_HZ = (20.0, 450.0)
"""The surface-EMG analysis band, Hz (De Luca et al. 2010); its upper edge adapts to the rate."""


@dataclass(frozen=True)
class ConditionSettings:
    """What conditioning is asked for.

    Attributes
    ----------
    band_hz : (float, float)
        Requested pass band; adapted to the sample rate when needed.
    mains_hz : float or None
        Mains frequency to notch; None means detect it from the data.
    notch : bool
        Whether to notch mains at all.
    zero_phase : bool
        Forward-backward filtering (offline analysis) instead of causal.
    """

    band_hz: tuple[float, float] = EMG_BAND_HZ
    mains_hz: float | None = None
    notch: bool = True
    zero_phase: bool = False


@dataclass(frozen=True)
class Conditioned:
    """A conditioned EMG channel and how it was made.

    Attributes
    ----------
    signal_uv : ndarray, shape (n_samples,)
        Conditioned EMG, µV; NaN where the input was NaN.
    fs_hz : float
    band_hz : (float, float)
        Pass band actually used.
    mains_hz : float or None
        Mains frequency notched (None: no notch).
    notch_hz : tuple of float
        All notch frequencies applied (mains and harmonics).
    zero_phase : bool
    notes : tuple of str
        Human-readable notes on adaptations (band lowered, no mains found, gaps).
    """

    signal_uv: FloatArray
    fs_hz: float
    band_hz: tuple[float, float]
    mains_hz: float | None
    notch_hz: tuple[float, ...]
    zero_phase: bool
    notes: tuple[str, ...]


def adapt_band(
    band_hz: tuple[float, float], fs_hz: float, *, label: str = ""
) -> tuple[tuple[float, float], tuple[str, ...]]:
    """Fit a requested pass band to what ``fs_hz`` can carry.

    Raises
    ------
    ValueError
        When ``fs_hz`` is below :data:`MIN_FS_HZ` (with a message naming the channel).
    """
    who = f"{label}: " if label else ""
    if not np.isfinite(fs_hz) or fs_hz < MIN_FS_HZ:
        raise ValueError(
            f"{who}sample rate {fs_hz:g} Hz is too low for surface EMG (need at least {MIN_FS_HZ:g} Hz)"
        )
    low, high = band_hz
    notes: list[str] = []
    top = 0.45 * fs_hz
    if high > top:
        notes.append(
            f"{who}band-pass upper edge lowered from {high:g} Hz to {top:g} Hz "
            f"(sample rate {fs_hz:g} Hz, Nyquist {fs_hz / 2:g} Hz)"
        )
        high = top
    if low >= 0.5 * high:
        new_low = 0.25 * high
        notes.append(f"{who}band-pass lower edge lowered from {low:g} Hz to {new_low:g} Hz")
        low = new_low
    return (float(low), float(high)), tuple(notes)


def condition_emg(
    x_uv: FloatArray, fs_hz: float, *, settings: ConditionSettings | None = None, label: str = ""
) -> Conditioned:
    """Condition one EMG channel.

    Parameters
    ----------
    x_uv : ndarray, shape (n_samples,)
        Raw EMG, µV; NaN where samples were lost.
    fs_hz : float
        Sample rate.
    settings : ConditionSettings, optional
    label : str
        Channel name used in notes and errors.

    Returns
    -------
    Conditioned
    """
    cfg = settings or ConditionSettings()
    x = np.asarray(x_uv, dtype=np.float64)
    band, band_notes = adapt_band(cfg.band_hz, fs_hz, label=label)
    notes = list(band_notes)
    who = f"{label}: " if label else ""
    mains: float | None = None
    if cfg.notch:
        mains = cfg.mains_hz if cfg.mains_hz is not None else detect_mains_hz(x, fs_hz)
        if mains is None:
            notes.append(f"{who}no mains interference found; no notch applied")
    notch_hz = harmonics_below(mains, fs_hz) if mains is not None else ()
    sections = [design_bandpass(band[0], band[1], fs_hz)]
    sections += [design_notch(f, fs_hz) for f in notch_hz]
    sos = np.vstack(sections)
    pad_n = n_samples(EDGE_PAD_S, fs_hz)
    out = np.full_like(x, np.nan)
    runs = runs_of(np.isfinite(x))
    if len(runs) > 1 or (runs and runs[0] != (0, x.size)):
        lost = int(x.size - sum(b - a for a, b in runs))
        notes.append(f"{who}{lost} lost samples in {max(len(runs) - 1, 1)} gap(s) kept as gaps")
    for start, stop in runs:
        seg = x[start:stop]
        seg = subtract_sinusoids(seg - np.median(seg), fs_hz, notch_hz)
        out[start:stop] = (
            zero_phase_filter(sos, seg, pad_n=pad_n) if cfg.zero_phase else causal_filter(sos, seg)
        )
    return Conditioned(
        signal_uv=out,
        fs_hz=float(fs_hz),
        band_hz=band,
        mains_hz=mains,
        notch_hz=notch_hz,
        zero_phase=cfg.zero_phase,
        notes=tuple(notes),
    )


def causal_envelope(x_uv: FloatArray, fs_hz: float, *, window_s: float) -> FloatArray:
    """The ``window_s`` RMS envelope of ``x_uv`` band-passed causally to the EMG band (NaN as 0): the
    quick level the training and sitting-break checks read (no mains removal, no gap handling)."""
    (lo, hi), _ = adapt_band(EMG_BAND_HZ, fs_hz)
    x = np.nan_to_num(np.asarray(x_uv, dtype=np.float64))
    return rms_envelope(causal_filter(design_bandpass(lo, hi, fs_hz), x), fs_hz, window_s=window_s)
