"""The key line at the bottom, and the record screen kept between openings."""

from __future__ import annotations

from dataclasses import replace

from mesotui.tui.screens.help import HelpScreen
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.widgets.keybar import KeyBar
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
        assert line.startswith(" \u23ce Open ? Help") or " ? Help " in line
        assert "Settings" not in line  # it would not fit whole
        words = line.replace("\u258f", " ").split()
        assert "palette" in words and "Filt" not in words and "Settin" not in words


async def test_clicking_a_key_presses_it_and_a_dimmed_key_only_beeps() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
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
        assert not undo[1].enabled  # nothing to undo yet: shown dimmed
        await pilot.click(KeyBar, offset=(undo[0] + 1, 0))
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)


async def test_undo_key_brightens_once_there_is_something_to_undo() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        patient = app.screen.patients.current.patient
        held = app.store.patient(patient.id)
        app.store.update_patient(replace(held, notes="Moved to afternoons."), TODAY,
                                 reason="patient asked")
        app.patient_changed(patient.id)  # what every save in the app does
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
