"""Printing user text on a terminal: hidden characters made visible, rich markup escaped.

Every line the CLI prints goes through :func:`say` (``tests/cli/test_terminal_injection.py`` checks
that no command module calls ``print`` itself), so a file name holding ``ESC ] 0 ; ... BEL`` or a
subject id holding U+202E reaches the terminal as ``\\x1b]0;...\\x07`` or ``\\u202e``, never as an
instruction to it (:func:`glutesense.model.text.visible`).  Text rich renders (progress labels, the
live view's title and status) also has its ``[markup]`` escaped (:func:`markup`).
"""

from __future__ import annotations

import sys
from typing import IO

from glutesense.model.text import visible

# our own multi-line messages keep their line breaks and tabs; every other hidden character shows
KEEP = "\n\t"


def safe(text: object) -> str:
    """``str(text)`` with every control, format or direction character written as its escape."""
    return visible(str(text), keep=KEEP)


def say(*parts: object, file: IO[str] | None = None, end: str = "\n", flush: bool = False) -> None:
    """``print`` for the CLI: the same arguments, the text made :func:`safe` first."""
    print(safe(" ".join(str(p) for p in parts)), file=file or sys.stdout, end=end, flush=flush)


def markup(text: object) -> str:
    """:func:`safe` text with rich markup (``[bold]``, ``[/]``) escaped, for what rich renders."""
    from rich.markup import escape

    return escape(safe(text))


def ring() -> None:
    """The terminal bell (a prompt of ``wake``): the one control character the CLI sends on purpose."""
    sys.stdout.write("\a")
