"""What the subcommands share: typed argument readers, JSON output, and progress bars."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from mesotui.errors import MesoError
from mesotui.parse import DateText, is_relative, parse_date, resolve_date

PROGRESS_FROM = 50
"""Fewer records than this finish before a bar could be read."""


def date_arg(text: str) -> date | DateText:
    """An argparse type: a real calendar date written YYYY-MM-DD, or a relative one (today,
    -1d, +2m, mon...) that `mesotui.cli` resolves against --today; else exit 2, one line."""
    try:
        if is_relative(text):
            resolve_date(text, "date", date.today())  # it can be read: resolved later
            return DateText(text.strip())
        return parse_date(text, "date")
    except MesoError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("date: ")) from None


def days_arg(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 0 <= days <= 3650:
        raise argparse.ArgumentTypeError("must be 0 to 3650 days")
    return days


def number_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def whole_arg(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


@contextmanager
def progress_bar(label: str, total_hint: int, *, to_file: bool = False
                 ) -> Iterator[Callable[[int, int], None] | None]:
    """A transient bar on stderr, only on a terminal (never when output is piped)."""
    on_terminal = sys.stderr.isatty() and (to_file or sys.stdout.isatty())
    if not on_terminal or total_hint < PROGRESS_FROM:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total_hint)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
