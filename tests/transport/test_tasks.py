"""cancel_and_wait absorbs the stopped task's cancellation, never the caller's own."""

from __future__ import annotations

import asyncio

import pytest

from glutesense.transport.tasks import cancel_and_wait


async def _slow_to_unwind() -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        await asyncio.sleep(0.05)  # a sender that flushes before it stops
        raise


def test_the_stopped_task_is_cancelled_and_awaited() -> None:
    async def main() -> bool:
        task = asyncio.create_task(_slow_to_unwind())
        await asyncio.sleep(0)
        await cancel_and_wait(task)
        return task.cancelled()

    assert asyncio.run(main())


def test_a_cancel_of_the_caller_while_it_waits_is_raised_on() -> None:
    reached_after = []

    async def caller() -> None:
        task = asyncio.create_task(_slow_to_unwind())
        await asyncio.sleep(0)
        await cancel_and_wait(task)
        reached_after.append(True)  # must not run: the caller itself was cancelled meanwhile

    async def main() -> None:
        c = asyncio.create_task(caller())
        await asyncio.sleep(0.01)  # caller is inside cancel_and_wait, the task still unwinding
        c.cancel()
        with pytest.raises(asyncio.CancelledError):
            await c

    asyncio.run(main())
    assert reached_after == []
