"""The patient list's quick filters on one line: number key, name and how many patients each shows.

One widget drawing one line, where Textual's Tabs mounts a widget per tab and a moving underline:
the list screen starts sooner, and typing in the filter lays out fewer widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget


class QuickBar(Widget, can_focus=False):
    """Quick filters as `1 All (33)  2 Due this week (11) …`; the chosen one is highlighted.

    Args:
        filters: filter id -> (label, short label used when the full labels do not fit).
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"quickbar--active"}

    @dataclass
    class Chosen(Message):
        """A quick filter was chosen (by its key or a click)."""

        bar: QuickBar
        key: str

        @property
        def control(self) -> QuickBar:
            return self.bar

    def __init__(self, filters: dict[str, tuple[str, str]], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.filters = filters
        self.counts: dict[str, int] = {}
        self._active = next(iter(filters))
        self._spans: list[tuple[int, int, str]] = []

    @property
    def active(self) -> str:
        return self._active

    @active.setter
    def active(self, key: str) -> None:
        if key not in self.filters:
            raise KeyError(key)
        if key != self._active:
            self._active = key
            self.refresh()
            self.post_message(self.Chosen(self, key))

    def show_counts(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.refresh()

    def labels(self, width: int) -> list[tuple[str, str]]:
        """(filter id, text) of each filter, short labels when the long ones do not fit."""
        for short in (False, True):
            items = []
            for n, (key, (label, brief)) in enumerate(self.filters.items(), start=1):
                count = f" ({self.counts[key]})" if key in self.counts else ""
                text = f" {n} {brief}{count}" if short else f" {n} {label}{count} "
                items.append((key, text))
            if sum(cell_len(text) for _key, text in items) <= width:
                break
        return items

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.rich_style
        if y != 0 or not width:
            return Strip.blank(width, base)
        active = base + self.get_component_rich_style("quickbar--active")
        segments, spans, x = [], [], 0
        for key, text in self.labels(width):
            segments.append(Segment(text, active if key == self._active else base))
            spans.append((x, x + cell_len(text), key))
            x += cell_len(text)
        self._spans = spans
        return Strip(segments).crop_extend(0, width, base)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.active = key
                return
