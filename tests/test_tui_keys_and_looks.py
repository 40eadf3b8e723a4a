"""Every key reachable from the bottom line at 80 columns, focus that shows, boxes that
look unticked when they are."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input, Select

from mesotui.tui.widgets.keybar import KeyBar
from mesotui.tui.widgets.ticks import Tick, TickGroup
from tests.test_tui_support import demo_app, screen_text, until_settled


async def keys_on_every_page(pilot) -> set[str]:  # type: ignore[no-untyped-def]
    """The keys the bottom line shows, following its "m More" pages round."""
    bar = pilot.app.screen.query_one(KeyBar)
    seen: set[str] = set()
    for _page in range(len(bar.pages())):
        line = screen_text(pilot.app).splitlines()[-1]
        seen |= {hint.key for hint in bar.pages()[bar.page % len(bar.pages())]}
        assert all(hint.shown_key in line for hint in bar.pages()[bar.page % len(bar.pages())])
        await pilot.press("m")
        await until_settled(pilot, 3)
    return seen


@pytest.mark.parametrize("width", [80, 120])
async def test_every_key_of_the_list_and_the_record_is_on_the_bottom_line(width: int) -> None:
    app = demo_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await until_settled(pilot)
        listed = await keys_on_every_page(pilot)
        assert {"enter", "question_mark", "n", "l", "slash", "s", "ctrl+q", "e", "r",
                "ctrl+z"} <= listed
        await pilot.press("enter")
        await until_settled(pilot)
        record = await keys_on_every_page(pilot)
        assert {"question_mark", "escape", "l", "E", "k", "a", "v", "d", "c", "x", "e", "r",
                "ctrl+z"} <= record


async def test_focus_shows_on_every_kind_of_field() -> None:
    """A focused Select, Input, Button, tick and tick-list row each look different from
    the same widget unfocused (Textual's compact focus is a 5% tint)."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("l")
        await until_settled(pilot)
        form = app.screen
        widgets = [form.query_one("#counselling", Select), form.query_one("#volume", Input),
                   form.query_one("#save", Button), form.query_one("#no-effects", Tick),
                   form.query_one("#areas", TickGroup).ticks[0]]
        for widget in widgets:
            form.query_one("#notes", Input).focus()
            await until_settled(pilot, 3)
            before = looks(app, widget)
            widget.focus()
            await until_settled(pilot, 3)
            after = looks(app, widget)
            assert (after[1] and not before[1]) or distance(before[0], after[0]) >= 40, (
                widget, before, after)


def looks(app, widget) -> tuple[tuple[int, int, int], bool]:  # type: ignore[no-untyped-def]
    """The background most of the widget's first line has, and whether any of it is drawn
    reversed (as the terminal shows it)."""
    from collections import Counter

    region = widget.region
    row = app.screen._compositor.render_strips()[region.y]  # noqa: SLF001
    cells: Counter[tuple[int, int, int]] = Counter()
    marked = False
    for segment in row.crop(region.x, region.right):
        style = segment.style
        if style and style.bgcolor:
            cells[style.bgcolor.get_truecolor()[:3]] += len(segment.text)
        marked |= bool(style and style.reverse)
    return cells.most_common(1)[0][0], marked


def distance(one: tuple[int, int, int], other: tuple[int, int, int]) -> float:
    return sum((a - b) ** 2 for a, b in zip(one, other, strict=True)) ** 0.5


async def test_an_unticked_box_shows_no_x_anywhere() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("e")
        await until_settled(pilot)
        pseudonymise = app.screen.query_one("#pseudonymise", Tick)
        assert not pseudonymise.value and "X" not in str(pseudonymise.render())
        pseudonymise.value = True
        await until_settled(pilot, 3)
        assert "X" in str(pseudonymise.render())
