"""Progress display: rich on a terminal, silent otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from glutesense.cli.terminal import markup, say

T = TypeVar("T")


def is_terminal() -> bool:
    return sys.stderr.isatty()


def track(items: Iterable[T], description: str, *, total: int | None = None) -> Iterator[T]:
    """Iterate ``items`` showing a progress bar on a terminal (stderr)."""
    if not is_terminal():
        yield from items
        return
    from rich.progress import track as rich_track

    yield from rich_track(items, description=markup(description), total=total, transient=True)


def status(message: str) -> None:
    """A one-line status message on stderr, only on a terminal."""
    if is_terminal():
        say(message, file=sys.stderr)


@contextmanager
def stages(total: int, *, console: Any = None) -> Iterator[Callable[[str], None]]:
    """A bar over ``total`` named stages (read, analyze, write per file) on a terminal (stderr).

    Yields ``step(label)``: the previous stage is done, ``label`` starts.  Off a terminal (pipes, CI,
    tests) nothing is shown and ``step`` does nothing.  ``console`` (a ``rich.console.Console``) is
    for tests.
    """
    if console is None and not is_terminal():
        yield lambda label: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, transient=True, console=console) as bar:
        task = bar.add_task("starting", total=total)
        started = [False]

        def step(label: str) -> None:
            bar.update(task, description=markup(label), advance=1 if started[0] else 0)
            bar.refresh()  # show the new stage now, not at the next tick
            started[0] = True

        yield step
        bar.update(task, completed=total)
