"""Transport: clocks, the shared link types and the BLE link (bleak imported lazily).

It knows addresses, names and a Bleak ``backend=``; nothing virtual (the ``sim`` device
names live in :mod:`glutesense.virtual.devices`).
"""

from glutesense.transport.base import BackendPair
from glutesense.transport.clock import Clock, MonotonicClock, ScaledClock

__all__ = ["BackendPair", "Clock", "MonotonicClock", "ScaledClock"]
