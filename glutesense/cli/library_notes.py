"""Library warnings on the terminal: each distinct one as one clean ``note:`` line on standard error.

The wording is :func:`glutesense.model.warning_notes.note_text`; ``analyze`` keeps the warnings of
its analysis as analysis notes instead (``summary.json``, the report), via ``collected``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from glutesense.cli.terminal import say
from glutesense.model.warning_notes import note_text, show_user_facing


@contextmanager
def notes_on_stderr() -> Iterator[None]:
    """Show each distinct warning raised in the block as one ``note:`` line on standard error."""
    seen: set[str] = set()

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        text = note_text(message, filename)
        if text not in seen:
            seen.add(text)
            say(f"note: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        show_user_facing()
        warnings.showwarning = show
        yield
