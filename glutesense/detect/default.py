"""Default onset detector: rest-calibrated robust detection, then a maximum-likelihood rise fit.

1. **Whitening.**  An autoregressive prediction-error filter fitted to the rest phase (Yule-Walker,
   as in the AGLR detector of Staude et al. 2001) makes the resting EMG white, so that the power of a
   bin of ``k`` samples is a chi-square variable with about ``k`` degrees of freedom; its resting
   power is 1 after normalisation.  The bins' degrees of freedom ``nu`` are measured on the rest
   (from the spread of the log bin power, which is ``psi_1(nu / 2)`` for a chi-square variable).
2. **Detection.**  A moving *median* of the bin power over ``detect_window_ms`` (widened at low
   sample rates to hold ``detect_min_samples`` samples) is immune to events shorter than half its
   window, i.e. electrode pops (2-10 ms) and the sharp part of motion artifacts.  Its threshold is
   set on the rest phase's own distribution of the same statistic (median + ``h_sd`` robust SDs, in
   log power), so the false-alarm rate does not depend on the device's rate, units or noise colour.
   A burst lasts while the statistic stays above ``h_off_sd`` (hysteresis) for ``min_on_ms``.
3. **Localisation.**  The onset is the maximum-likelihood start of a parametric rise fitted to the
   bin power before the detection (:mod:`glutesense.detect.risefit`): Gamma likelihood, a family of
   rise shapes with Bayesian model averaging, a resting-level prior.  Bins far above the model
   (spikes, motion transients) have a bounded influence (winsorised).  The posterior SD of the onset
   is reported as ``Burst.onset_sd_ms``.
4. **Sensitive pass** (:meth:`DefaultDetector.detect_in`, called by
   :func:`glutesense.analysis.pipeline.analyze` only inside rep windows): a 600 ms median of 25 ms
   bins (enough samples at 200 Hz) at 4.5 robust SDs, sustained bursts only.  It fills reps where
   the first pass found no sustained burst, and (in the bridge, where short bursts are not counted
   as false starts) replaces a weak first-pass onset that comes well after the sensitive pass's
   alarm (a contraction seen only in fragments).

Confidence combines the burst's SNR (logistic, 0.5 at 6 dB) and the onset's precision
(``1 / (1 + (sd / 20 ms)^2)``).

References
----------
Hodges, P. W. & Bui, B. H. (1996). A comparison of computer-based methods for the determination of
onset of muscle contraction using electromyography. *Electroencephalogr. Clin. Neurophysiol.* 101,
511-519.
Staude, G., Flachenecker, C., Daumer, M. & Wolf, W. (2001). Onset detection in surface
electromyographic signals: a systematic comparison of methods. *EURASIP J. Appl. Signal Process.*
2001(2), 67-81.
Tenan, M. S., Tweedell, A. J. & Haynes, C. A. (2017). Analysis of statistical and standard algorithms
for detecting muscle onset with surface electromyography. *PLoS ONE* 12(5), e0177312.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

import numpy as np
from scipy import ndimage, special
from scipy import signal as sps

from glutesense.detect.base import Burst, ConfiguredDetector, DetectionInput
from glutesense.detect.binpower import bin_dof, bin_means, spike_mask
from glutesense.detect.changepoint import ar_whitening_filter
from glutesense.detect.common import PEAK_ENVELOPE_S, merge_runs, rest_slice
from glutesense.detect.default_settings import RISE_LADDER_S, DefaultSettings
from glutesense.detect.risefit import RiseFit, fit_rise, pooled_shape_prior
from glutesense.model.arrays import FloatArray
from glutesense.model.robust import median_sd
from glutesense.signal.envelope import rms_envelope
from glutesense.signal.filters import design_highpass
from glutesense.signal.runs import runs_of
from glutesense.signal.units import index_at


class _BinPower(NamedTuple):
    """The whitened, normalised power ``z`` and its bins (``k`` samples, ``bin_s`` long) on the grid
    ``t_bins``: plain means ``pb``, despiked means ``pb_fit``, the resting bins ``rb`` and their
    degrees of freedom ``nu``."""

    z: FloatArray
    k: int
    bin_s: float
    pb: FloatArray
    pb_fit: FloatArray
    t_bins: FloatArray
    rb: slice
    nu: float


class DefaultDetector(ConfiguredDetector[DefaultSettings]):
    """Rest-calibrated robust detection, then a maximum-likelihood rise fit (module docstring)."""

    name = "default"
    settings_type = DefaultSettings

    def _validate(self, fs_hz: float) -> None:
        cfg = self.settings
        period_ms = 1000.0 / fs_hz
        for label, value_ms in (  # bin_ms is rounded up to one sample where shorter (low rates)
            ("detect_window_ms", cfg.detect_window_ms),
            ("min_on_ms", cfg.min_on_ms),
        ):
            if value_ms < period_ms:
                raise ValueError(
                    f"detector {self.name!r}: {label}={value_ms:g} ms is shorter than one sample "
                    f"at {fs_hz:g} Hz ({period_ms:g} ms)"
                )
        if cfg.h_sd <= cfg.h_off_sd or cfg.h_off_sd <= 0 or not 0 < cfg.plateau_fraction < 1:
            raise ValueError(
                f"detector {self.name!r}: need h_sd > h_off_sd > 0 and plateau_fraction in (0, 1)"
            )

    def detect(self, data: DetectionInput) -> tuple[Burst, ...]:
        """All bursts in the channel, onsets from the rise fit (see the module docstring)."""
        return self._detect(data, None)

    def _detect(
        self, data: DetectionInput, alarms_in: Sequence[tuple[float, float]] | None
    ) -> tuple[Burst, ...]:
        """Bursts in the channel; with ``alarms_in``, only those whose alarm lies in one of the windows.

        Each burst's fit depends only on its own span and the previous span's end (not on the other
        fits, unless ``pool_shapes``), so bursts outside the windows are dropped before their fit:
        the same answers for the kept ones at a fraction of the cost.
        """
        cfg = self.settings
        self._validate(data.fs_hz)
        order = min(cfg.ar_order, 8)
        rest = rest_slice(self.name, data, min_samples=max(40, 10 * order))
        pw = self._bin_power(data, rest, order)
        stat = self._statistic(pw.z, pw.pb, pw.k, data.fs_hz)  # moving median of the log bin power
        mu, sd = median_sd(stat[pw.rb])
        sd = max(sd, 1e-3)
        on_level = mu + max(cfg.h_sd * sd, np.log(cfg.min_ratio))
        off_level = mu + max(cfg.h_off_sd * sd, 0.5 * np.log(cfg.min_ratio))
        spans = self._spans(stat, on_level, off_level, pw.bin_s)
        rest_power = float(np.nanmean(np.square(data.signal_uv[rest])))
        spans = [sp for sp in spans if not self._is_spike(data.signal_uv, data.fs_hz, sp, pw.k, rest_power)]
        keep = [
            alarms_in is None
            or cfg.pool_shapes
            or any(lo <= float(pw.t_bins[al]) - 0.5 * pw.bin_s < hi for lo, hi in alarms_in)
            for _, al, _ in spans
        ]
        levels = (mu, mu + cfg.return_sd * sd)
        fits = self._fits(stat, pw, spans, keep, levels, data.fs_hz)
        return self._bursts(data, stat, pw, spans, keep, fits, mu)

    def _bin_power(self, data: DetectionInput, rest: slice, order: int) -> _BinPower:
        """High-pass, whiten on the rest, normalise to resting power 1, and bin (module docstring, 1)."""
        cfg = self.settings
        fs = data.fs_hz
        ok = np.isfinite(data.signal_uv)
        x = np.where(ok, data.signal_uv, 0.0)
        if cfg.highpass_hz > 0:
            x = sps.sosfilt(design_highpass(min(cfg.highpass_hz, 0.2 * fs), fs), x)
        x = np.where(ok, x, np.nan)
        e = sps.lfilter(ar_whitening_filter(x[rest], order), [1.0], np.where(ok, x, 0.0)) if order else x
        e = np.where(ok, e, np.nan)
        e_rest = e[rest][np.isfinite(e[rest])]
        sigma2 = float(np.median(np.square(e_rest)) / special.gammaincinv(0.5, 0.5) / 2.0)
        z = np.square(e) / max(sigma2, 1e-24)
        k = max(1, round(cfg.bin_ms * fs / 1000.0))
        bin_s = k / fs
        pb = bin_means(z, k)
        despiked = np.where(
            spike_mask(
                e,
                k,
                window_bins=max(3, round(cfg.despike_window_ms / 1000.0 / (k / fs))),
                h_sd=cfg.despike_sd,
                pad_n=max(1, round(cfg.despike_pad_ms * fs / 1000.0)),
            ),
            np.nan,
            z,
        )
        t_bins = np.asarray(data.t0_s + (np.arange(pb.size) + 0.5) * bin_s, dtype=np.float64)
        rb = slice(rest.start // k, max(rest.stop // k, rest.start // k + 1))
        nu = min(bin_dof(pb[rb]), 1.5 * k)
        return _BinPower(z, k, bin_s, pb, bin_means(despiked, k), t_bins, rb, nu)

    def _fits(
        self,
        stat: FloatArray,
        pw: _BinPower,
        spans: list[tuple[int, int, int]],
        keep: list[bool],
        levels: tuple[float, float],
        fs: float,
    ) -> tuple[list[RiseFit | None], list[float], FloatArray | None]:
        """The rise fit of each wanted span (fallback onsets where none), and the pooled shape prior."""
        cfg = self.settings
        fits: list[RiseFit | None] = []
        fallbacks: list[float] = []
        prev_stop = 0
        for (a, alarm, b), wanted in zip(spans, keep, strict=True):
            fit, fallback_s = (
                self._onset(stat, pw.pb_fit, pw.t_bins, pw.nu, pw.bin_s, (a, alarm, b), prev_stop, levels, fs)
                if wanted
                else (None, float("nan"))
            )
            fits.append(fit)
            fallbacks.append(fallback_s)
            prev_stop = b
        long_n = round(cfg.pool_min_ms / 1000.0 / pw.bin_s)
        pooled = [f for f, (a, _, b) in zip(fits, spans, strict=True) if f is not None and b - a >= long_n]
        log_prior = (
            pooled_shape_prior(np.vstack([f.shape_evidence() for f in pooled]))
            if pooled and cfg.pool_shapes
            else None
        )
        return fits, fallbacks, log_prior

    def _bursts(
        self,
        data: DetectionInput,
        stat: FloatArray,
        pw: _BinPower,
        spans: list[tuple[int, int, int]],
        keep: list[bool],
        fitted: tuple[list[RiseFit | None], list[float], FloatArray | None],
        mu: float,
    ) -> tuple[Burst, ...]:
        """One burst per wanted span: the posterior onset on the sample grid, the peak from the envelope."""
        cfg = self.settings
        fs = data.fs_hz
        fits, fallbacks, log_prior = fitted
        env = rms_envelope(data.signal_uv, fs, window_s=max(PEAK_ENVELOPE_S, 3.0 / fs))
        bursts: list[Burst] = []
        for (_, alarm, b), fit, fallback_s, wanted in zip(spans, fits, fallbacks, keep, strict=True):
            if not wanted:
                continue
            onset_s, sd_s = fit.posterior(log_prior) if fit is not None else (fallback_s, float("nan"))
            sd_s *= cfg.sd_inflation
            onset_s = data.t0_s + round((onset_s - data.t0_s) * fs) / fs  # on the sample grid
            burst = self._burst(stat, pw.t_bins, mu, onset_s, sd_s, alarm, b, pw.bin_s)
            i0 = max(index_at(onset_s, fs, data.t0_s), 0)
            i1 = min(max(index_at(burst.offset_s, fs, data.t0_s), i0 + 1), env.size)
            seg = env[i0:i1]
            if np.isfinite(seg).any():
                peak_i = i0 + int(np.nanargmax(seg))
                burst = replace(burst, peak_uv=float(env[peak_i]), peak_s=data.t0_s + peak_i / fs)
            bursts.append(burst)
        return tuple(bursts)

    def _statistic(self, z: FloatArray, pb: FloatArray, k: int, fs: float) -> FloatArray:
        """Moving median of the log power of ``detect_bin_ms`` bins, on the ``bin_ms`` grid of ``pb``."""
        cfg = self.settings
        r = max(1, round(cfg.detect_bin_ms / cfg.bin_ms)) if cfg.detect_bin_ms > 0 else 1
        pc = pb if r == 1 else bin_means(z, k * r)
        cbin_s = k * r / fs
        w_bins = max(3, round(max(cfg.detect_window_ms / 1000.0, cfg.detect_min_samples / fs) / cbin_s))
        w_bins += 1 - w_bins % 2
        lg = np.log(np.maximum(pc, 1e-12))
        finite = np.isfinite(pc)
        # lost bins are filled alternately far above and far below, which leaves the window's median
        # that of its finite bins; windows mostly lost are NaN
        fill = np.where(np.arange(lg.size) % 2 == 0, 1e6, -1e6)
        # "reflect": a window at the recording's edge holds real bins (with "nearest" half of it is
        # copies of the last bin, and one high last bin made a false burst at the very end)
        stat = ndimage.median_filter(np.where(finite, lg, fill), size=w_bins, mode="reflect")
        kept = ndimage.uniform_filter1d(finite.astype(np.float64), size=w_bins, mode="reflect")
        stat = np.where(kept > 0.5, stat, np.nan)
        if r == 1:
            return np.asarray(stat, dtype=np.float64)
        fine = np.repeat(stat, r)
        tail = np.full(max(pb.size - fine.size, 0), fine[-1] if fine.size else np.nan)
        return np.asarray(np.concatenate((fine, tail))[: pb.size], dtype=np.float64)

    def detect_in(self, data: DetectionInput, windows_s: Sequence[tuple[float, float]]) -> tuple[Burst, ...]:
        """Second, more sensitive pass: sustained bursts whose alarm lies in one of ``windows_s``.

        Meant for windows where the protocol expects an activation (after a cue) and the first pass
        found none: a longer detection window of coarser bins and a lower threshold (the ``sensitive_*``
        settings).  Its false alarms are confined to those windows, so the rest and the false starts
        of a single-leg stand (short bursts, found by the first pass) are unaffected.
        """
        cfg = self.settings
        if not windows_s:
            return ()
        fine_ms = max(cfg.bin_ms, 1000.0 / data.fs_hz)
        second = DefaultDetector(
            replace(
                cfg,
                detect_window_ms=max(cfg.sensitive_window_ms, cfg.detect_window_ms),
                detect_bin_ms=max(cfg.sensitive_bin_ms, fine_ms),
                detect_min_samples=0,
                h_sd=cfg.sensitive_h_sd,
                h_off_sd=cfg.sensitive_h_off_sd,
                min_on_ms=max(cfg.sensitive_min_on_ms, cfg.min_on_ms),
            )
        )
        return tuple(
            b for b in second._detect(data, windows_s) if any(lo <= b.alarm_s < hi for lo, hi in windows_s)
        )

    def _spans(
        self, stat: FloatArray, on_level: float, off_level: float, bin_s: float
    ) -> list[tuple[int, int, int]]:
        """``(start, alarm, stop)`` bin indices of sustained runs of the statistic (hysteresis)."""
        cfg = self.settings
        s = np.nan_to_num(stat, nan=-np.inf)
        high = s > on_level
        min_on = max(1, round(cfg.min_on_ms / 1000.0 / bin_s))
        runs = [(a, b) for a, b in runs_of(s > off_level) if high[a:b].any() and b - a >= min_on]
        runs = [(a, b) for a, b in runs if a > 0 and np.isfinite(stat[a - 1])]  # started at rest
        runs = merge_runs(runs, max(1, round(cfg.merge_gap_ms / 1000.0 / bin_s)))
        return [(a, a + int(np.argmax(high[a:b])), b) for a, b in runs]

    def _is_spike(
        self, x: FloatArray, fs: float, span: tuple[int, int, int], k: int, rest_power: float
    ) -> bool:
        """True if most of the burst's excess energy lies within ``spike_ms`` (Hodges & Bui-style check)."""
        seg = np.maximum(np.nan_to_num(x[span[0] * k : span[2] * k]) ** 2 - rest_power, 0.0)
        total = float(seg.sum())
        w = max(1, round(self.settings.spike_ms * fs / 1000.0))
        if total <= 0 or w >= seg.size:
            return total <= 0
        csum = np.concatenate(([0.0], np.cumsum(seg)))
        top = float(np.max(csum[w:] - csum[:-w]))  # the largest sum over w samples
        return top > self.settings.spike_fraction * total

    def _onset(
        self,
        stat: FloatArray,
        pb: FloatArray,
        t_bins: FloatArray,
        nu: float,
        bin_s: float,
        span: tuple[int, int, int],
        prev_stop: int,
        levels: tuple[float, float],
        fs: float,
    ) -> tuple[RiseFit | None, float]:
        """Rise fit of the burst ``span`` = (run start, alarm, stop) bins, and a fallback onset (s)."""
        cfg = self.settings
        a, alarm, b = span
        mu, back_level = levels

        def n_bins(ms: float) -> int:
            return max(1, round(ms / 1000.0 / bin_s))

        floor = max(prev_stop, 0)
        back = np.flatnonzero(np.nan_to_num(stat[floor:a], nan=np.inf) <= back_level)
        walk = floor + int(back[-1]) + 1 if back.size else max(floor, a - n_bins(cfg.search_early_ms))
        first = max(walk - n_bins(cfg.search_early_ms), floor)
        lo = max(first - n_bins(cfg.fit_rest_ms), floor)
        first = max(first, lo + n_bins(50.0))
        local = stat[alarm : min(b, alarm + n_bins(500.0))]
        peak = float(np.nanmax(local)) if np.isfinite(local).any() else mu
        excess = np.exp(peak - mu) - 1.0
        reach_lvl = mu + np.log1p(cfg.plateau_fraction * excess)
        half_lvl = mu + np.log1p(0.5 * excess)
        reach = np.flatnonzero(np.nan_to_num(local, nan=-np.inf) >= reach_lvl)
        hi_reach = alarm + (int(reach[0]) if reach.size else local.size)
        half = np.flatnonzero(np.nan_to_num(stat[alarm : hi_reach + 1], nan=-np.inf) >= half_lvl)
        last = alarm + (int(half[0]) if half.size else 0)
        hi = min(hi_reach + n_bins(cfg.fit_extend_ms), pb.size)
        fallback = float(t_bins[walk]) - 0.5 * bin_s
        if last < first:
            first = max(lo, last - n_bins(50.0))
        seg = pb[lo:hi].copy()
        rise_grid = RISE_LADDER_S[np.less_equal(RISE_LADDER_S, cfg.max_rise_ms / 1000.0 + 1e-9)]
        fit = fit_rise(
            t_bins[lo:hi],
            seg,
            nu=nu,
            base_power=1.0,
            prior_nu=cfg.prior_ms / 1000.0 * fs * nu / max(bin_s * fs, 1.0),
            onset_range_s=(float(t_bins[first]) - 0.5 * bin_s, float(t_bins[last]) + 0.5 * bin_s),
            onset_step_s=max(0.002, 1.0 / fs),
            rise_grid_s=rise_grid,
            bin_s=bin_s,
            outlier_z=float(special.ndtri(1.0 - cfg.outlier_p)),
        )
        return fit, fallback

    def _burst(
        self,
        stat: FloatArray,
        t_bins: FloatArray,
        mu: float,
        onset_s: float,
        sd_s: float,
        alarm: int,
        b: int,
        bin_s: float,
    ) -> Burst:
        seg = stat[alarm:b]
        peak_i = alarm + (int(np.nanargmax(seg)) if np.isfinite(seg).any() else 0)
        snr_db = 10.0 * np.log10(max(np.expm1(float(stat[peak_i]) - mu), 1e-12))
        precision = 1.0 / (1.0 + (sd_s / 0.02) ** 2) if np.isfinite(sd_s) else 0.5
        return Burst(
            onset_s=onset_s,
            offset_s=float(t_bins[b - 1]) + 0.5 * bin_s,
            peak_s=float(t_bins[peak_i]),
            peak_uv=float("nan"),
            confidence=float(precision / (1.0 + np.exp(-(snr_db - 6.0) / 2.0))),
            detector=self.name,
            alarm_s=float(t_bins[alarm]) - 0.5 * bin_s,
            onset_sd_ms=1000.0 * sd_s if np.isfinite(sd_s) else float("nan"),
        )
