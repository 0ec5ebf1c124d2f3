"""Statistics of whitened EMG in bins of ``k`` samples, shared by the default detector and the
power series of the analysis (:mod:`glutesense.analysis.power`): NaN-aware bin means, a spike
mask on local robust SDs, and the bins' chi-square degrees of freedom measured on the rest.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, special

from glutesense.model.arrays import BoolArray, FloatArray
from glutesense.model.robust import MAD_TO_SD, median_sd


def bin_means(z: FloatArray, k: int) -> FloatArray:
    """NaN-aware means of consecutive ``k``-sample bins (last partial bin dropped), shape (n // k,)."""
    m = z.size // k
    blocks = z[: m * k].reshape(m, k)
    cnt = np.isfinite(blocks).sum(axis=1)
    tot = np.nansum(blocks, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt == k, tot / np.maximum(cnt, 1), np.nan)


def spike_mask(e: FloatArray, k: int, *, window_bins: int, h_sd: float, pad_n: int) -> BoolArray:
    """Samples of ``e`` (whitened EMG) further than ``h_sd`` local robust SDs from 0, padded by ``pad_n``.

    The local SD is ``1.4826`` times a moving median (``window_bins`` bins of ``k`` samples) of the
    bins' median magnitude: immune to events shorter than half the window.
    """
    m = e.size // k
    mag = np.abs(np.nan_to_num(e[: m * k])).reshape(m, k)
    med = np.median(mag, axis=1)
    local = ndimage.median_filter(med, size=window_bins, mode="reflect")
    local_sd = np.repeat(MAD_TO_SD * local, k)
    tail = np.full(e.size - local_sd.size, local_sd[-1] if local_sd.size else 0.0)
    local_sd = np.concatenate((local_sd, tail))
    flagged = np.nan_to_num(np.abs(e), nan=0.0) > h_sd * local_sd
    if not flagged.any():
        return flagged
    return np.asarray(ndimage.binary_dilation(flagged, iterations=pad_n))


def bin_dof(rest_bins: FloatArray) -> float:
    """Degrees of freedom of chi-square bin powers from the robust spread of their logarithm.

    ``Var(log(chi2_nu / nu)) = psi_1(nu / 2)`` (trigamma); the SD is taken as 1.4826 MAD.
    """
    lg = np.log(rest_bins[np.isfinite(rest_bins) & (rest_bins > 0)])
    if lg.size < 10:
        return 1.0
    _, sd = median_sd(lg)
    grid = np.geomspace(0.5, 400.0, 400)
    var = special.polygamma(1, grid / 2.0)
    return float(np.interp(-sd * sd, -var, grid))
