"""Shared builders for the TUI tests: a demo clinic or an empty one, at a fixed today."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mesotui.demo import generate
from mesotui.store import Store
from mesotui.tui.app import MesoApp

TODAY = date(2026, 1, 15)


def clock() -> datetime:
    return datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def demo_store(patients: int = 36) -> Store:
    return generate(TODAY, patients).load_into(Store.in_memory(clock=clock))


def demo_app(store: Store | None = None) -> MesoApp:
    return MesoApp(store=store or demo_store(), today=TODAY, db_label="demo clinic")


def empty_app() -> MesoApp:
    return MesoApp(store=Store.in_memory(clock=clock), today=TODAY, db_label="clinic.json")


def screen_text(app: MesoApp) -> str:
    """What the terminal shows right now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())  # noqa: SLF001
