"""The course on a month axis: sessions given, the next one, those planned, and today."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import groupby
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

GIVEN, NEXT, PLANNED, TODAY, EVALUATED = "●", "◆", "○", "▲", "■"
LEGEND = (f"{GIVEN} given   {NEXT} next due   {PLANNED} planned   {TODAY} today   "
          f"{EVALUATED} evaluation")


class _Canvas:
    """One line of characters, each with its component-class name, written at x positions."""

    def __init__(self, width: int, fill: str = " ", kind: str = "") -> None:
        self.chars = [fill] * width
        self.kinds = [kind] * width

    def free(self, x: int, length: int) -> bool:
        return 0 <= x and x + length <= len(self.chars) and all(
            c in " ─" for c in self.chars[x:x + length])

    def put(self, x: int, text: str, kind: str) -> bool:
        if not self.free(x, len(text)):
            return False
        for offset, char in enumerate(text):
            self.chars[x + offset], self.kinds[x + offset] = char, kind
        return True


class Timeline(Widget):
    """Draws a course so the plan is seen, not read; shapes carry the meaning without colour."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--axis", "timeline--given", "timeline--next", "timeline--planned",
        "timeline--today", "timeline--label", "timeline--evaluation"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.given: list[tuple[int, date]] = []
        self.planned: list[tuple[int, date]] = []
        self.evaluations: list[tuple[date, str]] = []
        self.today = date.min

    def show(self, given: list[tuple[int, date]], planned: list[tuple[int, date]],
             today: date, evaluations: list[tuple[date, str]] | None = None) -> None:
        """Draw `given` and `planned` (number, date) sessions; the first planned is the next.

        `evaluations` are (date, short decision) pairs, drawn beneath the month labels.
        """
        self.given, self.planned, self.today = given, planned, today
        self.evaluations = evaluations or []
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 5

    def render(self) -> Text:
        width = max(self.content_region.width, 20)
        if not self.given and not self.planned:
            return Text("No sessions given or planned yet.", style=self._style("timeline--label"))
        days = ([d for _, d in self.given + self.planned] + [self.today]
                + [d for d, _ in self.evaluations])
        start = min(days).replace(day=1)
        last = max(days)
        end = (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        span = max((end - start).days, 1)

        def x(day: date) -> int:
            return round((day - start).days * (width - 1) / span)

        numbers, axis, months, marks = (_Canvas(width), _Canvas(width, "─", "timeline--axis"),
                                        _Canvas(width), _Canvas(width))
        self._months(months, start, end, x, width)
        for index, (number, day) in enumerate(self.given + self.planned):
            kind = ("timeline--given" if index < len(self.given) else
                    "timeline--next" if index == len(self.given) else "timeline--planned")
            char = {"timeline--given": GIVEN, "timeline--next": NEXT}.get(kind, PLANNED)
            axis.chars[x(day)], axis.kinds[x(day)] = char, kind
            numbers.put(x(day), str(number), kind)
        here = x(self.today)
        marks.put(here, f"{TODAY} today", "timeline--today") or marks.put(
            max(0, here - 6), f"today {TODAY}", "timeline--today")
        for day, decision in self.evaluations:
            at = x(day)
            if not marks.put(at, f"{EVALUATED} {decision}", "timeline--evaluation"):
                # its place is taken (today's mark, on the day of an evaluation): the nearest
                # free cell, so an evaluation is never hidden
                for offset in (0, -1, 1, -2, 2, -3, 3):
                    if marks.put(at + offset, EVALUATED, "timeline--evaluation"):
                        break
        lines = [self._text(c) for c in (numbers, axis, months, marks)]
        lines.append(Text(LEGEND, style=self._style("timeline--label")))
        return Text("\n").join(lines)

    def _months(self, canvas: _Canvas, start: date, end: date, x: object, width: int) -> None:
        """Month labels at a regular step (every month, or every 2, 3, 4, 6 or 12, whichever
        is the finest that fits), January and the first one with their year."""
        months = []
        month = start
        while month <= end:
            months.append(month)
            month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        for step in (1, 2, 3, 4, 6, 12):
            chosen = [m for m in months if (m.month - 1) % step == 0] or months[:1]
            labels = [(x(m), m.strftime("%b") + (m.strftime(" %Y") if m.month == 1 or  # type: ignore[operator]
                                                   m == chosen[0] else ""))
                      for m in chosen]
            ends = [where + len(label) for where, label in labels]
            if all(end_ < next_ for end_, (next_, _) in zip(ends, labels[1:], strict=False)) \
                    and ends[-1] <= width:
                for where, label in labels:
                    canvas.put(where, label, "timeline--label")
                return
        canvas.put(0, months[0].strftime("%b %Y"), "timeline--label")

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _text(self, canvas: _Canvas) -> Text:
        """The canvas as text, one span per run of a kind (a style per character is slow)."""
        text = Text(no_wrap=True, overflow="crop")
        for kind, run in groupby(zip(canvas.chars, canvas.kinds, strict=True),
                                 key=lambda cell: cell[1]):
            text.append("".join(char for char, _kind in run),
                        self._style(kind) if kind else Style())
        return text
