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


NAMED_KEYS = {"tab", "shift+tab", "enter", "escape", "space", "up", "down", "left", "right",
              "home", "end", "backspace", "delete", "ctrl+s", "ctrl+z", "ctrl+q", "ctrl+a", "f1"}


def burst(app: MesoApp, *keys: str) -> None:
    """Post every key at once, as a barcode scanner or a fast typist sends them: none waits for
    the one before to be handled (Pilot's `press` waits, which hides type-ahead bugs).

    Each argument is a named key ("tab", "ctrl+s") or text typed a character at a time.
    """
    from textual import events
    from textual.keys import _character_to_key

    for key in keys:
        if key in NAMED_KEYS:
            char = {"tab": "\t", "enter": "\r", "space": " ", "escape": "\x1b"}.get(key)
            app.post_message(events.Key(key, char))
        else:
            for char in key:
                app.post_message(events.Key(_character_to_key(char), char))


async def until_settled(pilot, rounds: int = 12) -> None:  # type: ignore[no-untyped-def]
    """Let a burst of keys, and the screens they open, be handled to the end (on a loaded
    machine the keys still waiting in the app's gate are waited for, up to 20 s)."""
    import time

    gate = getattr(pilot.app, "keys", None)
    deadline = time.monotonic() + 20
    calm = 0
    while gate is not None and calm < 3 and time.monotonic() < deadline:
        await pilot.pause(0.02)
        calm = calm + 1 if gate.idle and gate.settled() else 0
    for _ in range(rounds):
        await pilot.pause(0.02)


async def complete_session(pilot, *, lot: str = "DU25-0412",  # type: ignore[no-untyped-def]
                           expiry: str = "2027-06-30", no_effects: bool = True,
                           counselling: bool = True) -> None:
    """Answer what a new session needs besides its defaults: lot and expiry, side effects
    ("none" unless `no_effects` is False), and counselling."""
    from textual.widgets import Checkbox, Input, Select

    form = pilot.app.screen
    form.query_one("#lot", Input).value = lot
    await pilot.pause()  # a known lot fills in its expiry: then the expiry given here
    form.query_one("#expiry", Input).value = expiry
    if no_effects:
        form.query_one("#no-effects", Checkbox).value = True
    form.query_one("#counselling", Select).value = counselling
    await pilot.pause()


async def add_practitioner(pilot, selector: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Choose "add a name" in a practitioner choice, type the name, save it."""
    from textual.widgets import Input

    from mesotui.tui.widgets.practitioner import ADD

    pilot.app.screen.query_one(selector).value = ADD
    await until_settled(pilot)
    pilot.app.screen.query_one("#reason", Input).value = name
    await pilot.press("ctrl+s")
    await until_settled(pilot)
