"""The detect skeleton the classic detectors share (Hodges & Bui, Bonato, TKEO, change point).

Each of them does the same four things: check its settings at the channel's sample rate (a clear
``ValueError`` naming the setting), take the resting window, find ``(onset, alarm, stop)`` sample
spans with its own method, and turn the spans into bursts whose peak and confidence are read alike
for all (:func:`~glutesense.detect.common.make_bursts`).  A detector subclasses
:class:`SpanDetector` and writes only the two steps that are its method: :meth:`~SpanDetector.sizes`
and :meth:`~SpanDetector.spans`.
"""

from __future__ import annotations

import numpy as np

from glutesense.detect.base import Burst, ConfiguredDetector, DetectionInput, S
from glutesense.detect.common import make_bursts, rest_slice
from glutesense.model.arrays import FloatArray

Spans = list[tuple[int, int, int]]
"""``(onset, alarm, stop)`` sample indices of each burst, in time order."""


class SpanDetector(ConfiguredDetector[S]):
    """Check, rest, spans, bursts (module docstring)."""

    def min_rest_samples(self) -> int:
        """Finite samples the resting window must hold."""
        return 20

    def sizes(self, fs_hz: float) -> tuple[int, ...]:
        """Check the settings at ``fs_hz`` (ValueError naming the setting) and return the sample counts
        the method needs (window lengths and the like), in the order :meth:`spans` reads them."""
        raise NotImplementedError

    def spans(self, data: DetectionInput, rest: slice, sizes: tuple[int, ...]) -> Spans:
        """The method: burst spans in ``data.signal_uv`` (``rest`` indexes the resting window)."""
        raise NotImplementedError

    def detect(self, data: DetectionInput) -> tuple[Burst, ...]:
        """All bursts in the channel, in time order."""
        sizes = self.sizes(data.fs_hz)
        rest = rest_slice(self.name, data, min_samples=self.min_rest_samples())
        return make_bursts(data, self.spans(data, rest, sizes), detector=self.name, rest=rest)


def mean_sd_level(test: FloatArray, rest: slice, h_sd: float) -> float:
    """Resting mean plus ``h_sd`` resting SDs of the test function (plain mean and SD, as Hodges & Bui)."""
    base = test[rest]
    base = base[np.isfinite(base)]
    return float(base.mean() + h_sd * base.std())
