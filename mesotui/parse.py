"""Typed readers for JSON-shaped records: each failure names the field that is wrong."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
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
