"""Characters a reader cannot see, made visible: the one guard for user text on a terminal or a page.

A subject id, a file name, an event label or a channel name comes from the user or from a file, and
may hold characters that are not text: C0/C1 control characters (``ESC ] 0 ; ... BEL`` retitles a
terminal, ``ESC [ 2 J`` clears it), Unicode format characters (U+202E RIGHT-TO-LEFT OVERRIDE
reverses what follows it, U+2066..U+2069 isolate, U+200B ZERO WIDTH SPACE hides a difference),
line and paragraph separators, and lone surrogates (undecodable bytes of a file name).
:func:`visible` writes each as its Python escape (``\\x1b``, ``\\u202e``), which is plain ASCII
and means the same on a terminal, in HTML text and in an HTML attribute.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode categories that never show as themselves: control, format, surrogate, line/paragraph separator
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_CANDIDATE = re.compile(r"[^\x20-\x7e]")
"""Everything but printable ASCII (which is never hidden): the only characters worth a look."""


def is_hidden(ch: str) -> bool:
    """True for a character that changes what is shown instead of showing (one character)."""
    return unicodedata.category(ch) in _HIDDEN_CATEGORIES


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, *, keep: str = "") -> str:
    """``text`` with every hidden character (but those in ``keep``) written as its escape.

    ``visible("a\\u202eb") == "a\\\\u202eb"``; ``keep="\\n"`` lets the line breaks of a message
    built of several lines stand.  Ordinary text, accents and other scripts pass unchanged.
    """
    if text.isprintable():  # the common case: nothing to do (a space is printable, \n is not)
        return text

    def fix(m: re.Match[str]) -> str:
        ch = m.group()
        return _escape(ch) if ch not in keep and is_hidden(ch) else ch

    # a page of base64 figures is megabytes of ASCII: only its line breaks are looked at, in C
    return _CANDIDATE.sub(fix, text)
