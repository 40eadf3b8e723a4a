"""Typed readers for JSON-shaped records: each failure names the field that is wrong."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from mesotui.errors import ValidationError

E = TypeVar("E", bound=StrEnum)

MISSING = object()


def parse_date(value: Any, name: str) -> date:
    """Read an ISO calendar date (YYYY-MM-DD), rejecting impossible ones such as 2026-02-30."""
    if not isinstance(value, str):
        raise ValidationError({name: "must be a date written YYYY-MM-DD"})
    text = value.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValidationError({name: f"{_show(text)} is not a date written YYYY-MM-DD"})
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError({name: f"{_show(text)} is not a real calendar date"}) from None


WEEKDAYS = {name: n for n, names in enumerate((
    ("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "wednesday"),
    ("thu", "thur", "thurs", "thursday"), ("fri", "friday"), ("sat", "saturday"),
    ("sun", "sunday"))) for name in names}
_OFFSET = re.compile(r"([+-])(\d{1,4})([dwmy]?)")
_WORDS = {"today": 0, "yesterday": -1, "tomorrow": 1}
DATE_FORMS = "YYYY-MM-DD, today, yesterday, tomorrow, -3d, +2w, +2m, +1y, mon, +fri"
"""What a date field accepts, as the hints and messages say it."""


def is_relative(text: str) -> bool:
    """Whether `text` is a relative date (resolved against today), not a calendar date."""
    word = text.strip().lower()
    return (word in _WORDS or word.lstrip("+") in WEEKDAYS
            or _OFFSET.fullmatch(word) is not None)


def resolve_date(value: Any, name: str, today: date) -> date:
    """A calendar date (YYYY-MM-DD) or one relative to `today`, as taskwarrior and calcurse
    take them: today, yesterday, tomorrow; -3d, +2w, +2m, +1y (months and years on the
    calendar, clamped to the month's end); a weekday name (mon: the last Monday, today if it
    is one; +mon: the next Monday)."""
    if not isinstance(value, str):
        raise ValidationError({name: "must be a date written YYYY-MM-DD"})
    word = value.strip().lower()
    if word in _WORDS:
        return today + timedelta(days=_WORDS[word])
    if word.lstrip("+") in WEEKDAYS:
        weekday = WEEKDAYS[word.lstrip("+")]
        if word.startswith("+"):
            return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
        return today - timedelta(days=(today.weekday() - weekday) % 7)
    if match := _OFFSET.fullmatch(word):
        sign, amount, unit = match.groups()
        count = int(amount) * (-1 if sign == "-" else 1)
        from dateutil.relativedelta import relativedelta  # only a relative date needs it

        step = {"": relativedelta(days=count), "d": relativedelta(days=count),
                "w": relativedelta(weeks=count), "m": relativedelta(months=count),
                "y": relativedelta(years=count)}[unit]
        try:
            return today + step
        except (OverflowError, ValueError):
            raise ValidationError({name: f"{_show(value)} is too far from today"}) from None
    if re.fullmatch(r"\d{4}-\d\d-\d\d", word):
        return parse_date(value, name)  # an impossible calendar date says so
    raise ValidationError({name: f"{_show(value.strip())} is not a date ({DATE_FORMS})"})


class DateText(str):
    """A relative date given on the command line, kept as typed until today is known
    (`--today` may come after it): `resolve_date(text, name, today)` then reads it."""


def resolved_text(text: str, today: date) -> str | None:
    """'-1d → 2026-01-14' for a relative date, so it is shown resolved before it is saved;
    None for anything else (a calendar date needs no resolving, a wrong one is reported)."""
    if not is_relative(text):
        return None
    try:
        return f"{text} \u2192 {resolve_date(text, 'date', today).isoformat()}"
    except ValidationError:
        return None


def text(doc: Mapping[str, Any], key: str, default: str = "") -> str:
    value = doc.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValidationError({key: "must be text"})
    return value


def optional_date(doc: Mapping[str, Any], key: str) -> date | None:
    value = doc.get(key)
    if value is None or value == "":
        return None
    return parse_date(value, key)


def required_date(doc: Mapping[str, Any], key: str) -> date:
    if doc.get(key) in (None, ""):
        raise ValidationError({key: "is required"})
    return parse_date(doc[key], key)


def number(doc: Mapping[str, Any], key: str, *, integer: bool = False) -> float | int | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError({key: "must be a number"})
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError({key: "must be a finite number"})
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise ValidationError({key: "must be a whole number"})
        return int(value)
    return float(value)


def flag(doc: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = doc.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError({key: "must be true or false"})
    return value


def choice(enum: type[E], value: Any, name: str) -> E:
    member = _members(enum).get(value) if isinstance(value, str) else None
    if member is None:
        allowed = ", ".join(member.value for member in enum)
        raise ValidationError({name: f"{_show(value)} is not one of: {allowed}"})
    return member


@cache
def _members(enum: type[E]) -> dict[str, E]:
    """Value → member, looked up directly: `enum(value)` is slow across a whole clinic."""
    return {member.value: member for member in enum}


def listing(doc: Mapping[str, Any], key: str) -> list[Any]:
    value = doc.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError({key: "must be a list"})
    return value


def mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError({name: "must be an object"})
    return value


def _show(value: Any) -> str:
    """A short, safe rendering of a bad value for an error message."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
