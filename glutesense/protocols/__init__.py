"""Protocols: how a recording splits into reps.  ``SEGMENTERS`` is the explicit registry."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from glutesense.model.roles import Protocol
from glutesense.protocols.base import RepWindow, Segmentation, Segmenter, SegmentInput
from glutesense.protocols.bridge import segment_bridge
from glutesense.protocols.single_leg_stand import segment_single_leg_stand
from glutesense.protocols.walk import segment_walk

SEGMENTERS: Mapping[Protocol, Segmenter] = MappingProxyType(
    {
        Protocol.BRIDGE: segment_bridge,
        Protocol.SINGLE_LEG_STAND: segment_single_leg_stand,
        Protocol.WALK: segment_walk,
    }
)

__all__ = ["SEGMENTERS", "RepWindow", "SegmentInput", "Segmentation", "Segmenter"]
