"""Replay: a stored session through the live decoding pipeline, packet by packet.

As fast as possible, packets are decoded a few thousand at a time
(:meth:`SessionDecoder.push_many`, the blocks ``push`` gives) and reach the envelopes
once per display update (:meth:`LiveEnvelopes.feed_many`, the envelopes feeding block
by block gives); what the display sees at each update is what the live path showed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

from glutesense.acquire.live import LiveEnvelopes
from glutesense.decode.decoder import PUSH_MANY_N, DecodedBlock, SessionDecoder
from glutesense.model.records import Recording
from glutesense.session import SessionData

UPDATE_EVERY_S = 0.1
YIELD_EVERY_S = 0.02  # wall time between yields to the event loop when not paced
FEED_EVERY_N = 256  # decoded blocks held back at most before they reach the envelopes


async def replay_session(
    data: SessionData,
    *,
    realtime: bool = False,
    on_update: Callable[[float, LiveEnvelopes], None] | None = None,
) -> Recording:
    """Feed ``data``'s packets through :class:`SessionDecoder` and live envelopes.

    Parameters
    ----------
    data : SessionData
    realtime : bool
        Pace packets at their original receive times (else as fast as possible).
    on_update : callable, optional
        Called about every 0.1 s of session time with ``(t_s, envelopes)``; the envelopes
        then hold every packet up to ``t_s`` (they are fed in one step per call, which
        gives the same envelopes as feeding packet by packet).

    Returns
    -------
    Recording
        The same recording direct analysis of the session gives.
    """
    dec = SessionDecoder(data.meta)
    live = LiveEnvelopes(dec.devices)
    start_ns = data.start_ns
    wall0 = time.monotonic()
    next_update = next_yield = 0.0
    pending: list[DecodedBlock] = []  # decoded, not yet in the envelopes: fed in one step per update
    packets = data.packets
    for a in range(0, len(packets), PUSH_MANY_N):
        chunk = packets[a : a + PUSH_MANY_N]
        decoded = None if realtime else dec.push_many(chunk)  # as push would, packet by packet
        for k, pkt in enumerate(chunk):
            t_s = (pkt.t_rx_ns - start_ns) / 1e9
            if realtime:
                ahead = t_s - (time.monotonic() - wall0)
                if ahead > 0:
                    await asyncio.sleep(ahead)
            pending += dec.push(pkt) if decoded is None else decoded[k]
            if len(pending) >= FEED_EVERY_N or (on_update is not None and t_s >= next_update):
                live.feed_many(pending)
                pending.clear()
            if on_update is not None and t_s >= next_update:
                on_update(t_s, live)
                next_update = t_s + UPDATE_EVERY_S
                if time.monotonic() >= next_yield:  # let the loop run (Ctrl-C, other tasks) now and then
                    await asyncio.sleep(0)
                    next_yield = time.monotonic() + YIELD_EVERY_S
    live.feed_many(pending)
    rec = dec.recording(data.events, source=data.path)
    if data.damage:
        rec = dataclasses.replace(rec, meta={**rec.meta, **data.damage_meta()})
    return rec
