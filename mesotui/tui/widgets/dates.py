"""A date field that takes what terminal tools take (today, -1d, +2m, mon) and shows the date
it means before anything is saved: "-1d → 2026-01-14" as it is typed, the date itself once
the field is left (or → is pressed)."""

from __future__ import annotations

from datetime import date

from textual import events
from textual.suggester import Suggester
from textual.widgets import Input

from mesotui.errors import ValidationError
from mesotui.parse import DATE_FORMS, is_relative, resolve_date, resolved_text


class _Resolved(Suggester):
    """Suggests the typed text followed by the date it resolves to."""

    def __init__(self, field: DateInput) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.field = field

    async def get_suggestion(self, value: str) -> str | None:
        return resolved_text(value, self.field.today)


class DateInput(Input):
    """An Input for one date; its value is always a calendar date once the field is left."""

    def __init__(self, value: str = "", *, placeholder: str = "YYYY-MM-DD, -1d, mon\u2026",
                 id: str | None = None, classes: str = "") -> None:  # noqa: A002
        super().__init__(value, placeholder=placeholder, id=id, classes=classes, compact=True,
                         suggester=_Resolved(self), tooltip=f"A date: {DATE_FORMS}")

    @property
    def today(self) -> date:
        return getattr(self.app, "today", None) or date.today()

    def resolve(self) -> bool:
        """Replace a relative date typed with the date it means; False if it means none."""
        if not is_relative(self.value):
            return False
        try:
            day = resolve_date(self.value, "date", self.today)
        except ValidationError:
            return False
        self.value = day.isoformat()
        self.cursor_position = len(self.value)
        return True

    def action_cursor_right(self, select: bool = False) -> None:
        if select or not self.cursor_at_end or not self.resolve():
            super().action_cursor_right(select)

    def on_blur(self, _event: events.Blur) -> None:
        self.resolve()
