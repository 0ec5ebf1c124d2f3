"""Transport: clocks, Bleak backend resolution, and the BLE link (bleak imported lazily)."""

from glutesense.transport.backends import BackendPair, is_sim, resolve_backend
from glutesense.transport.clock import Clock, MonotonicClock, ScaledClock

__all__ = ["BackendPair", "Clock", "MonotonicClock", "ScaledClock", "is_sim", "resolve_backend"]
