"""Replay: a stored session through the live decoding pipeline, packet by packet."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

from glutesense.acquire.live import LiveEnvelopes
from glutesense.decode.decoder import SessionDecoder
from glutesense.model.records import Recording
from glutesense.session import SessionData

UPDATE_EVERY_S = 0.1


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
        Called about every 0.1 s of session time with ``(t_s, envelopes)``.

    Returns
    -------
    Recording
        The same recording direct analysis of the session gives.
    """
    dec = SessionDecoder(data.meta)
    live = LiveEnvelopes(dec.devices)
    start_ns = data.start_ns
    wall0 = time.monotonic()
    next_update = 0.0
    for pkt in data.packets:
        t_s = (pkt.t_rx_ns - start_ns) / 1e9
        if realtime:
            ahead = t_s - (time.monotonic() - wall0)
            if ahead > 0:
                await asyncio.sleep(ahead)
        for block in dec.push(pkt):
            live.feed(block)
        if on_update is not None and t_s >= next_update:
            on_update(t_s, live)
            next_update = t_s + UPDATE_EVERY_S
            await asyncio.sleep(0)
    rec = dec.recording(data.events, source=data.path)
    if data.damage:
        rec = dataclasses.replace(rec, meta={**rec.meta, **data.damage_meta()})
    return rec
