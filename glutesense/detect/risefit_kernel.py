"""Compiled kernel of the rise fit (:mod:`glutesense.detect.risefit`), used when numba is installed.

``pip install glutesense[fast]`` installs numba.  Without it the fit runs in NumPy
(:func:`glutesense.detect.gamma_glm.gamma_fit`), with the same answers: the kernel does the same
arithmetic (IRLS of the Gamma GLM, winsorised log-likelihood) but fused into one loop over the bins
of each (shape, rise time, onset) model, with no temporaries, and with the work of a bin cut to a few
additions where the rise shape is 0 (before the onset) or 1 (on the plateau).  The two paths agree
to rounding (``tests/detect/test_risefit_fast.py``); set ``GLUTESENSE_NO_NUMBA=1`` to force NumPy.

Shape codes (:data:`SHAPE_CODE`) stand for :class:`glutesense.detect.risefit.RiseShape` members.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from glutesense.model.arrays import FloatArray

SHAPE_CODE = {
    "step": 0,
    "linear": 1,
    "quadratic": 2,
    "cubic": 3,
    "raised_cosine": 4,
    "exponential": 5,
    "logistic": 6,
}


def _load() -> Callable[..., Any] | None:
    if os.environ.get("GLUTESENSE_NO_NUMBA"):
        return None
    try:
        import numba
    except ImportError:
        return None
    return numba.njit(cache=True, error_model="numpy", nogil=True)


_jit = _load()
AVAILABLE = _jit is not None
"""True when the compiled kernel is in use."""


def _shape_sq(code: int, u: float, exp_rate: float, logistic_k: float) -> float:
    """``g(u)^2`` for ``0 < u < 1`` (same formulas as ``risefit.rise_amplitude``)."""
    if code == 1:
        g = u
    elif code == 2:
        g = u**2.0
    elif code == 3:
        g = u**3.0
    elif code == 4:
        g = 0.5 - 0.5 * math.cos(math.pi * u)
    elif code == 5:
        g = (1.0 - math.exp(-exp_rate * u)) / (1.0 - math.exp(-exp_rate))
    else:
        lo = 1.0 / (1.0 + math.exp(logistic_k / 2.0))
        v = 1.0 / (1.0 + math.exp(-logistic_k * (u - 0.5)))
        g = min(max((v - lo) / (1.0 - 2.0 * lo), 0.0), 1.0)
    return g * g


def _fill_shape(
    s: FloatArray, t: FloatArray, t0: float, code: int, rise: float, bin_s: float, consts: FloatArray
) -> float:
    """Rise shape ``g^2`` of one model at every bin into ``s``; returns its sum."""
    total = 0.0
    for j in range(t.size):
        u = (t[j] + 0.5 * bin_s - t0) / bin_s if code == 0 else (t[j] - t0) / rise
        if u <= 0.0:
            v = 0.0
        elif u >= 1.0:
            v = 1.0
        elif code == 0:
            v = u * u
        else:
            v = _shape_sq(code, u, consts[0], consts[1])
        s[j] = v
        total += v
    return total


def _irls(
    p: FloatArray, s: FloatArray, b: float, a: float, base: float, cfg: FloatArray
) -> tuple[float, float]:
    """IRLS iterations of one model (``gamma_glm.gamma_fit``); ``cfg`` = nu, prior_nu, n_iter, ratio."""
    nu, prior_nu, n_iter, ratio = cfg[0], cfg[1], int(cfg[2]), cfg[3]
    for _ in range(n_iter):
        w_b = 1.0 / (b * b)
        w_p = 1.0 / ((b + a) * (b + a))
        c_b, c_p = ratio * b, ratio * (b + a)
        n_b = n_p = 0
        q_b = q_p = 0.0
        sw = sws = swss = swp = swsp = 0.0
        for j in range(p.size):
            sj = s[j]
            if sj == 0.0:
                n_b += 1
                q_b += min(p[j], c_b)
            elif sj == 1.0:
                n_p += 1
                q_p += min(p[j], c_p)
            else:
                lam = b + a * sj
                w = 1.0 / (lam * lam)
                pw = min(p[j], ratio * lam)
                ws = w * sj
                sw += w
                sws += ws
                swss += ws * sj
                swp += w * pw
                swsp += ws * pw
        sw += n_b * w_b + n_p * w_p
        sws += n_p * w_p
        swss += n_p * w_p
        swp += w_b * q_b + w_p * q_p
        swsp += w_p * q_p
        w0 = prior_nu / nu / (b * b)
        sw += w0
        swp += w0 * base
        det = sw * swss - sws * sws
        a_new = (sw * swsp - sws * swp) / det
        b_new = (swp - a_new * sws) / sw
        if not np.isfinite(a_new) or a_new < 0.0:
            a = 0.0
            b = swp / sw
        else:
            a = a_new
            b = b_new
        b = max(b, 0.05 * base)
    return b, a


def _loglik(p: FloatArray, s: FloatArray, b: float, a: float, base: float, cfg: FloatArray) -> float:
    """Winsorised Gamma log-likelihood of one fitted model (``gamma_glm.gamma_fit``)."""
    nu, prior_nu, ratio = cfg[0], cfg[1], cfg[3]
    total = 0.0
    n_b = n_p = 0
    for j in range(p.size):
        sj = s[j]
        lam = b + a * sj
        r = p[j] / lam
        if r > ratio:
            r = ratio * (1.0 + math.log(max(r, 1e-300) / ratio))
        if sj == 0.0:
            n_b += 1
        elif sj == 1.0:
            n_p += 1
        else:
            total += math.log(lam)
        total += r
    total += n_b * math.log(b) + n_p * math.log(b + a)
    return -0.5 * nu * total - 0.5 * prior_nu * (math.log(b) + base / b)


def _fit_models(
    t: FloatArray,
    p: FloatArray,
    onsets: FloatArray,
    codes: npt.NDArray[np.int64],
    rises: FloatArray,
    bin_s: float,
    base: float,
    cfg: FloatArray,
    consts: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Log-likelihood, ``b`` and ``A`` of every (model, onset), each shape (n_models, n_onsets)."""
    n_m, n_o = codes.size, onsets.size
    ll = np.empty((n_m, n_o))
    bb = np.empty((n_m, n_o))
    aa = np.empty((n_m, n_o))
    s = np.empty(t.size)
    a_top = max(p.mean() - base, 1e-6 * base)
    for m in range(n_m):
        for i in range(n_o):
            total = _fill_shape(s, t, onsets[i], codes[m], rises[m], bin_s, consts)
            b, a = _irls(p, s, base, a_top / max(total / t.size, 1e-9), base, cfg)
            ll[m, i] = _loglik(p, s, b, a, base, cfg)
            bb[m, i] = b
            aa[m, i] = a
    return ll, bb, aa


if _jit is not None:
    _shape_sq = _jit(_shape_sq)
    _fill_shape = _jit(_fill_shape)
    _irls = _jit(_irls)
    _loglik = _jit(_loglik)
    _fit_models = _jit(_fit_models)


def fit_models(
    t: FloatArray,
    p: FloatArray,
    onsets: FloatArray,
    models: list[tuple[str, float]],
    *,
    bin_s: float,
    base: float,
    nu: float,
    prior_nu: float,
    n_iter: int,
    outlier_ratio: float,
    exp_rate: float,
    logistic_k: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fit every ``(shape name, rise time)`` model at every onset (compiled when numba is present)."""
    codes = np.array([SHAPE_CODE[name] for name, _ in models], dtype=np.int64)
    rises = np.array([r for _, r in models], dtype=np.float64)
    cfg = np.array([nu, prior_nu, float(n_iter), outlier_ratio])
    consts = np.array([exp_rate, logistic_k])
    return _fit_models(
        np.ascontiguousarray(t, dtype=np.float64),
        np.ascontiguousarray(p, dtype=np.float64),
        np.ascontiguousarray(onsets, dtype=np.float64),
        codes,
        rises,
        float(bin_s),
        float(base),
        cfg,
        consts,
    )
