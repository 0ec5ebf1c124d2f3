"""What decoding found, as typed reports: packet losses and each device's clock fit (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from glutesense.decode.clockfit import ClockFit
from glutesense.decode.layout import LaidStream
from glutesense.decode.timeline import ClockKey, Timeline
from glutesense.model.meta import (
    ClockAlignment,
    ClockReport,
    DeviceClock,
    PacketReport,
    StreamPackets,
    Timing,
)


def packet_stats(laid: Sequence[LaidStream], *, received: int, malformed: int) -> PacketReport:
    """Packets received, malformed, lost (and in how many gaps) and duplicated, overall and per stream."""
    return PacketReport(
        received=received,
        malformed=malformed,
        dropped=sum(lo.n_dropped_packets for lo in laid),
        duplicates=sum(lo.n_duplicates for lo in laid),
        gaps=sum(len(lo.gaps) for lo in laid),
        by_stream={
            f"{lo.device}.{lo.kind.name.lower()}": StreamPackets(
                dropped=lo.n_dropped_packets,
                duplicates=lo.n_duplicates,
                gaps=len(lo.gaps),
                lost_s=round(sum(d for _, d in lo.gaps), 6),
                segments=lo.n_segments,
            )
            for lo in laid
        },
    )


def device_clock(
    profile: str, fits: Mapping[ClockKey, ClockFit], timelines: Sequence[Timeline], start_s: float
) -> DeviceClock:
    """One device's clock entry: the fit of its main (most packets) segment, on session time."""
    main = max(fits, key=lambda k: fits[k].n_points)
    f = fits[main]
    order = list(Timing)
    return DeviceClock(
        profile=profile,
        offset_s=f.offset_s - start_s,
        drift_ppm=f.drift_ppm,
        residual_ms=f.residual_ms,
        spread_ms=f.spread_ms,
        n_packets=sum(x.n_points for x in fits.values()),
        segments=len(fits),
        timing=max((tl.timing for tl in timelines), key=order.index),
        fs_from_arrival_hz={
            tl.kind.name.lower(): round(tl.fs_hz, 3) for tl in timelines if tl.timing is Timing.ARRIVAL
        },
    )


def clock_report(devices: Mapping[int, DeviceClock]) -> ClockReport:
    """The devices' clocks, with the alignment residual against the first when there are several."""
    if len(devices) <= 1:
        return ClockReport(dict(devices))
    ref = min(devices)
    ref_spread = devices[ref].spread_ms
    residual = {d: round(float(np.hypot(ref_spread, c.spread_ms)), 3) for d, c in devices.items() if d != ref}
    return ClockReport(dict(devices), ClockAlignment(ref, residual))
