"""Bonato, D'Alessio & Knaflitz (1998): the statistical double-threshold detector.

Bonato, P., D'Alessio, T. & Knaflitz, M. (1998). A statistical method for the measurement of muscle
activation intervals from surface myoelectric signal during gait. *IEEE Transactions on Biomedical
Engineering*, 45(3), 287-299.

Method: the test function ``g_k = (x_k^2 + x_{k+1}^2) / sigma0^2`` is formed on consecutive,
non-overlapping sample pairs (``sigma0^2`` the resting variance), so that at rest it follows a
chi-square law with two degrees of freedom.  First threshold: a pair is "above" when ``g_k > zeta``.
Second threshold: a window of ``m`` pairs (``window_ms``) is active when at least ``r0`` of them are
above (``r0 = ceil(min_above_fraction * m)``; the paper's m = 5, r0 = 1 at 1 kHz are the defaults).
The muscle is on when windows stay active for at least ``min_on_ms`` (the paper's 30 ms), and the
onset is the first above pair of that stretch.  Stretches closer than ``merge_gap_ms`` merge.
The paper assumes a whitened signal; here it receives the conditioned (band-passed) EMG, as in most
implementations, which makes neighbouring pairs correlated and the false-alarm law only approximate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glutesense.detect.base import DetectionInput
from glutesense.detect.common import merge_runs, require_duration
from glutesense.detect.skeleton import SpanDetector, Spans
from glutesense.signal.runs import runs_of


@dataclass(frozen=True)
class BonatoSettings:
    """Settings of :class:`BonatoDetector`.

    Attributes
    ----------
    zeta : float
        First threshold on the test function, multiples of the resting variance (chi-square, 2 dof:
        a resting pair exceeds it with probability ``exp(-zeta / 2)``).
    window_ms : float
        Length of the window of pairs the second threshold counts over, ms (at least one pair).
    min_above_fraction : float
        Share of pairs in a window that must be above, in (0, 1].
    min_on_ms : float
        Windows must stay active this long, ms.
    merge_gap_ms : float
        Active stretches separated by less than this are merged, ms.
    """

    zeta: float = 12.0
    window_ms: float = 10.0
    min_above_fraction: float = 0.2
    min_on_ms: float = 30.0
    merge_gap_ms: float = 100.0


class BonatoDetector(SpanDetector[BonatoSettings]):
    """Bonato et al. (1998) double-threshold detector (see the module docstring)."""

    name = "bonato"
    settings_type = BonatoSettings

    def sizes(self, fs_hz: float) -> tuple[int, ...]:
        """``(m, min_on_pairs, r0)``: pairs per window, pairs a stretch must last, pairs above per window."""
        cfg = self.settings
        m = require_duration(self.name, "window_ms", cfg.window_ms, fs_hz, min_samples=2) // 2
        min_on = require_duration(self.name, "min_on_ms", cfg.min_on_ms, fs_hz, min_samples=2)
        min_on_pairs = max(min_on // 2, 1)
        if not 0 < cfg.min_above_fraction <= 1 or cfg.zeta <= 0:
            raise ValueError(f"detector {self.name!r}: need zeta > 0 and min_above_fraction in (0, 1]")
        return m, min_on_pairs, max(1, math.ceil(cfg.min_above_fraction * m))

    def spans(self, data: DetectionInput, rest: slice, sizes: tuple[int, ...]) -> Spans:
        """First threshold on the pair test function, second on the count per window."""
        cfg = self.settings
        fs = data.fs_hz
        m, min_on_pairs, r0 = sizes
        x = data.signal_uv
        x0 = np.where(np.isfinite(x), x, 0.0)
        sigma2 = float(np.nanmean(np.square(x[rest])))
        n_pairs = x.size // 2
        g = (x0[0 : 2 * n_pairs : 2] ** 2 + x0[1 : 2 * n_pairs : 2] ** 2) / max(sigma2, 1e-24)
        above = g > cfg.zeta
        counts = np.convolve(above.astype(np.int64), np.ones(m, dtype=np.int64), mode="full")[m - 1 :]
        active = counts[:n_pairs] >= r0  # window [j, j + m) of pairs
        gap_pairs = max(round(cfg.merge_gap_ms * fs / 2000.0), 1)
        runs = [(a, b) for a, b in runs_of(active) if b - a >= min_on_pairs]
        spans: Spans = []
        for a, b in merge_runs(runs, gap_pairs):
            first = a + int(np.argmax(above[a:b]))
            stop = min(2 * (b + m - 1), x.size)
            spans.append((2 * first, 2 * first, stop))
        return spans
