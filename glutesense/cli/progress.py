"""Progress display: rich on a terminal, silent otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def is_terminal() -> bool:
    return sys.stderr.isatty()


def track(items: Iterable[T], description: str, *, total: int | None = None) -> Iterator[T]:
    """Iterate ``items`` showing a progress bar on a terminal (stderr)."""
    if not is_terminal():
        yield from items
        return
    from rich.progress import track as rich_track

    yield from rich_track(items, description=description, total=total, transient=True)


def status(message: str) -> None:
    """A one-line status message on stderr, only on a terminal."""
    if is_terminal():
        print(message, file=sys.stderr)
