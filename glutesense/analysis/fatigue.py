"""Local muscle fatigue from the EMG spectrum: median and mean frequency per contraction, and their trend.

During a sustained or repeated contraction the surface EMG power spectrum compresses towards
lower frequencies as muscle-fibre conduction velocity falls (and motor units synchronise): the
median frequency (MDF, the frequency that splits the spectrum's power in half) and the mean
frequency (MNF, the power-weighted mean) fall, while the amplitude usually rises as more motor
units are recruited to hold the force.  The slope of MDF over a set is the classic index of
local fatigue (De Luca 1984, "Myoelectrical manifestations of localized muscular fatigue in
humans", Crit Rev Biomed Eng 11:251-279; Cifrek et al. 2009, "Surface EMG based muscle fatigue
evaluation in biomechanics", Clin Biomech 24:327-340; Merletti et al. 1990 for the normalised
slope in % per unit).

Method, per contraction window ``[start_s, stop_s)`` of one EMG channel (µV):

1. drop ``edge_s`` at each end (the rise, the release, and the motion transient at movement onset);
2. Welch power spectrum (Hann, ``segment_s`` segments, 50 % overlap, linear detrend) so the
   frequency resolution is the same at any sample rate;
3. subtract a noise spectrum when one is given (from the resting baseline: amplifier noise and
   stationary mains hum would otherwise pull MDF towards their own frequencies), clipped at 0;
4. MDF and MNF over the EMG band ``band_hz`` (adapted to the sample rate), MDF interpolated
   within the frequency bin where the cumulative power crosses one half.

Over a set the trend is a Theil-Sen slope with its 95 % confidence interval
(:func:`scipy.stats.theilslopes`; robust to one odd rep), normalised to the fitted value at the
first rep, so it reads "% per rep" and "% over the set".  A set counts as fatiguing when the MDF
fell by at least ``tired_drop_pct`` over it and the interval excludes zero.

Pure: arrays and frozen dataclasses in, frozen dataclasses out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal as sps
from scipy import stats

from glutesense.model.arrays import FloatArray
from glutesense.signal.condition import EMG_BAND_HZ, adapt_band


@dataclass(frozen=True)
class SpectrumSettings:
    """How a contraction's spectrum is estimated (physical units in the names)."""

    band_hz: tuple[float, float] = EMG_BAND_HZ
    segment_s: float = 0.25
    edge_s: float = 0.25
    min_window_s: float = 0.5


@dataclass(frozen=True)
class Spectrum:
    """A power spectral density: ``f_hz`` (n,) and ``psd_uv2_per_hz`` (n,), µV²/Hz."""

    f_hz: FloatArray
    psd_uv2_per_hz: FloatArray


@dataclass(frozen=True)
class ContractionSpectrum:
    """Spectral and amplitude summary of one contraction window of one channel.

    Attributes
    ----------
    start_s, stop_s : float
        The window actually analysed (edges trimmed), s.
    mdf_hz, mnf_hz : float
        Median and mean frequency, Hz (NaN when the window is too short or silent).
    rms_uv : float
        RMS amplitude of the window, µV (band-limited, noise power subtracted when a noise
        spectrum was given).
    """

    start_s: float
    stop_s: float
    mdf_hz: float
    mnf_hz: float
    rms_uv: float


@dataclass(frozen=True)
class Trend:
    """A Theil-Sen trend of one quantity over a set (per rep or per second).

    Attributes
    ----------
    slope : float
        Units per step (Hz/rep, µV/rep, ...).
    ci_low, ci_high : float
        95 % confidence interval of ``slope``.
    first : float
        The fitted value at the first step (the normalisation of the ``_pct`` figures).
    n : int
        Points used (finite values).
    """

    slope: float
    ci_low: float
    ci_high: float
    first: float
    n: int
    span: float

    @property
    def slope_pct(self) -> float:
        """Slope in % of the first fitted value per step."""
        return 100.0 * self.slope / self.first if self.first else float("nan")

    @property
    def ci_pct(self) -> tuple[float, float]:
        if not self.first:
            return (float("nan"), float("nan"))
        return (100.0 * self.ci_low / self.first, 100.0 * self.ci_high / self.first)

    @property
    def change_pct(self) -> float:
        """Fitted change from the first to the last step, % of the first."""
        return self.slope_pct * self.span

    @property
    def consistent_with_zero(self) -> bool:
        """Whether the confidence interval contains zero (no trend shown)."""
        return bool(self.ci_low <= 0.0 <= self.ci_high)


def detrend_segments(d: FloatArray) -> FloatArray:
    """Remove each segment's least-squares line (last axis); vectorised over segments."""
    t = np.arange(d.shape[-1], dtype=np.float64)
    t -= t.mean()
    d = d - d.mean(axis=-1, keepdims=True)
    return np.asarray(d - ((d @ t) / (t @ t))[..., None] * t, dtype=np.float64)


def welch_spectrum(x_uv: FloatArray, fs_hz: float, *, segment_s: float = 0.25, pad: int = 1) -> Spectrum:
    """Welch PSD of ``x_uv`` (n,), µV, at ``fs_hz``: Hann segments of ``segment_s``, 50 % overlap,
    each zero-padded to ``pad`` segment lengths when ``pad`` > 1."""
    x = np.asarray(x_uv, dtype=np.float64)
    nperseg = max(8, min(x.size, round(segment_s * fs_hz)))
    nfft = None if pad == 1 else max(pad * round(segment_s * fs_hz), nperseg)
    f, p = sps.welch(
        x,
        fs=fs_hz,
        window="hann",
        nperseg=nperseg,
        noverlap=nperseg // 2,
        nfft=nfft,
        detrend=detrend_segments,
    )
    return Spectrum(np.asarray(f, dtype=np.float64), np.asarray(p, dtype=np.float64))


def median_mean_frequency(spectrum: Spectrum, band_hz: tuple[float, float]) -> tuple[float, float, float]:
    """(MDF, MNF, band power) of ``spectrum`` within ``band_hz``; Hz, Hz, µV².

    Each bin ``f_k`` stands for ``[f_k - df/2, f_k + df/2)``, clipped to the band, so the band's
    edges are exact at any resolution; MDF is interpolated linearly inside the bin where the
    cumulative power crosses half the band's power.  NaN frequencies when the band holds no power.
    """
    f, p = spectrum.f_hz, np.clip(spectrum.psd_uv2_per_hz, 0.0, None)
    nan = float("nan")
    if f.size < 2:
        return nan, nan, 0.0
    df = float(f[1] - f[0])
    left = np.clip(f - 0.5 * df, band_hz[0], band_hz[1])
    right = np.clip(f + 0.5 * df, band_hz[0], band_hz[1])
    width = right - left
    keep = width > 0
    left, width, f, p = left[keep], width[keep], f[keep], p[keep]
    bins = p * width
    power = float(np.sum(bins))
    if power <= 0.0:
        return nan, nan, 0.0
    cum = np.cumsum(bins)
    half = 0.5 * power
    k = int(np.searchsorted(cum, half))
    below = float(cum[k - 1]) if k > 0 else 0.0
    frac = (half - below) / bins[k] if bins[k] > 0 else 0.5
    mdf = float(left[k] + frac * width[k])
    mnf = float(np.sum((left + 0.5 * width) * bins) / power)
    return mdf, mnf, power


def contraction_spectrum(
    emg_uv: FloatArray,
    fs_hz: float,
    start_s: float,
    stop_s: float,
    *,
    noise: Spectrum | None = None,
    settings: SpectrumSettings = SpectrumSettings(),
) -> ContractionSpectrum:
    """MDF, MNF and RMS of one contraction ``[start_s, stop_s)`` of ``emg_uv`` (n,), µV.

    ``noise`` (a :func:`welch_spectrum` of rest with the same ``segment_s``) is subtracted first.
    """
    band, _ = adapt_band(settings.band_hz, fs_hz)
    a_s, b_s = start_s + settings.edge_s, stop_s - settings.edge_s
    i0, i1 = max(0, round(a_s * fs_hz)), min(len(emg_uv), round(b_s * fs_hz))
    nan = float("nan")
    if (i1 - i0) < settings.min_window_s * fs_hz:
        return ContractionSpectrum(a_s, b_s, nan, nan, nan)
    spec = welch_spectrum(np.asarray(emg_uv[i0:i1]), fs_hz, segment_s=settings.segment_s)
    if noise is not None and noise.f_hz.shape == spec.f_hz.shape:
        spec = Spectrum(spec.f_hz, np.clip(spec.psd_uv2_per_hz - noise.psd_uv2_per_hz, 0.0, None))
    mdf, mnf, power = median_mean_frequency(spec, band)
    return ContractionSpectrum(i0 / fs_hz, i1 / fs_hz, mdf, mnf, float(np.sqrt(power)))


def contraction_spectra(
    emg_uv: FloatArray,
    fs_hz: float,
    windows: Sequence[tuple[float, float]],
    *,
    noise: Spectrum | None = None,
    settings: SpectrumSettings = SpectrumSettings(),
) -> tuple[ContractionSpectrum, ...]:
    """:func:`contraction_spectrum` of each ``(start_s, stop_s)`` window, in order."""
    return tuple(
        contraction_spectrum(emg_uv, fs_hz, a, b, noise=noise, settings=settings) for a, b in windows
    )


def epochs(start_s: float, stop_s: float, epoch_s: float = 1.0) -> tuple[tuple[float, float], ...]:
    """Consecutive ``epoch_s`` windows covering ``[start_s, stop_s)`` (per second of a hold)."""
    n = int(np.floor((stop_s - start_s) / epoch_s + 1e-9))
    return tuple((start_s + k * epoch_s, start_s + (k + 1) * epoch_s) for k in range(n))


def noise_spectrum(
    emg_uv: FloatArray, fs_hz: float, start_s: float, stop_s: float, *, segment_s: float = 0.25
) -> Spectrum | None:
    """The resting spectrum ``[start_s, stop_s)`` to subtract (None when under two segments long)."""
    i0, i1 = max(0, round(start_s * fs_hz)), min(len(emg_uv), round(stop_s * fs_hz))
    if i1 - i0 < 2 * segment_s * fs_hz:
        return None
    return welch_spectrum(np.asarray(emg_uv[i0:i1]), fs_hz, segment_s=segment_s)


def trend(values: Sequence[float] | FloatArray, x: Sequence[float] | None = None) -> Trend | None:
    """Theil-Sen trend of ``values`` over ``x`` (default 0, 1, 2, ...), 95 % CI; None under 3 points."""
    y = np.asarray(values, dtype=np.float64)
    xs = np.arange(y.size, dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(xs)
    if int(ok.sum()) < 3:
        return None
    y, xs = y[ok], xs[ok]
    res = stats.theilslopes(y, xs, alpha=0.95)
    x0 = float(xs[0])
    first = float(res.intercept + res.slope * x0)
    return Trend(
        slope=float(res.slope),
        ci_low=float(res.low_slope),
        ci_high=float(res.high_slope),
        first=first,
        n=int(y.size),
        span=float(xs[-1] - x0),
    )


@dataclass(frozen=True)
class FatigueAssessment:
    """The fatigue of one channel over a set.

    Attributes
    ----------
    spectra : tuple of ContractionSpectrum
        One per rep (or per second of a hold), in order.
    mdf, mnf, rms : Trend or None
        Trends of median frequency, mean frequency and amplitude (None under 3 usable points).
    tired : bool
        MDF fell by at least ``tired_drop_pct`` over the set and its interval excludes zero.
    mdf_drop_pct : float
        Fall of the fitted MDF from the first to the last point, % (positive = fell; NaN without a trend).
    """

    spectra: tuple[ContractionSpectrum, ...]
    mdf: Trend | None
    mnf: Trend | None
    rms: Trend | None
    tired: bool
    mdf_drop_pct: float


def assess_fatigue(
    spectra: Sequence[ContractionSpectrum], *, tired_drop_pct: float = 10.0
) -> FatigueAssessment:
    """Trends of MDF, MNF and RMS over ``spectra`` and whether the muscle tired (module docstring)."""
    sp = tuple(spectra)
    mdf = trend([s.mdf_hz for s in sp])
    mnf = trend([s.mnf_hz for s in sp])
    rms = trend([s.rms_uv for s in sp])
    drop = -mdf.change_pct if mdf is not None else float("nan")
    tired = bool(mdf is not None and drop >= tired_drop_pct and mdf.ci_high < 0.0)
    return FatigueAssessment(sp, mdf, mnf, rms, tired, drop)


def running_drop_pct(mdf_hz: Sequence[float], *, baseline_n: int = 3) -> float:
    """How far the latest MDFs fell below the set's start, %: live, rep by rep.

    Compares the median of the last ``baseline_n`` values with the median of the first
    ``baseline_n`` (medians, so one odd rep neither ends a set nor hides fatigue); NaN until
    there are ``baseline_n + 1`` finite values.
    """
    y = np.asarray([v for v in mdf_hz if np.isfinite(v)], dtype=np.float64)
    if y.size < baseline_n + 1:
        return float("nan")
    first = float(np.median(y[:baseline_n]))
    last = float(np.median(y[-baseline_n:]))
    return 100.0 * (first - last) / first if first > 0 else float("nan")


def activation_share(rms_uv: float, reference_rms_uv: float) -> float:
    """Activation relative to a reference contraction (1.0 = as strong as the reference); NaN without one."""
    if not (np.isfinite(rms_uv) and np.isfinite(reference_rms_uv)) or reference_rms_uv <= 0:
        return float("nan")
    return float(rms_uv / reference_rms_uv)
