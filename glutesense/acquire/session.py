"""One guided recording as an object: the schedule run rep by rep over open links into an open writer.

:class:`GuidedSession` holds what the recording's steps share (the tally of what arrived, how
far the schedule has slipped, cues given) and runs them as named methods:

* :meth:`GuidedSession.run`: start the links, :meth:`~GuidedSession.run_schedule`, then
  :meth:`~GuidedSession.finish` (stop, drain, annotations, the result);
* :meth:`~GuidedSession.run_block`: one rep (or a lone cue) and what a dropped link does to it,
  an :class:`Outcome`;
* :meth:`~GuidedSession.replan`: the one place the schedule moves later after a pause;
* :meth:`~GuidedSession.wait_until`, :meth:`~GuidedSession.wait_for_link`: the two ways of
  waiting, both reporting status and taking user marks while they wait.

It never prints and never opens anything: :func:`glutesense.acquire.recorder.record` connects
the links and opens the writer first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from glutesense.acquire.ports import Link, Writer
from glutesense.acquire.schedule import ScheduledCue, rep_blocks, schedule_duration_s
from glutesense.acquire.sink import LinkTally, PacketSink
from glutesense.acquire.status import RecorderStatus, RecordResult
from glutesense.model.records import Event, RawPacket
from glutesense.transport.base import LinkNotice
from glutesense.transport.clock import Clock
from glutesense.transport.tasks import cancel_and_wait

MIN_LEAD_S = 1.0
"""A rep starts on schedule if the link is back this long before its first cue."""


@dataclass(frozen=True)
class Pacing:
    """How the recorder paces itself and treats a dropped link (session seconds).

    Attributes
    ----------
    status_interval_s : float
        Status period.
    drain_s : float
        How long to collect in-flight packets after stopping.
    log_gaps : bool
        Write a ``gap`` event when the sequence counter skips.
    settle_s : float
        How long after a rep's last cue a dropped link still interrupts it.
    resume_s : float
        The least pause (countdown) before a repeated rep.
    """

    status_interval_s: float = 0.2
    drain_s: float = 0.3
    log_gaps: bool = True
    settle_s: float = 1.0
    resume_s: float = 3.0


class Outcome(Enum):
    """What running one block came to."""

    DONE = "done"  # on to the next block
    AGAIN = "again"  # the link dropped: the same block again, re-planned (or repeated)
    LOST = "lost"  # a link is lost for good: stop


class GuidedSession:
    """One guided recording over connected ``links`` into an open ``writer``.

    Parameters
    ----------
    links : sequence of Link
        Connected links, device index 0, 1, ... in order.
    writer : Writer
    schedule : sequence of ScheduledCue
        Sorted by time.
    clock : Clock
        The clock the links stamp packets with.
    start_ns : int
        Clock reading at session time 0.
    pacing : Pacing
    on_status : callable, optional
    marks : asyncio.Queue of str, optional
        User marks (keypresses); each becomes a ``mark`` event.
    stop : callable, optional
        Asked before each block: True ends the schedule there, as complete (a training set that
        ended because the muscle tired).
    before_block : callable, optional
        ``before_block(first_cue, now_s)``, asked before each block: True ends the schedule there,
        as complete (a failed signal-quality gate, :class:`glutesense.acquire.gate.GateStep`).
    """

    def __init__(
        self,
        links: Sequence[Link],
        writer: Writer,
        schedule: Sequence[ScheduledCue],
        clock: Clock,
        start_ns: int,
        pacing: Pacing,
        *,
        on_status: Callable[[RecorderStatus], None] | None = None,
        marks: asyncio.Queue[str] | None = None,
        stop: Callable[[], bool] | None = None,
        before_block: Callable[[ScheduledCue, float], bool] | None = None,
    ) -> None:
        self.stop = stop
        self.before_block = before_block
        self.links = tuple(links)
        self.writer = writer
        self.schedule = tuple(schedule)
        self.clock = clock
        self.start_ns = start_ns
        self.pacing = pacing
        self.on_status = on_status
        self.marks = marks
        self.tally = LinkTally(start_ns)
        profiles = {i: link.profile for i, link in enumerate(self.links)}
        self.sink = PacketSink(writer, profiles, self.tally, log_gaps=pacing.log_gaps)
        self.end_s = schedule_duration_s(self.schedule)
        self.shift_s = 0.0  # how far the schedule has slipped (pauses for reconnects), s
        self.paused = False
        self.n_cues = 0
        self.n_markers = 0
        self.n_interrupted = 0
        self._consumers: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ run
    async def run(self) -> RecordResult:
        """Start streaming, run the schedule, stop and finish; the writer is closed on the way out."""
        loop = asyncio.get_running_loop()
        self._consumers = [
            loop.create_task(self._consume(link.queue), name=f"recorder sink {i}")
            for i, link in enumerate(self.links)
        ]
        stopped = False
        try:
            for link in self.links:
                await link.start()
            completed = await self.run_schedule()
            self.take_marks()
            for link in self.links:
                await link.stop()
            stopped = True
            return await self.finish(completed)
        finally:
            for consumer in self._consumers:
                await cancel_and_wait(consumer)
            if not stopped:
                for link in self.links:
                    with contextlib.suppress(Exception):
                        await link.stop()
            self.writer.close()

    async def run_schedule(self) -> bool:
        """Run every block in turn; True when the whole schedule ran."""
        blocks = rep_blocks(self.schedule)
        b = 0
        while b < len(blocks):
            if self.stop is not None and self.stop():
                return True
            if self.before_block is not None and self.before_block(blocks[b][0], self.now_s()):
                return True
            following = blocks[b + 1][0] if b + 1 < len(blocks) else None
            outcome = await self.run_block(blocks[b], following)
            if outcome is Outcome.LOST:
                return False
            if outcome is Outcome.DONE:
                b += 1
        return True

    async def run_block(self, block: tuple[ScheduledCue, ...], following: ScheduledCue | None) -> Outcome:
        """One rep (or lone cue): wait for it, give its cues, let it settle.

        A link that is down when the block is due pauses the test; one that drops during a
        rep (from its first cue until ``settle_s`` after its last, or the next block's start)
        interrupts it: an ``interrupted`` event, then the rep again under the same number.
        """
        head = block[0]
        idx0 = self.schedule.index(head)
        first_t = head.t_s + self.shift_s
        if not await self.wait_until(first_t - head.countdown_s, idx0) or not self.all_connected():
            return await self._resume(head, first_t, idx0)
        drops_before = self.tally.n_disconnects
        interrupted, given = await self._give_block(block, drops_before)
        is_rep = head.rep is not None
        if not interrupted and is_rep:
            settle_t = block[-1].t_s + self.pacing.settle_s
            if following is not None:
                settle_t = min(settle_t, following.t_s)
            after = self.schedule.index(block[-1]) + 1
            interrupted = not await self.wait_until(settle_t + self.shift_s, after, watch=drops_before)
        if not interrupted:
            return Outcome.DONE
        if self.tally.link_lost:
            return Outcome.LOST
        if not given:  # dropped before the rep began: pause; keep the schedule if back in time
            return await self._resume(head, first_t, idx0)
        if not is_rep:
            return Outcome.DONE
        self.writer.add_event(
            Event(round(self.now_s(), 6), 0.0, "interrupted", head.side, head.rep),
            detail="the link dropped during this rep; it is repeated under the same number",
            first_cue_s=round(first_t, 6),
        )
        self.n_interrupted += 1
        if not await self.wait_for_link(idx0):
            return Outcome.LOST
        self.replan(head)
        return Outcome.AGAIN

    async def _give_block(self, block: tuple[ScheduledCue, ...], drops_before: int) -> tuple[bool, int]:
        """Give the block's cues on time: (whether the link dropped first, how many events were given)."""
        given = 0
        for cue in block:
            idx = self.schedule.index(cue)
            if not await self.wait_until(cue.t_s + self.shift_s, idx, watch=drops_before):
                return True, given
            if cue.is_event:
                await self.give(cue)
                given += 1
            self.status(idx + 1)
        return False, given

    async def _resume(self, head: ScheduledCue, first_t: float, idx0: int) -> Outcome:
        """Pause until the link is back; re-plan the block if there is no longer time to lead into it."""
        if not await self.wait_for_link(idx0):
            return Outcome.LOST
        if self.now_s() + MIN_LEAD_S > first_t:
            self.replan(head)
        return Outcome.AGAIN

    def replan(self, head: ScheduledCue) -> None:
        """Move the rest of the schedule so that ``head`` is a fresh countdown (>= ``resume_s``) away.

        The one re-plan formula: after a pause, and before a repeated rep."""
        self.shift_s = self.now_s() + max(head.countdown_s, self.pacing.resume_s) - head.t_s

    async def finish(self, completed: bool) -> RecordResult:
        """Drain in-flight packets, store annotations (ground truth), and the result."""
        await self.clock.sleep(self.pacing.drain_s)
        for link in self.links:
            while not link.queue.empty():
                self.sink.handle(link.queue.get_nowait())
        annotations: dict[str, Any] | None = None
        for i, link in enumerate(self.links):
            ann = await link.read_annotations()
            if not ann:
                continue
            if annotations is None:  # the first device's annotations go to the top level, as before
                annotations = ann
                self.writer.update_meta(ann)
            else:
                self.writer.update_meta({f"device{i}_annotations": ann})
        st = self.tally
        result = RecordResult(
            start_ns=self.start_ns,
            duration_s=self.now_s(),
            completed=completed,
            n_packets=st.n_packets,
            n_malformed=st.n_malformed,
            lost_packets=st.lost_packets,
            n_gaps=st.n_gaps,
            n_cues=self.n_cues,
            n_markers_sent=self.n_markers,
            n_disconnects=st.n_disconnects,
            n_reconnects=st.n_reconnects,
            ground_truth=bool(annotations),
            message="" if completed else f"stopped early: {st.link_lost or 'incomplete schedule'}",
            n_interrupted=self.n_interrupted,
        )
        stop = {"stop_ns": self.clock.now_ns(), "stopped": True, "recorder": result.to_json()}
        self.writer.update_meta(stop)
        return result

    # ---------------------------------------------------------------- steps
    def now_s(self) -> float:
        return (self.clock.now_ns() - self.start_ns) / 1e9

    def all_connected(self) -> bool:
        return all(link.connected for link in self.links)

    async def _consume(self, queue: asyncio.Queue[RawPacket | LinkNotice]) -> None:
        while True:
            self.sink.handle(await queue.get())

    def check(self) -> None:
        """Re-raise a consumer's failure (a writer that could not write)."""
        for consumer in self._consumers:
            if consumer.done():
                consumer.result()

    async def wait_until(self, t_s: float, idx: int, *, watch: int | None = None) -> bool:
        """Sleep until session time ``t_s``; False if the link dropped (after ``watch`` drops) or was lost."""
        st = self.tally
        while (remaining := t_s - self.now_s()) > 0:
            self.check()
            if st.link_lost or (watch is not None and st.n_disconnects > watch):
                return False
            self.take_marks()
            self.status(idx)
            await self.clock.sleep(min(self.pacing.status_interval_s, remaining))
        return not st.link_lost and (watch is None or st.n_disconnects <= watch)

    async def wait_for_link(self, idx: int) -> bool:
        """Pause until the links are back (True) or one is lost for good (False)."""
        self.paused = True
        while not self.all_connected() and not self.tally.link_lost:
            self.check()
            self.take_marks()
            self.status(idx)
            await self.clock.sleep(self.pacing.status_interval_s)
        self.paused = False
        return not self.tally.link_lost

    async def give(self, cue: ScheduledCue) -> None:
        """Send ``cue`` to every device (as a marker where it can echo one) and log it."""
        onset_s = round(self.now_s(), 6)
        self.n_cues += 1
        to = [i for i, link in enumerate(self.links) if await link.send_marker(self.n_cues, cue.marker_label)]
        self.n_markers += len(to)
        extra: dict[str, Any] = {"text": cue.text, "scheduled_s": round(cue.t_s, 6)}
        if cue.side is not None:
            extra["side"] = cue.side.value
        if cue.rep is not None:
            extra["rep"] = cue.rep
        if to:
            extra["marker"] = self.n_cues
            if len(self.links) > 1:
                extra["marker_devices"] = to
        self.writer.add_event(Event(onset_s, cue.duration_s, cue.label), **extra)

    def take_marks(self) -> None:
        while self.marks is not None and not self.marks.empty():
            text = self.marks.get_nowait()
            self.writer.add_event(Event(round(self.now_s(), 6), 0.0, "mark"), text=text)

    def status(self, idx: int) -> None:
        """Report the state before schedule entry ``idx`` (and what arrived since the last report)."""
        st = self.tally
        if self.on_status is not None:
            self.on_status(self._status_now(idx))
        st.recent.clear()
        st.notices.clear()

    def _status_now(self, idx: int) -> RecorderStatus:
        t = self.now_s()
        cur = self.schedule[idx - 1] if idx > 0 else None
        nxt = self.schedule[idx] if idx < len(self.schedule) else None
        countdown = None
        if nxt is not None:
            due = nxt.t_s + self.shift_s
            if nxt.countdown_s > 0 and due - nxt.countdown_s <= t < due:
                countdown = due - t
        text = cur.text if cur is not None else "Get ready"
        if cur is not None and cur.duration_s and t >= cur.t_s + self.shift_s + cur.duration_s:
            text = "Get ready"
        if self.paused:
            text = "Sensor link lost: paused until it reconnects"
        st = self.tally
        return RecorderStatus(
            t_s=t,
            duration_s=self.end_s + self.shift_s,
            text=text,
            label=None if cur is None else cur.label,
            next_text=None if nxt is None else nxt.text,
            countdown_s=countdown,
            connected=self.all_connected(),
            n_packets=st.n_packets,
            lost_packets=st.lost_packets,
            new_packets=tuple(st.recent),
            notices=tuple(st.notices),
            n_cues=self.n_cues,
            rep=None if cur is None else cur.rep,
            side=None if cur is None or cur.side is None else cur.side.value,
            n_gaps=st.n_gaps,
        )
