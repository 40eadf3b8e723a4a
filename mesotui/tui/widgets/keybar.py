"""The keys of the screen shown, on one line at the bottom: Textual's Footer, drawn as one widget.

Textual's Footer mounts a widget per key and mounts them all again whenever the keys change
(each screen change and each change of focus), which is a third of the work of opening a
patient's record. This draws the same line as one widget and only repaints it.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget


class Hint(NamedTuple):
    key: str
    """The key to simulate when the hint is clicked."""
    shown_key: str
    description: str
    enabled: bool


MORE_KEY = "m"
"""Shows the next page of keys when they do not all fit (the app binds it)."""


class KeyBar(Widget, can_focus=False):
    """Every key the screen shows in its footer, then the command palette's key at the right.

    Keys that are not available now are dimmed. Clicking a key presses it. Keys that do not
    fit the width go on further pages, whole: the last key shown is then `m More 1/2`, which
    shows the next page, so every key is reachable from the bar at any width.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key", "keybar--description"}

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._spans: list[tuple[int, int, Hint]] = []
        """(first cell, end cell, hint) of each key drawn, for clicks."""
        self.page = 0
        """Which page of keys is shown, when they need more than one."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def hints(self) -> tuple[list[Hint], Hint | None]:
        """The keys to show, in the screen's order, and the command palette's key."""
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else ""
        shown: list[Hint] = []
        palette: Hint | None = None
        seen: set[str] = set()
        for key, (_node, binding, enabled, _tip) in self.screen.active_bindings.items():
            if key == palette_key:
                palette = self._hint(binding, enabled)
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)  # one key per action, as Textual's Footer shows
                shown.append(self._hint(binding, enabled))
        return shown, palette

    def _hint(self, binding: Binding, enabled: bool) -> Hint:
        return Hint(binding.key, self.app.get_key_display(binding), binding.description, enabled)

    @staticmethod
    def _cells(hint: Hint) -> int:
        return cell_len(f" {hint.shown_key} ") + cell_len(f"{hint.description} ")

    def pages(self, room: int | None = None) -> list[list[Hint]]:
        """The keys in pages that each fit `room` cells (with room left for "More")."""
        shown, palette = self.hints()
        if room is None:
            room = self.size.width - (self._cells(palette) + 1 if palette else 0)
        if sum(self._cells(h) for h in shown) <= room:
            return [shown]
        more = self._cells(Hint(MORE_KEY, MORE_KEY, "More 9/9", True))
        pages: list[list[Hint]] = [[]]
        used = 0
        for hint in shown:
            cells = self._cells(hint)
            if used + cells > room - more and pages[-1]:
                pages.append([])
                used = 0
            pages[-1].append(hint)
            used += cells
        return pages

    def next_page(self) -> None:
        self.page += 1
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y != 0 or not width:
            return Strip.blank(width, base)
        key_style = base + self.get_component_rich_style("keybar--key")
        text_style = base + self.get_component_rich_style("keybar--description")
        dim = Style(dim=True)
        _shown, palette = self.hints()
        right: list[Segment] = []
        if palette is not None:
            right = [Segment("\u258f", base + Style(dim=True)),
                     Segment(f" {palette.shown_key} ", key_style),
                     Segment(f"{palette.description} ", text_style)]
        room = width - sum(cell_len(s.text) for s in right)
        pages = self.pages(room)
        page = pages[self.page % len(pages)]
        if len(pages) > 1:
            page = [*page, Hint(MORE_KEY, MORE_KEY,
                                f"More {self.page % len(pages) + 1}/{len(pages)}", True)]
        segments: list[Segment] = []
        spans: list[tuple[int, int, Hint]] = []
        x = 0
        for hint in page:
            key_text, description = f" {hint.shown_key} ", f"{hint.description} "
            cells = cell_len(key_text) + cell_len(description)
            if x + cells > room:
                break
            extra = dim if not hint.enabled else None
            segments += [Segment(key_text, key_style + extra),
                         Segment(description, text_style + extra)]
            spans.append((x, x + cells, hint))
            x += cells
        segments.append(Segment(" " * max(room - x, 0), base))
        if palette is not None and room >= 0:
            spans.append((room, width, palette))
            segments += right
        self._spans = spans
        return Strip(segments, width).crop(0, width)

    def on_click(self, event: events.Click) -> None:
        for start, end, hint in self._spans:
            if start <= event.x < end:
                if hint.enabled:
                    self.app.simulate_key(hint.key)
                else:
                    self.app.bell()
                return
