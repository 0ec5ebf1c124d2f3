"""The status and counter lines both live views show."""

from __future__ import annotations

from glutesense.acquire.live import LiveEnvelopes
from glutesense.acquire.status import RecorderStatus


def status_text(s: RecorderStatus) -> str:
    """The one-line status of the rich view."""
    countdown = f"  in {s.countdown_s:.0f}" if s.countdown_s else ""
    link = "" if s.connected else "  [link lost: reconnecting]"
    return (
        f"{s.text}{countdown}{link}   ({s.t_s:.0f}/{s.duration_s:.0f} s, "
        f"{s.n_packets} packets, {s.lost_packets} lost, {s.n_gaps} gaps)"
    )


def counters_text(s: RecorderStatus, live: LiveEnvelopes | None) -> str:
    """Packets, losses, gaps and the effective EMG sample rate of each device."""
    rates = live.rates_hz() if live is not None else {}
    fs = ", ".join(f"device {d} {hz:.0f} Hz" for d, hz in sorted(rates.items()))
    return f"packets {s.n_packets}, lost {s.lost_packets}, gaps {s.n_gaps}" + (
        f", EMG rate {fs}" if fs else ""
    )
