"""The detector registry: name -> detector class.  Add a detector by adding a line here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from glutesense.detect.base import Detector
from glutesense.detect.bonato import BonatoDetector
from glutesense.detect.changepoint import ChangePointDetector
from glutesense.detect.default import DefaultDetector
from glutesense.detect.hodges_bui import HodgesBuiDetector
from glutesense.detect.tkeo import TkeoDetector

DETECTORS: Mapping[str, Callable[[], Detector]] = MappingProxyType(
    {
        DefaultDetector.name: DefaultDetector,
        HodgesBuiDetector.name: HodgesBuiDetector,
        BonatoDetector.name: BonatoDetector,
        TkeoDetector.name: TkeoDetector,
        ChangePointDetector.name: ChangePointDetector,
    }
)
"""Read-only mapping from detector name to a factory taking no arguments (default settings)."""


def make_detector(name: str) -> Detector:
    """The detector registered as ``name`` with its default settings.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    try:
        factory = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown detector {name!r} (known: {', '.join(sorted(DETECTORS))})") from None
    return factory()
