"""Onset detectors behind one interface, chosen by name through :mod:`glutesense.detect.registry`;
:func:`onsets` runs one on a plain array."""

from glutesense.detect.array import onsets
from glutesense.detect.base import Burst, DetectionInput, Detector
from glutesense.detect.registry import DETECTORS, make_detector

__all__ = ["DETECTORS", "Burst", "DetectionInput", "Detector", "make_detector", "onsets"]
