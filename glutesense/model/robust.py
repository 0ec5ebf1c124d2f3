"""The robust spread every layer uses: the SD of a normal distribution from the median absolute deviation.

``robust_sd(x) = 1.4826 * median |x - median(x)|`` (NaN left out).  It is the one definition of
"robust SD" in glutesense: detector thresholds, resting baselines, rep-to-rep spreads and the clock
fit's scatter all read it from here.  (:func:`scipy.stats.median_abs_deviation` with
``scale="normal"`` uses 1.482602...; the rounded 1.4826 is kept so that no threshold moves.)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MAD_TO_SD = 1.4826
"""Scale from the median absolute deviation to the SD of a normal distribution."""


def robust_sd(x: npt.ArrayLike, *, center: float | None = None) -> float:
    """``1.4826 * median |x - center|`` of the finite values of ``x``; ``center`` defaults to their median."""
    v = np.asarray(x, dtype=np.float64)
    level = float(np.nanmedian(v)) if center is None else center
    return MAD_TO_SD * float(np.nanmedian(np.abs(v - level)))


def median_sd(x: npt.ArrayLike) -> tuple[float, float]:
    """Median and robust SD (:func:`robust_sd`) of the finite values of ``x``."""
    v = np.asarray(x, dtype=np.float64)
    level = float(np.nanmedian(v))
    return level, robust_sd(v, center=level)
