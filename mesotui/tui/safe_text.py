"""Every text the app draws is terminal-safe: the one place where that is arranged.

Textual turns each string it draws into `Content` (and Rich `Text` for table cells), and both
strip only BEL, BS, VT, FF and CR on the way, so an ESC or a C1 control in a record would reach
the terminal raw (a clear-screen, a clipboard write). `install` makes both show every such
character escaped instead, as `mesotui.terminal.safe` does; the widgets that draw their lines
themselves (the patient list, record tables, title line) call `line` on their text.
"""

from __future__ import annotations

import rich.text
import textual.content

from mesotui.terminal import safe


def _escape(text: str, _table: object = None) -> str:
    return safe(text, one_line=False)


def install() -> None:
    """Once per process: Content and Text escape control characters instead of keeping them."""
    textual.content._strip_control_codes = _escape  # type: ignore[assignment]
    rich.text.strip_control_codes = _escape  # type: ignore[assignment]


def line(text: str) -> str:
    """Text drawn on one line of a Line API widget: shown escaped, and one line."""
    return safe(text)
