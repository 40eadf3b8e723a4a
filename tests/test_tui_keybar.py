"""The key line, the quick filters' line, the filter as typed, and the record screen kept."""

from __future__ import annotations

from dataclasses import replace

from mesotui.tui.screens.help import HelpScreen
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.widgets.keybar import KeyBar
from mesotui.tui.widgets.patient_list import QUICK_FILTERS, QUICK_SHORT, matches
from mesotui.tui.widgets.quickbar import QuickBar
from mesotui.vocab import DueStatus
from tests.test_tui_flows import settle
from tests.test_tui_support import TODAY, demo_app


def key_line(app) -> str:  # type: ignore[no-untyped-def]
    bar = app.screen.query_one(KeyBar)
    return bar.render_line(0).text


async def test_key_line_lists_the_screens_keys_with_the_palette_at_the_right() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        line = key_line(app)
        assert len(line) == 120
        assert line.index(" ? Help ") < line.index(" n New patient ") < line.index(" / Filter ")
        assert line.rstrip().endswith("^p palette")
        await pilot.press("enter")
        await settle(pilot)
        line = key_line(app)
        assert " esc Back " in line and " l Log session " in line
        assert "New patient" not in line


async def test_keys_that_do_not_fit_are_left_out_whole_and_help_stays() -> None:
    app = demo_app()
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot)
        line = key_line(app)
        assert line.startswith(" \u23ce Open  ? Help ")
        assert "Settings" not in line  # it would not fit whole
        words = line.replace("\u258f", " ").split()
        assert "palette" in words and "Filt" not in words and "Settin" not in words


async def test_clicking_a_key_presses_it_and_undo_with_nothing_to_undo_says_so() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        start = next(s for s, _e, hint in bar._spans if hint.description == "Help")
        await pilot.click(KeyBar, offset=(start + 1, 0))
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        undo = next((s, hint) for s, _e, hint in bar._spans if hint.description == "Undo")
        await pilot.click(KeyBar, offset=(undo[0] + 1, 0))
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert app._notifications  # noqa: SLF001
        assert list(app._notifications)[-1].message.startswith("Nothing to undo")  # noqa: SLF001


async def test_undo_key_brightens_once_there_is_something_to_undo() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        patient = app.screen.patients.current.patient
        held = app.store.patient(patient.id)
        app.store.update_patient(replace(held, notes="Moved to afternoons."), TODAY,
                                 reason="patient asked")
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        bar.render_line(0)
        assert any(hint.description == "Undo" and hint.enabled for _s, _e, hint in bar._spans)


async def test_reopened_record_shows_the_new_patient_from_the_top() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        home = app.screen
        first = home.patients.current.patient
        await pilot.press("enter")
        await settle(pilot)
        record = app.screen
        assert isinstance(record, RecordScreen) and record.patient_id == first.id
        await pilot.press("down")  # move within the first record's sessions
        await settle(pilot)
        await pilot.press("escape", "down")
        await settle(pilot)
        assert app.screen is home
        second = home.patients.current.patient
        assert second.id != first.id
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is record  # the same screen, built once
        shown = str(record.query_one("#identity").render())
        assert second.name in shown and first.name not in shown
        assert record.table.cursor_row == 0
        assert record.session_ids == [s.id for s in
                                      reversed(app.store.sessions_for(second.id))]
        assert app.focused is record.table


async def test_quick_filters_show_counts_and_a_number_key_or_a_click_chooses_one() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        bar = screen.query_one(QuickBar)
        line = bar.render_line(0).text
        counts = screen.patients.counts()
        assert f"1 All ({counts['all']})" in line and f"3 Overdue ({counts['overdue']})" in line
        await pilot.press("3")
        await settle(pilot)
        assert bar.active == "overdue"
        assert screen.patients.shown and all(
            row.view.status is DueStatus.OVERDUE for row in screen.patients.shown)
        start = next(s for s, _e, key in bar._spans if key == "archived")
        await pilot.click(QuickBar, offset=(start + 2, 0))
        await settle(pilot)
        assert bar.active == "archived"
        assert screen.patients.shown and all(row.patient.archived
                                             for row in screen.patients.shown)


async def test_every_quick_filter_shows_at_80_columns() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = app.screen.query_one(QuickBar).render_line(0).text
        for n, label in enumerate(QUICK_SHORT.values(), start=1):
            assert f"{n} {label}" in line
        assert len(line) == 80


async def test_typing_and_deleting_in_the_filter_shows_what_a_fresh_search_would() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        patients = screen.patients

        def fresh() -> list[str]:
            return [row.patient.id for row in patients.all_rows
                    if matches(row, patients.quick, patients.needle)]

        await pilot.press("slash")
        for key in ("p", "e", "t", "backspace", "backspace", "a", "backspace", "backspace",
                    "4", "r", "o", "backspace", "1"):
            if key in ("4", "1"):
                screen.action_quick("active" if key == "4" else "all")
            else:
                await pilot.press(key)
            await settle(pilot, 1)
            assert [row.patient.id for row in patients.shown] == fresh(), (key, patients.needle)
        assert patients.needle == "r"


async def test_each_quick_filters_count_is_how_many_patients_it_shows() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        patients = app.screen.patients
        counts = patients.counts()
        assert counts["overdue"] and counts["archived"] and counts["paused"]
        for key in QUICK_FILTERS:
            app.screen.action_quick(key)
            await settle(pilot, 1)
            assert len(patients.shown) == counts[key], key


async def test_record_tables_move_with_keys_and_open_the_highlighted_row() -> None:
    from mesotui.tui.screens.session_detail import SessionDetail

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        record = app.screen
        assert isinstance(record, RecordScreen) and record.table.row_count >= 3
        await pilot.press("down", "down", "up", "down")
        await settle(pilot, 1)
        assert record.table.cursor_row == 2
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SessionDetail)
        assert app.screen.session.id == record.session_ids[2]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#sessions", offset=(3, 2))  # the second row: highlight it
        await settle(pilot, 1)
        assert record.table.cursor_row == 1 and app.screen is record
        await pilot.click("#sessions", offset=(3, 2))  # again: open it
        await settle(pilot)
        assert isinstance(app.screen, SessionDetail)
        assert app.screen.session.id == record.session_ids[1]


async def test_a_voided_row_is_struck_through_but_its_state_is_not() -> None:
    from textual.app import App, ComposeResult

    from mesotui.tui.widgets.record_table import RecordTable

    class Host(App[None]):
        CSS = "RecordTable > .record-table--struck { text-style: strike; }"

        def compose(self) -> ComposeResult:
            yield RecordTable(id="t")

    app = Host()
    async with app.run_test(size=(60, 6)) as pilot:
        table = app.query_one(RecordTable)
        table.add_columns("#", "Date", "State")
        table.add_row("2", "2025-05-25", "", key="b")
        table.add_row("1", "2025-01-10", "VOIDED", key="a", struck=True)
        await pilot.pause()
        live, voided = table.render_line(1), table.render_line(2)
        assert "2025-05-25" in live.text and "VOIDED" in voided.text
        assert not any(s.style and s.style.strike for s in live)
        struck = {s.text.strip(): bool(s.style and s.style.strike) for s in voided
                  if s.text.strip()}
        assert struck == {"1": True, "2025-01-10": True, "VOIDED": False}


async def test_title_line_shows_the_record_file_and_today_and_its_icon_opens_the_palette() -> None:
    from textual.command import CommandPalette

    from mesotui.tui.widgets.titlebar import TitleBar

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        line = app.screen.query_one(TitleBar).render_line(0).text
        assert "mesotui \u2014 " in line and "today Thu 15 Jan 2026" in line
        assert len(line) == 120
        await pilot.press("r")  # reports: a screen with its own title
        await settle(pilot)
        assert app.screen.query_one(TitleBar).render_line(0).text.strip().startswith(
            "\u2b58") and "Reports \u2014 " in app.screen.query_one(TitleBar).render_line(0).text
        await pilot.click(TitleBar, offset=(2, 0))
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)


async def test_at_80_columns_every_column_of_the_sessions_shows_and_long_cells_are_cut() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"P-00004", "enter", "enter")
        await settle(pilot)
        record = app.screen
        assert isinstance(record, RecordScreen)
        table = record.table
        header = table.render_line(0).text
        assert header.rstrip().endswith("State") and len(header) == table.size.width
        lines = [table.render_line(y).text for y in range(1, table.row_count + 1)]
        assert all(len(line) == table.size.width for line in lines)
        assert any("\u2026" in line for line in lines)  # a long side-effect list, cut


async def test_a_save_does_not_scroll_the_record_away_from_what_was_in_view() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        record = app.screen
        assert isinstance(record, RecordScreen)
        scroller = record.query_one("#record")
        assert scroller.scroll_y == 0
        record.refresh_record()  # what every save, undo and settings change does
        await settle(pilot)
        assert scroller.scroll_y == 0
        await pilot.press("down", "down")  # the cursor's row stays in view (sessions come first)
        await settle(pilot)
        table = record.query_one("#sessions")
        assert table.cursor_row == 2  # type: ignore[attr-defined]
        assert scroller.region.y <= table.region.y + 3 < scroller.region.bottom
