"""Checkboxes and tick lists that show an empty box when unticked: state never rests on colour."""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList
from textual.widgets._toggle_button import ToggleButton

T = TypeVar("T")


class Tick(Checkbox):
    """A Checkbox drawn [X] when ticked and [ ] when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802
        return "X" if self.value else " "


class TickList(SelectionList[T], Generic[T]):
    """A SelectionList whose unticked items show an empty box."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            selection = self.get_option_at_index(int(self.scroll_offset.y) + y)
        except Exception:  # noqa: BLE001  (no option on this line: nothing to blank)
            return line
        if selection.value in self._selected:
            return line
        segments, blanked = [], False
        for segment in line:
            if not blanked and segment.text == ToggleButton.BUTTON_INNER:
                segment, blanked = Segment(" ", segment.style), True
            segments.append(segment)
        return Strip(segments, line.cell_length)
