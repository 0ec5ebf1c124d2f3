"""The array types used in signatures across the package, defined once.

Sample arrays are float64 in the core unit of their role (see :mod:`glutesense.model.records`);
masks are bool; sequence counters and sample indices are int64.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
