"""Missing data is never absence: a muscle's onset in a rep whose samples are lost is not trusted.

A rep window whose conditioned signal is missing (NaN: lost packets, impossible values) over more
than ``LOST_SHARE`` of its length, with no onset
found, says "data lost", not "no activation" (so the rep is ``undetected``, never ``glute_absent``).
An onset with lost samples in the ``ONSET_GUARD_S`` before it is dropped too: the muscle may have
switched on inside the gap, and the onset found after it would be late by an unknown amount.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from glutesense.analysis.metrics import OnsetPick
from glutesense.model.arrays import FloatArray
from glutesense.protocols.base import RepWindow

LOST_SHARE = 0.2
ONSET_GUARD_S = 0.2


class Samples(Protocol):
    """What the check needs of a channel (a :class:`~glutesense.detect.base.DetectionInput` has it)."""

    @property
    def signal_uv(self) -> FloatArray: ...
    @property
    def fs_hz(self) -> float: ...
    @property
    def t0_s(self) -> float: ...


def lost_share(ch: Samples, lo_s: float, hi_s: float) -> float:
    """Share of the samples in ``[lo_s, hi_s)`` that are missing (NaN), 0..1."""
    n = ch.signal_uv.size
    i0 = min(max(math.ceil((lo_s - ch.t0_s) * ch.fs_hz), 0), n)
    i1 = min(max(math.ceil((hi_s - ch.t0_s) * ch.fs_hz), i0), n)
    if i1 <= i0:
        return 0.0
    return float(np.count_nonzero(np.isnan(ch.signal_uv[i0:i1]))) / (i1 - i0)


def guard_lost(pick: OnsetPick, ch: Samples, window: RepWindow) -> OnsetPick:
    """``pick``, or no onset with the reason when lost data makes it (or its absence) untrustworthy."""
    if pick.burst is None:
        share = lost_share(ch, window.start_s, window.stop_s)
        if share > LOST_SHARE:
            return OnsetPick(None, f"data lost over {share:.0%} of the rep (missing, not absent)", 0)
        return pick
    onset = pick.burst.onset_s
    if lost_share(ch, onset - ONSET_GUARD_S, onset) > 0:
        reason = "samples lost just before the onset (the true onset may lie in the gap)"
        return OnsetPick(None, reason, pick.false_starts)
    return pick
