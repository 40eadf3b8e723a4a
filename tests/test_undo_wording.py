"""ctrl+z never reaches past the patient on screen without asking, and never promises an undo
it cannot make (newcomer review item 17)."""

from __future__ import annotations

from datetime import date

from mesotui.models import Session
from mesotui.tui.screens.dialogs import ConfirmDialog
from mesotui.tui.screens.record import RecordScreen
from mesotui.vocab import CourseStatus
from tests.test_tui_complete_records import open_record
from tests.test_tui_support import TODAY, demo_app, screen_text, until_settled

SOFIA, LEILA, ELENA = "P-00001", "P-00017", "P-00002"


def said(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]  # noqa: SLF001


async def test_undo_on_one_record_asks_before_undoing_another_patients_change() -> None:
    """Failed before: on Leila's record, ctrl+z re-paused Elena, not on screen, unasked
    (here Hugo Rossi)."""
    app = demo_app()
    elena = app.store.patient(ELENA).name
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until_settled(pilot)
        app.store.set_course_status(ELENA, CourseStatus.PAUSED, TODAY, reason="travelling")
        await open_record(pilot, LEILA)
        await pilot.press("ctrl+z")
        await until_settled(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question == (f"The last change made in this window is not Leila "
                                       f"Petrov's: {elena}: course changed. Undo it?")
        assert "Undo it?" in screen_text(app)
        await pilot.press("n")
        await until_settled(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert app.store.patient(ELENA).status is CourseStatus.PAUSED  # kept, as answered
        await pilot.press("ctrl+z")
        await until_settled(pilot)
        await pilot.press("y")
        await until_settled(pilot)
        assert app.store.patient(ELENA).status is CourseStatus.ACTIVE
        assert f"Undone: {elena}: course changed. The record keeps both versions." in said(app)


async def test_undo_promises_only_what_it_can_do_next() -> None:
    """Failed before: after undoing a void it said "ctrl+z again undoes the session ...
    logged", and the next ctrl+z answered "S-...: undo: the record changed since"."""
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until_settled(pilot)
        logged = app.store.log_session(Session(
            id="", patient_id=SOFIA, date=TODAY, volume_ml=1.0, concentration_pct=0.01,
            no_side_effects=True, lot="DU25-0412", lot_expiry=date(2027, 1, 1)), TODAY)
        app.store.void_session(logged.id, reason="logged for the wrong patient")
        await open_record(pilot, SOFIA)
        await pilot.press("ctrl+z")
        await until_settled(pilot)
        last = said(app)[-1]
        assert last.startswith("Undone: the session of 2026-01-15 voided for Sofia Brennan.")
        assert "ctrl+z again" not in last
        await pilot.press("ctrl+z")
        await until_settled(pilot)
        assert said(app)[-1].startswith("Nothing to undo: no change made in this window")
        assert not any("S-" in message for message in said(app))
    assert not app.store.session(logged.id).voided


async def test_a_settings_change_says_how_many_patients_next_dates_it_moved() -> None:
    """Review item 23: intervals set to 3, 3, 3 moved next due dates with only "Settings
    saved."; review item 17: ctrl+z then said "no change made in this window"."""
    from textual.widgets import Input

    from mesotui.tui.screens.settings import SettingsForm

    app = demo_app()
    before = {card.id: view.next_due for card, view in app.store.board(TODAY)}
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until_settled(pilot)
        await pilot.press("s")
        await until_settled(pilot)
        assert isinstance(app.screen, SettingsForm)
        app.screen.query_one("#clinic-intervals", Input).value = "3, 3, 3"
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        after = {card.id: view.next_due for card, view in app.store.board(TODAY)}
        moved = sum(1 for pid in after if after[pid] != before[pid])
        assert moved > 1
        assert (f"Settings saved. The next due date of {moved} patients changed (the clinic's "
                "protocol plans them); s changes it back.") in said(app)
        await pilot.press("ctrl+z")
        await until_settled(pilot)
        assert said(app)[-1].endswith("(settings are changed back with s).")
