"""The sitting-break routine: a prompt every N minutes, the squeeze checked by the sensor, a day's log.

Between prompts nothing streams and nothing is kept: the host is disconnected (no radio traffic,
no samples stored), and sleeps on the injected clock (so a test runs two hours in virtual time).
For each prompt it connects afresh (a laptop that slept or a link that dropped only costs that
break), records ``baseline_s`` of rest, gives the ``prompt`` cue (the caller rings the bell and
shows a notification), listens for ``window_s``, says ``relax``, disconnects, and checks the squeeze
(:func:`glutesense.analysis.breaks.check_break`) on the decoded window, which is then dropped: the
log keeps one line per break (taken, verified, latency, how long it was held), nothing else.  A link
that drops inside a window is reconnected by the recorder (the gap is counted in the entry); a
sensor that cannot be reached, or a prompt the host slept through, is logged as such.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from glutesense.acquire.ports import Link
from glutesense.acquire.recorder import record
from glutesense.acquire.schedule import ScheduledCue
from glutesense.analysis.breaks import BreakCheck, check_break
from glutesense.decode.decoder import SessionDecoder
from glutesense.model.records import Event, RawPacket
from glutesense.model.roles import Role
from glutesense.transport.clock import Clock

GLUTE_ROLES = (Role.GLUTE_MAX_L, Role.GLUTE_MAX_R, Role.GLUTE_MED_L, Role.GLUTE_MED_R)


@dataclass(frozen=True)
class WakePlan:
    """When to prompt (s from the start) and how each break is listened to."""

    every_s: float = 25 * 60.0
    total_s: float = 8 * 3600.0
    baseline_s: float = 3.0
    window_s: float = 20.0

    def prompt_times(self) -> tuple[float, ...]:
        n = int((self.total_s + 1e-9) // self.every_s)
        return tuple(self.every_s * k for k in range(1, n + 1))

    def schedule(self) -> tuple[ScheduledCue, ...]:
        t = 0.2 + self.baseline_s
        return (
            ScheduledCue(0.2, "rest", text="Sitting", duration_s=self.baseline_s),
            ScheduledCue(t, "prompt", text="Stand up and squeeze your glutes"),
            ScheduledCue(t + self.window_s, "relax", text="Thanks: sit back down"),
            ScheduledCue(t + self.window_s + 0.5, "end", is_event=False),
        )


@dataclass
class MemoryWriter:
    """A session writer that keeps one break's window in memory (dropped after the check)."""

    meta: dict[str, Any] = field(default_factory=dict)
    packets: list[RawPacket] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def add_packet(self, pkt: RawPacket) -> None:
        self.packets.append(pkt)

    def add_event(self, event: Event, **extra: Any) -> None:
        self.events.append(event)

    def update_meta(self, patch: Mapping[str, Any]) -> None:
        self.meta.update(patch)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class BreakEntry:
    """One line of the day's log."""

    n: int
    prompt_s: float
    utc: str
    status: str
    """``verified`` (a held squeeze), ``taken`` (the glute rose but did not hold), ``missed``,
    ``no sensor`` (could not connect), ``slept`` (the host slept through the prompt)."""
    latency_ms: float | None = None
    held_s: float | None = None
    level_ratio: float | None = None
    disconnects: int = 0
    sim_truth: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def day_summary(entries: Sequence[BreakEntry]) -> dict[str, int]:
    """Counts for the day's log: prompts, breaks taken (the glute switched on), verified, missed."""
    count = {
        s: sum(1 for e in entries if e.status == s)
        for s in ("verified", "taken", "missed", "no sensor", "slept")
    }
    return {
        "prompts": len(entries),
        "breaks_taken": count["verified"] + count["taken"],
        "breaks_verified": count["verified"],
        "missed": count["missed"],
        "no_sensor": count["no sensor"],
        "slept": count["slept"],
    }


def _status(check: BreakCheck) -> str:
    return "verified" if check.verified else "taken" if check.taken else "missed"


def _check(writer: MemoryWriter, plan: WakePlan) -> BreakCheck:
    dec = SessionDecoder(writer.meta)
    for pkt in writer.packets:
        dec.push(pkt)
    rec = dec.recording(writer.events)
    channels = {r: rec.signal(r) for r in GLUTE_ROLES if rec.has(r)}
    prompt = next((e for e in rec.events if e.trial_type == "prompt"), None)
    rest = next((e for e in rec.events if e.trial_type == "rest"), None)
    if not channels or prompt is None or rest is None:
        return BreakCheck(False, False, None, 0.0, None)
    return check_break(channels, prompt.onset_s, (rest.onset_s, rest.onset_s + rest.duration_s))


def _truth(meta: Mapping[str, Any]) -> dict[str, Any] | None:
    truth = meta.get("ground_truth")
    if not isinstance(truth, Mapping):
        return None
    answered = [r for r in truth.get("reps", ()) if r.get("cue_label") == "prompt"]
    return {"answered": bool(answered)}


async def one_break(
    n: int,
    prompt_s: float,
    plan: WakePlan,
    clock: Clock,
    make_link: Callable[[int], Link],
    on_prompt: Callable[[int], None],
) -> BreakEntry:
    """Connect, listen around one prompt, check it, disconnect; the log line."""
    from glutesense.transport.ble import TransportError

    utc = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    writer = MemoryWriter()

    def open_writer(meta: Mapping[str, Any]) -> MemoryWriter:
        writer.meta.update(meta)
        return writer

    def on_status(s: Any) -> None:
        if s.label == "prompt" and not prompted:
            prompted.append(True)
            on_prompt(n)

    prompted: list[bool] = []
    try:
        result = await record(lambda: make_link(n), open_writer, plan.schedule(), clock, on_status=on_status)
    except TransportError:
        return BreakEntry(n, prompt_s, utc, "no sensor")
    check = _check(writer, plan)
    return BreakEntry(
        n,
        prompt_s,
        utc,
        _status(check),
        None if check.latency_s is None else round(1000.0 * check.latency_s, 1),
        round(check.held_s, 2) if check.taken else None,
        None if check.level_ratio is None else round(check.level_ratio, 2),
        result.n_disconnects,
        _truth(writer.meta),
    )


async def check_in(make_link: Callable[[int], Link]) -> str:
    """Reach the sensor once before the routine starts (connect, then disconnect at once).

    A sensor that is off, out of range or behind an unavailable Bluetooth stack is then said at
    the start, not found out 25 minutes later; once the routine runs, a lost sensor only costs the
    break (``no sensor`` in the log).  Raises :class:`~glutesense.transport.ble.TransportError`.
    Returns the sensor's name.
    """
    link = make_link(0)
    try:
        await link.connect()
        return str(link.describe().get("name", ""))
    finally:
        await link.close()


async def run_breaks(
    plan: WakePlan,
    clock: Clock,
    make_link: Callable[[int], Link],
    *,
    on_prompt: Callable[[int], None],
    on_entry: Callable[[BreakEntry, list[BreakEntry]], None],
) -> list[BreakEntry]:
    """Every prompt of ``plan`` in turn (module docstring); the day's entries."""
    start_ns = clock.now_ns()
    entries: list[BreakEntry] = []
    for n, t_s in enumerate(plan.prompt_times(), 1):
        lead_s = t_s - plan.baseline_s - 0.2
        now_s = (clock.now_ns() - start_ns) / 1e9
        if now_s > t_s + plan.window_s:  # the host slept through this prompt
            entry = BreakEntry(n, t_s, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "slept")
        else:
            if lead_s > now_s:
                await clock.sleep(lead_s - now_s)
            entry = await one_break(n, t_s, plan, clock, make_link, on_prompt)
        entries.append(entry)
        on_entry(entry, entries)
    return entries
