"""Text from articles and file names made safe to show: nothing invisible acts on the display.

Control characters (terminal escapes), bidi overrides (U+202E turns "txt.exe" into
"exe.txt" on screen) and other format characters are shown as escapes such as ``\\u202e``.
Stored text is never changed; only what is printed or rendered.
"""
from __future__ import annotations

import os

# Joiners shape Arabic, Persian and Indic script and emoji; they cannot reorder text.
_KEPT_FORMAT = {"\u200c", "\u200d"}


def printable(text: str) -> str:
    """``text`` with every non-printable character except the space and joiners escaped."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in _KEPT_FORMAT else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def path_text(path: str | os.PathLike) -> str:
    """A path as printable text; bytes that are not UTF-8 become ``\\xNN``."""
    return printable(os.fsencode(path).decode("utf-8", errors="backslashreplace"))

