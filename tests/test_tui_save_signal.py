"""One save, one signal: the store announces it once, the app turns it into one message, and
every screen open refreshes itself from that message (a form's save, an undo, any other)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mesotui import schedule
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.widgets.keybar import KeyBar
from mesotui.tui.widgets.patient_list import PatientList
from tests.test_tui_support import (
    TODAY,
    complete_session,
    demo_app,
    demo_store,
    screen_text,
    until_settled,
)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Who computed a patient's standing, and which screens redrew, by patient id."""
    calls: dict[str, list[str]] = {"standing": [], "record": [], "row": []}
    standing, record, row = (schedule.standing, RecordScreen.refresh_record,
                             PatientsScreen.refresh_patient)

    def counting_standing(patient, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["standing"].append(patient.id)
        return standing(patient, *args, **kwargs)

    def counting_record(screen: RecordScreen) -> None:
        calls["record"].append(screen.patient_id)
        record(screen)

    def counting_row(screen: PatientsScreen, patient_id: str) -> None:
        calls["row"].append(patient_id)
        row(screen, patient_id)

    monkeypatch.setattr(schedule, "standing", counting_standing)
    monkeypatch.setattr(RecordScreen, "refresh_record", counting_record)
    monkeypatch.setattr(PatientsScreen, "refresh_patient", counting_row)
    return calls


async def test_a_logged_session_is_computed_once_and_each_screen_redraws_once(
        counted: dict[str, list[str]]) -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        patient_id = app.screen.query_one(PatientList).current.patient.id  # type: ignore[union-attr]
        await pilot.press("enter")
        await until_settled(pilot)
        await pilot.press("l")
        await until_settled(pilot)
        await complete_session(pilot)
        for calls in counted.values():
            calls.clear()
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert "Session logged for" in " ".join(n.message for n in app._notifications)  # noqa: SLF001
        assert counted == {"standing": [patient_id], "record": [patient_id], "row": [patient_id]}
        for calls in counted.values():
            calls.clear()
        await pilot.press("ctrl+z")
        await until_settled(pilot)
        assert counted == {"standing": [patient_id], "record": [patient_id], "row": [patient_id]}
        assert "UNDONE" in screen_text(app)


async def test_a_save_made_outside_the_forms_shows_on_the_list_and_the_open_record() -> None:
    """Any save (a script's, a replication's) reaches the screens: none refreshes by hand."""
    store = demo_store()
    app = demo_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        patient = app.screen.query_one(PatientList).current.patient  # type: ignore[union-attr]
        await pilot.press("enter")
        await until_settled(pilot)
        assert isinstance(app.screen, RecordScreen)
        held = store.patient(patient.id)
        store.update_patient(replace(held, name="Renamed Byscript"), TODAY, reason="typo")
        await until_settled(pilot)
        assert "Renamed Byscript" in screen_text(app)
        await pilot.press("escape")
        await until_settled(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert "Renamed Byscript" in screen_text(app)
        bar = app.screen.query_one(KeyBar)
        bar.render_line(0)
        assert any(h.description == "Undo" and h.enabled  # the save can be undone from here
                   for _s, _e, h in bar._spans)  # noqa: SLF001


async def test_changed_settings_recompute_every_row_and_the_open_record() -> None:
    store = demo_store()
    app = demo_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("enter")
        await until_settled(pilot)
        record = app.screen
        assert isinstance(record, RecordScreen)
        longer = replace(store.settings.protocol, maintenance_months=9)
        store.save_settings(replace(store.settings, protocol=longer))
        await until_settled(pilot)
        details = str(record.query_one("#details").render())
        assert "then 9-monthly" in details, details
