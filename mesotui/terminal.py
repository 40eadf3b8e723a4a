"""Text made safe for a terminal: no record's characters can move the cursor, clear the screen,
set the clipboard or reorder what is shown.

C0 and C1 controls, ESC, DEL, the bidirectional overrides and isolates, and the line and
paragraph separators are shown escaped (`\\u001b`, `\\u202e`), visibly and in a form that is
still valid inside JSON strings. A one-line field shows its line breaks and tabs escaped too, so
it stays one line; multi-line text keeps its line breaks.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_MULTI = re.compile(f"[{_UNSAFE}\\t\\r]")
_ONE = re.compile(f"[{_UNSAFE}\\t\\r\\n]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe(text: str, *, one_line: bool = True) -> str:
    """`text` with every character that could act on a terminal shown escaped.

    Args:
        one_line: also escape line breaks and tabs (ids, names, reasons in a table row).
    """
    pattern = _ONE if one_line else _MULTI
    return pattern.sub(_escaped, text) if pattern.search(text) else text


class SafeStream:
    """A text stream that passes only terminal-safe text on (keeps the writer's own newlines).

    The command line writes through it, so a record's text that a command forgot to pass
    through `safe` still cannot reach the terminal raw.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(safe(text, one_line=False))
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextmanager
def guarded_streams() -> Iterator[None]:
    """Route stdout and stderr's text through `SafeStream` while the block runs (bytes written
    to `.buffer` by the exports go out as they are: data for a file or a pipe)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(saved[0]), SafeStream(saved[1])  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def write_data(payload: bytes) -> None:
    """An export on stdout: as it is into a file or pipe, made safe on a terminal."""
    out = sys.stdout
    if out.isatty():
        out.write(safe(payload.decode("utf-8", "replace").replace("\r\n", "\n"),
                       one_line=False))
        out.flush()
        return
    out.flush()
    out.buffer.write(payload)
    out.buffer.flush()
