"""Text from user files made safe to print on a terminal.

A scenario file may hold anything: an error message that quotes it must not let it
move the cursor, retitle the window, hide text or reverse it. :func:`printable`
replaces every character a terminal would act on, rather than show, with a visible
escape in Python's style (``\\x1b``, ``\\x7f``, ``\\u202e``):

* C0 controls (U+0000-U+001F) but tab and newline, DEL (U+007F) and C1 controls
  (U+0080-U+009F); an escape sequence (``ESC [ ... m``, ``ESC ] ... BEL``) loses its
  ESC, so the rest shows as plain text;
* bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)
  and the marks U+200E, U+200F, U+061C;
* zero-width and invisible format characters (U+200B-U+200D, U+2060-U+2064,
  U+FEFF, U+00AD) and every other character of Unicode category Cf, Cs, Co or Cn;
* line and paragraph separators (U+2028, U+2029).

Everything else, non-ASCII letters included, passes unchanged.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["printable", "unsafe_characters"]

_KEEP = "\t\n"
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_ASCII_SAFE = re.compile(r"[\t\n\x20-\x7e]*")


def _unsafe(ch: str) -> bool:
    return ch not in _KEEP and unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: object) -> str:
    """``text`` (made a str) with every control, format or invisible character escaped.

    Newlines and tabs are kept; a backslash is kept as it is (the result is for
    reading, not for parsing back).
    """
    s = text if isinstance(text, str) else str(text)
    if _ASCII_SAFE.fullmatch(s):
        return s
    return "".join(_escape(ch) if _unsafe(ch) else ch for ch in s)


def unsafe_characters(text: str, keep: str = "") -> list[str]:
    """The distinct characters of ``text`` that :func:`printable` would escape, in order of
    first appearance, leaving out those in ``keep`` (e.g. ``"\\t\\n"``)."""
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in keep and unicodedata.category(ch) in _UNSAFE_CATEGORIES:
            seen.setdefault(ch)
    return list(seen)
