"""Spectral compression per rep against the set's own spectrum: a median-frequency trend with less scatter.

A rep's median frequency (MDF) read from its own spectrum scatters by about 2.5 % over 6-7 s of a
stochastic signal (the variance of the sample median frequency, ``∫P² df / (4 T P(MDF)²)``;
Stulen & De Luca 1981, IEEE Trans Biomed Eng 28:515-523), which over a 12-rep set is as large as
a 10 % fall.  Fatigue, though, changes the spectrum in a known way: a falling conduction velocity
stretches every motor-unit action potential in time, so the spectrum compresses, ``P(f) ->
P(f / k)`` (Lindström & Magnusson 1977, "Interpretation of myoelectric power spectra: a model
and its applications", Proc IEEE 65:653-662; De Luca 1984).  Estimating that one number per rep
uses the whole spectrum's shape, and the MDF then follows exactly: the median of ``P(f / k)`` in
the band.

Method, per channel over one set of reps (each a contraction window, µV):

1. Welch spectrum per rep and of the rest (Hann, ``segment_s``, 50 % overlap, zero-padded
   ``pad`` times so the template can be shifted smoothly), rest noise subtracted for the template;
2. the *template*: the mean of the other reps' spectra (leave one out, so a rep's own noise does
   not pull it to itself), each first de-compressed by its current estimate ("aligned"), each
   normalised to unit band power, smoothed in log frequency by ``smooth_ln`` (a smoothing that
   commutes with compression);
3. per rep the maximum-likelihood ``ln k`` against the template, amplitude free, the rest noise
   added to the model: Whittle's likelihood ``Σ ln E(f) + P(f) / E(f)`` with ``E = a·T(f / k) +
   N(f)`` (Whittle 1953), over the part of the band where every candidate ``k`` in ``±span_ln``
   keeps ``f / k`` inside the band;
4. ``iterations`` rounds of 2-3, the ``ln k`` centred on the set's mean each round;
5. per rep MDF = the median frequency, within the band, of the whole-set template compressed by
   the rep's ``k``.

The MDF trend over the set is then read as before (:func:`glutesense.analysis.fatigue.trend`).
The estimate assumes that fatigue compresses the spectrum; a change of shape (e.g. a low-
frequency rise from motor-unit synchronisation) is read as the compression that fits it best.

Pure: arrays and frozen dataclasses in and out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from glutesense.analysis.fatigue import Spectrum, welch_spectrum
from glutesense.model.arrays import BoolArray, FloatArray
from glutesense.signal.condition import EMG_BAND_HZ, adapt_band


@dataclass(frozen=True)
class CompressionSettings:
    """How the per-rep compression is estimated (module docstring; units in the names)."""

    band_hz: tuple[float, float] = EMG_BAND_HZ
    segment_s: float = 0.25
    pad: int = 4
    span_ln: float = 0.25
    smooth_ln: float = 0.05
    iterations: int = 3
    min_window_s: float = 0.5


@dataclass(frozen=True)
class SetCompression:
    """One channel's compression over a set.

    Attributes
    ----------
    ln_k : ndarray, shape (n_reps,)
        Natural log of each rep's compression relative to the set's mean shape (centred on 0;
        negative = compressed, lower frequencies).  NaN for a rep too short to read.
    mdf_hz : ndarray, shape (n_reps,)
        Median frequency of the set's template compressed by each rep's ``k``, Hz.
    template : Spectrum
        The set's aligned mean spectrum (unit band power), the shape ``k`` is read against.
    """

    ln_k: FloatArray
    mdf_hz: FloatArray
    template: Spectrum


def padded_welch(x_uv: FloatArray, fs_hz: float, settings: CompressionSettings) -> Spectrum:
    """Welch PSD of ``x_uv`` (n,), µV, µV²/Hz, zero-padded ``settings.pad`` times."""
    return welch_spectrum(x_uv, fs_hz, segment_s=settings.segment_s, pad=settings.pad)


def smooth_log_frequency(f_hz: FloatArray, psd: FloatArray, width_ln: float) -> FloatArray:
    """``psd`` smoothed by a Gaussian of SD ``width_ln`` in ln f (shape kept under compression)."""
    pos = f_hz > 0
    u = np.linspace(np.log(f_hz[pos][0]), np.log(f_hz[-1]), 4 * f_hz.size)
    log_p = np.log(np.clip(np.interp(np.exp(u), f_hz, psd), 1e-30, None))
    smooth = np.exp(gaussian_filter1d(log_p, width_ln / (u[1] - u[0]), mode="nearest"))
    return np.asarray(np.interp(f_hz, np.exp(u), smooth, left=psd[0]), dtype=np.float64)


def _whittle(
    ln_k: FloatArray, p: FloatArray, f: FloatArray, tf: FloatArray, template: FloatArray, noise: FloatArray
) -> FloatArray:
    """Whittle negative log-likelihood of ``p`` at each ``ln_k``, the amplitude profiled out."""
    s = np.interp(f[None, :] * np.exp(-ln_k)[:, None], tf, template)
    a = np.maximum(np.sum(p - noise) / np.sum(s, axis=1), 1e-30)
    for _ in range(5):  # Fisher scoring for the amplitude
        e = a[:, None] * s + noise
        a = np.maximum(np.sum(s * (p - noise) / e**2, axis=1) / np.sum(s**2 / e**2, axis=1), 1e-30)
    e = a[:, None] * s + noise
    return np.asarray(np.sum(np.log(e) + p / e, axis=1), dtype=np.float64)


def whittle_log_scale(
    p: FloatArray, f: FloatArray, tf: FloatArray, template: FloatArray, noise: FloatArray, span_ln: float
) -> float:
    """Maximum-likelihood ``ln k`` of ``p`` (at ``f``) against ``template`` (at ``tf``) in ``±span_ln``.

    A 0.01 grid, then a 0.001 grid around its best, then a parabola through the best three.
    """
    grid = np.arange(-span_ln, span_ln + 1e-9, 0.01)
    centre = float(grid[int(np.argmin(_whittle(grid, p, f, tf, template, noise)))])
    fine = centre + np.arange(-0.012, 0.01201, 0.001)
    y = _whittle(fine, p, f, tf, template, noise)
    i = int(np.clip(np.argmin(y), 1, fine.size - 2))
    y0, y1, y2 = y[i - 1 : i + 2]
    den = y0 - 2.0 * y1 + y2
    step = 0.5 * (y0 - y2) / den * 0.001 if den > 0 else 0.0
    return float(np.clip(fine[i] + step, -span_ln, span_ln))


def band_median(f_hz: FloatArray, psd: FloatArray, k: float, band_hz: tuple[float, float]) -> float:
    """Median frequency within ``band_hz`` of ``psd`` compressed by ``k`` (``psd(f / k)``), Hz."""
    g = np.linspace(band_hz[0], band_hz[1], 4001)
    cum = np.cumsum(np.interp(g / k, f_hz, psd))
    return float(np.interp(0.5 * cum[-1], cum, g)) if cum[-1] > 0 else float("nan")


def _aligned(f: FloatArray, s: FloatArray, ln_k: FloatArray, band: BoolArray) -> FloatArray:
    """Each row of ``s`` de-compressed by its ``ln_k`` (NaN beyond Nyquist), unit power in ``band``."""
    out = np.array([np.interp(f * np.exp(lk), f, row, right=np.nan) for row, lk in zip(s, ln_k, strict=True)])
    power = np.nansum(out[:, band], axis=1, keepdims=True)
    return np.asarray(out / np.where(power > 0, power, 1.0), dtype=np.float64)


def set_compression(
    reps_uv: Sequence[FloatArray],
    fs_hz: float,
    rest_uv: FloatArray | None = None,
    settings: CompressionSettings = CompressionSettings(),
) -> SetCompression | None:
    """Per-rep compression and MDF of one channel over a set (module docstring); None under 3 reps.

    ``reps_uv``: each rep's contraction window (n_i,), µV; ``rest_uv``: the resting baseline, µV.
    """
    band, _ = adapt_band(settings.band_hz, fs_hz)
    ok = [np.asarray(x).size >= settings.min_window_s * fs_hz for x in reps_uv]
    if sum(ok) < 3:
        return None
    specs = [
        padded_welch(np.asarray(x), fs_hz, settings) for x, good in zip(reps_uv, ok, strict=True) if good
    ]
    f = specs[0].f_hz
    p = np.array([s.psd_uv2_per_hz for s in specs])
    noise = np.zeros_like(f)
    if rest_uv is not None and np.asarray(rest_uv).size >= 2 * settings.segment_s * fs_hz:
        noise = padded_welch(np.asarray(rest_uv), fs_hz, settings).psd_uv2_per_hz
    in_band = (f >= band[0]) & (f <= band[1])
    fit = (f >= band[0] * np.exp(settings.span_ln)) & (f <= band[1] * np.exp(-settings.span_ln))
    clean = np.clip(p - noise, 0.0, None)
    n = len(specs)
    ln_k = np.zeros(n)
    for _ in range(settings.iterations):
        aligned = _aligned(f, clean, ln_k, in_band)
        total, count = np.nansum(aligned, axis=0), np.sum(np.isfinite(aligned), axis=0)
        new = np.empty(n)
        for i in range(n):
            own = np.isfinite(aligned[i])
            others = (total - np.where(own, aligned[i], 0.0)) / np.maximum(count - own, 1)
            template = smooth_log_frequency(f, np.clip(others, 1e-30, None), settings.smooth_ln)
            new[i] = whittle_log_scale(p[i, fit], f[fit], f, template, noise[fit], settings.span_ln)
        ln_k = new - new.mean()
    aligned = _aligned(f, clean, ln_k, in_band)
    total, count = np.nansum(aligned, axis=0), np.sum(np.isfinite(aligned), axis=0)
    template = smooth_log_frequency(f, np.clip(total / np.maximum(count, 1), 1e-30, None), settings.smooth_ln)
    mdf = np.array([band_median(f, template, float(np.exp(lk)), band) for lk in ln_k])
    full_k, full_mdf = np.full(len(ok), np.nan), np.full(len(ok), np.nan)
    idx = np.flatnonzero(ok)
    full_k[idx], full_mdf[idx] = ln_k, mdf
    return SetCompression(full_k, full_mdf, Spectrum(f, template))
