"""A record's sessions or evaluations as a table with a row cursor, drawn line by line.

Textual's DataTable renders each cell through Rich and again on every focus change; opening
a patient spent a third of its time there. This draws each row as one line of text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from mesotui.tui import safe_text

MIN_WIDTH = 6
"""The narrowest a shrinkable column is cut to."""


@dataclass(frozen=True)
class _Row:
    key: str
    cells: tuple[str, ...]
    struck: bool
    """Voided: every cell but the last (the row's state) is struck through."""


class RecordTable(Widget, can_focus=True):
    """Rows under a header; up/down/home/end/pgup/pgdn move, enter or a click on the
    highlighted row selects it (`RowSelected`)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "record-table--header", "record-table--cursor", "record-table--stripe",
        "record-table--struck"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("home", "move(-1000000)", "First", show=False),
        Binding("end", "move(1000000)", "Last", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    @dataclass
    class RowSelected(Message):
        """A row was chosen (enter, or a click on the highlighted row)."""

        table: RecordTable
        row_key: str

        @property
        def control(self) -> RecordTable:
            return self.table

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.columns: list[str] = []
        self._rows: list[_Row] = []
        self._widths: list[int] = []
        self._shrink: tuple[int, ...] = ()
        self._fitted: tuple[int, list[int]] = (-1, [])
        self._pad = 2
        """Cells around each column: two (a space each side), or one on a narrow screen."""
        self.cursor_row = 0

    # -- data ---------------------------------------------------------------------------

    def add_columns(self, *names: str, shrink: tuple[str, ...] = ()) -> None:
        """Name the columns; those in `shrink` are cut (with an ellipsis) when the table is
        wider than the screen, widest first, so every column stays in view."""
        self.columns = list(names)
        self._shrink = tuple(self.columns.index(name) for name in shrink)
        self._measure()

    def clear(self) -> None:
        self._rows = []
        self.cursor_row = 0
        self._measure()

    def add_row(self, *cells: str, key: str, struck: bool = False) -> None:
        self._rows.append(_Row(key, tuple(cells), struck))
        self._measure()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        """Highlight `row`; `scroll` brings it into view (keys and clicks do, a refill not)."""
        self.cursor_row = max(0, min(row, len(self._rows) - 1))
        self.refresh()
        if scroll:
            self._scroll_to_cursor()

    def _measure(self) -> None:
        self._widths = [max([cell_len(name)] + [cell_len(r.cells[n]) for r in self._rows
                                                 if n < len(r.cells)])
                        for n, name in enumerate(self.columns)]
        self._fitted = (-1, [])
        self.refresh(layout=True)

    def _widths_for(self, width: int) -> list[int]:
        """Column widths that fit `width` cells: columns one space apart instead of two when
        that is enough, and only then the shrinkable columns cut (see `_pad`)."""
        if self._fitted[0] != width:
            widths = list(self._widths)
            self._pad = 2 if sum(w + 2 for w in widths) <= width else 1
            excess = sum(w + self._pad for w in widths) - width
            while excess > 0:
                cuttable = [n for n in self._shrink if widths[n] > MIN_WIDTH]
                if not cuttable:
                    break
                widest = max(cuttable, key=lambda n: widths[n])
                widths[widest] -= 1
                excess -= 1
            self._fitted = (width, widths)
        return self._fitted[1]

    # -- keys and mouse -----------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        if self._rows:
            self.move_cursor(row=self.cursor_row + delta)

    def action_select(self) -> None:
        if 0 <= self.cursor_row < len(self._rows):
            self.post_message(self.RowSelected(self, self._rows[self.cursor_row].key))

    def on_click(self, event: events.Click) -> None:
        index = event.y - 1
        if not 0 <= index < len(self._rows):
            return
        if index == self.cursor_row or event.chain >= 2:
            self.action_select()
        else:
            self.move_cursor(row=index)

    def _scroll_to_cursor(self) -> None:
        """Bring the highlighted row into view in the scrolling record around the table."""
        parent = self.parent
        if isinstance(parent, Widget) and self.is_mounted:
            top = self.virtual_region.y
            parent.scroll_to_region(Region(0, top + 1 + self.cursor_row, 1, 1),
                                    animate=False, immediate=True)

    # -- drawing ------------------------------------------------------------------------

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._rows) + 1

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return sum(width + 2 for width in self._widths)

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("record-table--header")
            return self._strip(self.columns, width, style, style)
        index = y - 1
        if index >= len(self._rows):
            return Strip.blank(width, base)
        row = self._rows[index]
        style = base
        if index % 2:
            style += self.get_component_rich_style("record-table--stripe")
        if index == self.cursor_row:
            style += self.get_component_rich_style("record-table--cursor")
        struck = style + self.get_component_rich_style("record-table--struck") \
            if row.struck else style
        return self._strip(row.cells, width, struck, style)

    def _strip(self, cells: list[str] | tuple[str, ...], width: int, style: object,
               last_style: object) -> Strip:
        segments = []
        for n, (cell, cell_width) in enumerate(zip(cells, self._widths_for(width),
                                                  strict=False)):
            cell = safe_text.line(cell)  # record text: one line, nothing raw
            if cell_len(cell) > cell_width:
                cell = _cut(cell, cell_width)
            text = " " + set_cell_size(cell, cell_width) + " " * (self._pad - 1)
            segments.append(Segment(text, last_style if n == len(cells) - 1 else style))  # type: ignore[arg-type]
        return Strip(segments).crop_extend(0, width, last_style)  # type: ignore[arg-type]


def _cut(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis, at a word where one ends late enough
    ("Dr M. Rahimi" → "Dr M.…", not "Dr M. R…")."""
    kept = set_cell_size(text, width - 1)
    at_word = kept.rstrip().rfind(" ")
    if at_word >= width // 2:
        kept = kept[:at_word]
    return kept.rstrip() + "\u2026"
