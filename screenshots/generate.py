"""Regenerate screenshots/*.svg from the demo clinic at 2026-01-15."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from textual.widgets import Input

from mesotui.demo import generate
from mesotui.store import Store
from mesotui.tui.app import MesoApp

TODAY = date(2026, 1, 15)
HERE = Path(__file__).parent
SHOTS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "patients": ((), {}),
    "patients-filtered": (("slash", "n", "o", "v"), {}),
    "record": (("enter",), {}),
    "log-session": (("l",), {}),
    "log-session-errors": (("l",), {"#volume": "abc", "#expiry": "2025-12-01"}),
    "session-detail": (("down", "enter", "enter"), {}),
    "course": (("enter", "c"), {}),
    "patient-form": (("n",), {}),
    "settings": (("s",), {}),
    "help": (("question_mark",), {}),
    "record-outcomes": (("slash", *"P-00004", "enter", "enter"), {}),
    "evaluation-form": (("enter", "E"), {}),
    "consent": (("enter", "k"), {}),
    "consent-override": (("slash", *"P-00008", "enter", "enter", "l"), {}),
    "reports": (("r",), {}),
    "export": (("e",), {}),
}
AFTER = {"log-session-errors": ("ctrl+s",), "consent-override": ("ctrl+s",)}


def demo_app() -> MesoApp:
    store = generate(TODAY).load_into(
        Store.in_memory(clock=lambda: datetime(2026, 1, 15, 9, 30, tzinfo=UTC)))
    return MesoApp(store=store, today=TODAY, db_label="demo clinic (throwaway copy)")


async def shoot(name: str, keys: tuple[str, ...], typed: dict[str, str],
                size: tuple[int, int] = (120, 36)) -> None:
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            await pilot.pause()
        for selector, text in typed.items():
            app.screen.query_one(selector, Input).value = text
        for key in AFTER.get(name, ()):
            await pilot.press(key)
        await pilot.pause()
        await pilot.pause()
        app.save_screenshot(f"{name}.svg", path=str(HERE))


async def main() -> None:
    for name, (keys, typed) in SHOTS.items():
        await shoot(name, keys, typed)
        print(HERE / f"{name}.svg")
    await shoot("patients-80x24", (), {}, size=(80, 24))
    print(HERE / "patients-80x24.svg")


if __name__ == "__main__":
    asyncio.run(main())
