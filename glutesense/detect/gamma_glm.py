"""Gamma GLM (identity link) of binned power, fitted by IRLS: the NumPy path of the rise fit.

For each candidate rise shape ``s`` (a row: one shape, rise time and onset), the bin powers ``p`` are
modelled as Gamma variables with mean ``lambda = b + A s`` (:mod:`glutesense.detect.risefit`).  The
compiled kernel (:mod:`glutesense.detect.risefit_kernel`) does the same arithmetic.
"""

from __future__ import annotations

import numpy as np

from glutesense.model.arrays import FloatArray


def gamma_fit(
    p: FloatArray,
    s: FloatArray,
    base: float,
    *,
    nu: float,
    prior_nu: float,
    n_iter: int,
    outlier_ratio: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Gamma-ML ``b, A >= 0`` of ``lambda = b + A s`` for each row of ``s`` (IRLS, identity link).

    Parameters
    ----------
    p : ndarray, shape (n_bins,)
        Bin powers (finite, positive).
    s : ndarray, shape (n_models, n_bins)
        Rise shape ``g^2`` of each candidate model at each bin.
    base : float
        Resting-level prior: a pseudo-bin of power ``base`` with ``prior_nu`` degrees of freedom.
    nu : float
        Degrees of freedom of a bin's power.
    outlier_ratio : float
        A bin's power is winsorised at this multiple of the model (bounded influence of spikes and
        motion transients); its log-likelihood term grows only logarithmically beyond it.

    Returns
    -------
    loglik, b, a : ndarray, shape (n_models,)
        Log-likelihood (constants dropped, prior included) and the fitted parameters.
    """
    n_models = s.shape[0]
    b = np.full(n_models, base)
    a = np.maximum(np.mean(p) - base, 1e-6 * base) / np.maximum(s.mean(axis=1), 1e-9)
    for _ in range(n_iter):
        lam = b[:, None] + a[:, None] * s
        w = 1.0 / lam**2
        pw = np.minimum(p[None, :], outlier_ratio * lam)
        w0 = prior_nu / nu / b**2
        ws = w * s
        sw = w.sum(axis=1) + w0
        sws = ws.sum(axis=1)
        swss = (ws * s).sum(axis=1)
        swp = (w * pw).sum(axis=1) + w0 * base
        swsp = (ws * pw).sum(axis=1)
        det = sw * swss - sws * sws
        with np.errstate(invalid="ignore", divide="ignore"):
            a_new = (sw * swsp - sws * swp) / det
            b_new = (swp - a_new * sws) / sw
        bad = ~np.isfinite(a_new) | (a_new < 0)
        a = np.where(bad, 0.0, a_new)
        b = np.where(bad, swp / sw, b_new)
        b = np.maximum(b, 0.05 * base)
    lam = b[:, None] + a[:, None] * s
    r = p[None, :] / lam
    r = np.where(r > outlier_ratio, outlier_ratio * (1.0 + np.log(np.maximum(r, 1e-300) / outlier_ratio)), r)
    loglik = -0.5 * nu * (np.log(lam) + r).sum(axis=1)
    loglik -= 0.5 * prior_nu * (np.log(b) + base / b)
    return loglik, b, a
