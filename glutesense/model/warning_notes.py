"""Warnings from libraries (numpy, scipy, pandas, matplotlib) as notes: their words, not their form.

A ``RuntimeWarning: All-NaN slice encountered`` with its source line means nothing to the person
at the terminal and looks like a crash.  The edges (the CLI, a batch worker) catch every warning
with :func:`collected` and keep it as an analysis note, or show it as one clean line
(``glutesense.cli.library_notes``); :func:`note_text` is the wording of both.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePath

_WHAT = {
    "All-NaN slice encountered": "a step met only lost samples: its value is missing",
    "Mean of empty slice": "a step met no samples: its value is missing",
    "overflow encountered": "a value too large for its number type: it is treated as missing",
    "invalid value encountered": "a computation met lost or impossible values: its result is missing",
    "divide by zero encountered": "a division by zero: its result is missing",
}


def _origin(filename: str) -> str:
    """The package a warning came from: ``numpy``, ``matplotlib``, ``glutesense``..."""
    parts = PurePath(filename).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts and parts.index(marker) + 1 < len(parts):
            return PurePath(parts[parts.index(marker) + 1]).stem
    return "glutesense" if "glutesense" in parts else PurePath(filename).stem


def note_text(message: Warning | str, filename: str) -> str:
    """One warning as a note: where from, what it said, what it means (no category, no source line)."""
    text = " ".join(str(message).split())
    meaning = next((m for key, m in _WHAT.items() if key in text), None)
    return f"{_origin(filename)}: {text}" + (f" ({meaning})" if meaning else "")


def dedupe(caught: list[warnings.WarningMessage]) -> list[str]:
    counts: dict[str, int] = {}
    for w in caught:
        key = note_text(w.message, w.filename)
        counts[key] = counts.get(key, 0) + 1
    return [k if n == 1 else f"{k}; {n} times" for k, n in counts.items()]


# what a user may see: numpy's RuntimeWarnings, matplotlib's and pandas' UserWarnings.  A
# DeprecationWarning is for programmers: it keeps the filters outside (ignored; an error in the tests).
USER_FACING = (RuntimeWarning, UserWarning)


def show_user_facing() -> None:
    """Inside ``warnings.catch_warnings()``: let every user-facing warning through, each time."""
    for category in USER_FACING:
        warnings.filterwarnings("always", category=category)


@contextmanager
def collected() -> Iterator[list[str]]:
    """Catch the warnings of the block; the yielded list is filled with their notes when it ends."""
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        show_user_facing()
        yield notes
    notes.extend(dedupe([w for w in caught if issubclass(w.category, USER_FACING)]))
