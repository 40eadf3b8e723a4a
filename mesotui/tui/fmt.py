"""Plain-text phrasing shared by the screens: dates, due phrases, yes/no; never markup."""

from __future__ import annotations

from datetime import date

from mesotui.schedule import Outlook


def day(value: date | None) -> str:
    """A date as the clinic reads it, or a dash when there is none."""
    return value.isoformat() if value else "-"


def due_phrase(days: int | None) -> str:
    """'in 5 d', 'today', '3 d overdue', or '' when nothing is due."""
    if days is None:
        return ""
    if days < 0:
        return f"{-days} d overdue"
    return "today" if days == 0 else f"in {days} d"


def next_due(view: Outlook) -> str:
    """Next due date with its phrase: '2026-01-20 (in 5 d)'."""
    if view.next_due is None:
        return "-"
    return f"{view.next_due.isoformat()} ({due_phrase(view.days_until_due)})"


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:g}"
    return f"{text} {unit}".rstrip()


def yes_no(value: bool) -> str:
    return "yes" if value else "no"
