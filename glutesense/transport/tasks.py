"""Stopping background asyncio tasks (the link's reconnect task, the virtual devices' senders)."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (None: nothing to do) and wait until it has finished unwinding.

    The ``CancelledError`` of ``task`` is absorbed; a cancellation of the *calling* task that arrives
    while it waits (Ctrl-C cancelling ``asyncio.run``'s main task, say) is not: it is raised on, so a
    clean-up step never swallows the stop it is part of.
    """
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
