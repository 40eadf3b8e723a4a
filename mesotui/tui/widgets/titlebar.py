"""The line at the top of each screen: the palette icon, then the title and sub-title, centred.

Textual's Header draws this with four widgets; every one is styled again whenever a screen is
shown, so this draws the same line as one.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from mesotui.tui import safe_text

ICON = "\u2b58"
ICON_CELLS = 8
"""The icon's place at the left (clicking it opens the command palette), kept as wide on the
right so the title stays centred on the screen."""


class TitleBar(Widget, can_focus=False):
    """`⭘   title — sub-title`; the screen's own title and sub-title when it sets them."""

    ALLOW_SELECT = False

    def on_mount(self) -> None:
        for owner in (self.app, self.screen):
            self.watch(owner, "title", self.refresh, init=False)
            self.watch(owner, "sub_title", self.refresh, init=False)

    def texts(self) -> tuple[str, str]:
        screen = self.screen
        title = screen.title if screen.title is not None else self.app.title
        sub_title = screen.sub_title if screen.sub_title is not None else self.app.sub_title
        return title, sub_title

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.rich_style
        if y != 0 or not width:
            return Strip.blank(width, base)
        title, sub_title = (safe_text.line(text) for text in self.texts())
        middle = max(0, width - 2 * ICON_CELLS)
        parts = [(title, base)]
        if sub_title:
            parts.append((f" \u2014 {sub_title}", base + Style(dim=True)))
        used = sum(cell_len(text) for text, _style in parts)
        if used > middle:  # too long: cut the end, with an ellipsis
            text = set_cell_size("".join(t for t, _s in parts), max(0, middle - 1)) + "\u2026"
            parts, used = [(text, base)], middle
        left = (middle - used) // 2
        segments = [Segment(set_cell_size(f" {ICON}", ICON_CELLS), base),
                    Segment(" " * left, base), *(Segment(t, s) for t, s in parts)]
        return Strip(segments).crop_extend(0, width, base)

    def on_click(self, event: events.Click) -> None:
        if event.x < ICON_CELLS and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            self.app.action_command_palette()


class ViewOnlyBanner(Static):
    """Says, on every screen of a view-only window, that it shows and never changes."""

    def __init__(self) -> None:
        super().__init__("", id="view-only", markup=False)

    def on_mount(self) -> None:
        app = self.app
        if getattr(app, "view_only", False):
            name = app.store.path.name if app.store.path else "the record"  # type: ignore[attr-defined]
            self.update(f"VIEW ONLY: {name} is open for changes in another window. This one "
                        "shows its saves within a second or two and changes nothing; to change the "
                        "record, use that window (or reopen this one once it is closed).")
