"""Settings of the default onset detector (:class:`~glutesense.detect.default.DefaultDetector`) and
the rise times its fit tries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RISE_LADDER_S = np.array([0.015, 0.03, 0.05, 0.07, 0.09, 0.12, 0.15, 0.18, 0.22, 0.26, 0.3, 0.35, 0.4])
"""Rise times tried by the fit (up to ``max_rise_ms``), seconds: finer where rises are short."""


@dataclass(frozen=True)
class DefaultSettings:
    """Settings of :class:`DefaultDetector` (physical units in the names).

    Attributes
    ----------
    highpass_hz : float
        Extra high-pass (2nd-order Butterworth, causal; lowered to 0.2 ``fs_hz`` at low rates) before
        whitening: what is left of motion artifacts after the 20 Hz conditioning lies mostly below it,
        the sEMG power spectrum mostly above it (0: none).
    ar_order : int
        Order of the whitening AR model fitted to the rest (0: no whitening).
    bin_ms : float
        Bin width of the power series (at least one sample).
    detect_window_ms : float
        Moving-median window of the detection statistic.
    detect_min_samples : int
        The detection window is widened to hold at least this many samples (low rates).
    h_sd : float
        Detection threshold, robust SDs of the resting statistic (log power) above its median.
    h_off_sd : float
        A burst lasts while the statistic stays above this many robust SDs (hysteresis).
    min_ratio : float
        The threshold is at least this power ratio over rest (very steady rests).
    min_on_ms : float
        Minimum time above the lower level for a burst.
    merge_gap_ms : float
        Bursts separated by less than this are merged.
    return_sd : float
        Walking back from the alarm, the statistic is back at rest within this many robust SDs.
    search_early_ms : float
        The onset is searched from this long before the walk-back point.
    fit_rest_ms : float
        Rest included in the fit before the earliest onset searched.
    plateau_fraction : float
        The fit runs until the statistic reaches this fraction of its local peak (power above rest).
    fit_extend_ms : float
        ... and this long beyond (0 by default: the fit then stays local to the rise, so data lost
        well after the onset, e.g. a dropped packet on the plateau, cannot move it).
    max_rise_ms : float
        Longest rise time tried (from :data:`RISE_LADDER_S`).
    prior_ms : float
        Weight of the resting-level prior: as much as this long a stretch of resting samples.
    outlier_p : float
        Bins whose power exceeds the model's ``1 - outlier_p`` quantile are winsorised in the fit.
    pool_shapes : bool
        Learn the channel's shape frequencies from its own bursts and use them as the shape prior.
        Off by default: on the benchmark it did not help (the shapes vary from rep to rep), and it
        makes each onset depend on every other burst of the channel (a packet lost elsewhere would
        move it).
    pool_min_ms : float
        Bursts at least this long teach the channel's shape prior (``pool_shapes``).
    sd_inflation : float
        The posterior SD of the onset is multiplied by this before it is reported: the model (shape
        family, bin degrees of freedom) is an approximation, and un-inflated SDs covered only about
        70 % of errors within 2 SD on synthetic raised-cosine bursts (``tests/test_detect_default.py``);
        1.8 puts 95 % of the benchmark's errors within 2 reported SDs (1.5 gave 87-92 %).
    spike_ms, spike_fraction : float
        A burst with more than ``spike_fraction`` of its excess energy (conditioned EMG) inside
        ``spike_ms`` is an electrode pop and dropped.  A 2-10 ms pop rings for 50-100 ms after the
        band-pass and notch filters (long enough to move the 100 ms median), but 75-90 % of its energy
        stays within 40 ms; a contraction, even a 120 ms false start with 30 ms ramps, spreads its
        energy over its whole duration (about 40 % in its best 40 ms).
    despike_sd, despike_window_ms, despike_pad_ms : float
        For the fit, samples of the whitened EMG beyond ``despike_sd`` local robust SDs (moving median
        of the magnitude over ``despike_window_ms``) are left out, with ``despike_pad_ms`` either side:
        electrode pops (2-10 ms) and sharp motion transients.
    detect_bin_ms : float
        Bin width of the detection statistic (0: ``bin_ms``; rounded to a multiple of it).  Wider bins
        make the log power of each bin closer to Gaussian, so the moving median is more efficient
        at low sample rates (where a 5 ms bin holds a single sample).
    sensitive_window_ms, sensitive_bin_ms, sensitive_h_sd, sensitive_h_off_sd, sensitive_min_on_ms
        The second, more sensitive pass (:meth:`DefaultDetector.detect_in`), used only inside windows
        where the protocol expects an activation and the first pass found none: a longer window of
        coarser bins (it averages enough samples at 200 Hz), a lower threshold, and a longer minimum
        duration (it must be a sustained contraction, not a transient).
    """

    highpass_hz: float = 40.0
    ar_order: int = 4
    bin_ms: float = 5.0
    detect_window_ms: float = 100.0
    detect_min_samples: int = 60
    h_sd: float = 5.0
    h_off_sd: float = 2.5
    min_ratio: float = 1.3
    min_on_ms: float = 100.0
    merge_gap_ms: float = 100.0
    return_sd: float = 1.0
    search_early_ms: float = 300.0
    fit_rest_ms: float = 200.0
    plateau_fraction: float = 0.8
    fit_extend_ms: float = 0.0
    max_rise_ms: float = 300.0
    prior_ms: float = 200.0
    outlier_p: float = 1e-3
    pool_shapes: bool = False
    pool_min_ms: float = 400.0
    sd_inflation: float = 1.8
    spike_ms: float = 40.0
    spike_fraction: float = 0.65
    despike_sd: float = 6.0
    despike_window_ms: float = 100.0
    despike_pad_ms: float = 10.0
    detect_bin_ms: float = 0.0
    sensitive_window_ms: float = 600.0
    sensitive_bin_ms: float = 25.0
    sensitive_h_sd: float = 4.5
    sensitive_h_off_sd: float = 2.5
    sensitive_min_on_ms: float = 300.0
