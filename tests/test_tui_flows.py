"""Pilot flows of the terminal UI: what a practitioner does, checked on screen and in the store."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, Select

from mesotui.errors import WriteFailed
from mesotui.tui.screens.dialogs import ConfirmDialog
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.screens.session_form import SessionForm
from mesotui.tui.widgets.patient_list import PatientList
from mesotui.vocab import CourseStatus, DueStatus, Severity, Sex, SideEffect
from tests.test_tui_support import (
    TODAY,
    add_practitioner,
    complete_session,
    demo_app,
    demo_store,
    empty_app,
    screen_text,
)


async def settle(pilot, times: int = 3) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        await pilot.pause()


async def type_into(pilot, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    await pilot.press(*text) if text else None


async def add_patient(pilot, name: str, dob: str, sex: Sex) -> None:  # type: ignore[no-untyped-def]
    """From the patient list: n, fill in the form, ctrl+s."""
    await pilot.press("n")
    await settle(pilot)
    await type_into(pilot, "#name", name)
    await type_into(pilot, "#dob", dob)
    pilot.app.screen.query_one("#sex").value = sex
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_empty_clinic_explains_how_to_add_the_first_patient() -> None:
    async with empty_app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Press n to add the first patient." in screen_text(pilot.app)


async def test_add_patient_then_log_session_shows_new_next_due_on_list_and_record() -> None:
    app = empty_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await add_patient(pilot, "Test Person", "1980-05-01", Sex.FEMALE)
        assert isinstance(app.screen, RecordScreen)
        patient = app.store.patients()[0]
        assert patient.name == "Test Person"
        assert "NO CONSENT on record" in screen_text(app)
        await pilot.press("k")  # consent first: then logging asks no override
        await settle(pilot)
        await add_practitioner(pilot, "#taken-by", "Dr Test")
        assert app.store.settings.practitioners == ("Dr Test",)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "CONSENT to off-label treatment in force since 2026-01-15" in screen_text(app)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, SessionForm)
        await complete_session(pilot)
        app.screen.query_one("#practitioner").value = "Dr Test"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        [session] = app.store.sessions_for(patient.id)
        assert session.date == TODAY and session.no_side_effects
        assert not session.consent_override
        text = screen_text(app)
        assert "next: session 2 due 2026-03-15 (in 59 d)" in text
        assert "avoid pregnancy until 2026-07-15" in text
        await pilot.press("escape")
        await settle(pilot)
        row = app.screen.query_one(PatientList).current
        assert row is not None and row.view.next_due.isoformat() == "2026-03-15"  # type: ignore[union-attr]
        assert "2026-03-15" in screen_text(app) and "in 59 d" in screen_text(app)


async def test_log_session_from_list_with_a_side_effect_and_the_row_moves() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = app.screen.query_one(PatientList).current
        assert first is not None and first.view.status is DueStatus.OVERDUE
        await pilot.press("l")
        await settle(pilot)
        effects = app.screen.query_one("#effects")
        effects.select(SideEffect.HEADACHE)  # type: ignore[attr-defined]
        await settle(pilot)
        app.screen.query_one(".severity", Select).value = Severity.MILD  # no default
        note = app.screen.query_one(".effect-note", Input)
        note.value = "settled in an hour"
        await complete_session(pilot, no_effects=False)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        latest = app.store.sessions_for(first.patient.id)[-1]
        assert latest.date == TODAY
        assert [(r.effect, r.note) for r in latest.side_effects] == [
            (SideEffect.HEADACHE, "settled in an hour")]
        new = app.store.outlook(app.store.patient(first.patient.id), TODAY)
        assert new.status is not DueStatus.OVERDUE and new.next_due > TODAY  # type: ignore[operator]
        top = app.screen.query_one(PatientList).shown[0]
        assert top.patient.id != first.patient.id


async def test_validation_error_is_shown_next_to_the_field_and_nothing_is_saved() -> None:
    store = demo_store()
    before = len(store.sessions())
    async with demo_app(store).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await type_into(pilot, "#volume", "25")
        await type_into(pilot, "#date", (TODAY + timedelta(days=3)).isoformat())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SessionForm)
        errors = [e.render().plain if hasattr(e.render(), "plain") else str(e.render())
                  for e in pilot.app.screen.query(".field.-invalid .field-error")]
        text = " ".join(errors)
        assert "2026-01-18 is in the future" in text
        assert "at most 20 mL" in text
        assert len(store.sessions()) == before


async def test_expired_lot_needs_an_explicit_confirmation_that_is_recorded() -> None:
    store = demo_store()
    async with demo_app(store).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        patient_id = pilot.app.screen.query_one(PatientList).current.patient.id  # type: ignore[union-attr]
        await pilot.press("l")
        await settle(pilot)
        await complete_session(pilot, expiry="2025-12-31")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SessionForm)
        assert "confirm to log it anyway" in screen_text(pilot.app)
        assert pilot.app.screen.query_one("#confirm-expired").display
        await pilot.click("#confirm-expired")
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = store.sessions_for(patient_id)[-1]
        assert saved.date == TODAY and saved.lot_expired and saved.expired_lot_confirmed


async def test_a_failed_save_keeps_the_form_open_with_the_message() -> None:
    store = demo_store()

    def full_disk(*args: object, **kwargs: object) -> None:
        raise WriteFailed("clinic.json", "could not be saved (No space left on device)")

    store.log_session = full_disk  # type: ignore[method-assign]
    async with demo_app(store).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await complete_session(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SessionForm)
        assert "No space left on device" in screen_text(pilot.app)


async def test_escape_with_unsaved_input_asks_before_discarding() -> None:
    store = demo_store()
    before = len(store.sessions())
    async with demo_app(store).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        await settle(pilot)
        assert isinstance(pilot.app.screen, PatientsScreen)
        await pilot.press("l")
        await settle(pilot)
        await type_into(pilot, "#volume", "1.5")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SessionForm)
        assert pilot.app.screen.query_one("#volume", Input).value == "1.5"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PatientsScreen)
        assert len(store.sessions()) == before


async def test_filter_narrows_the_list_and_escape_restores_it() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        patients = app.screen.query_one(PatientList)
        everyone = len(patients.shown)
        await pilot.press("slash", *"petrov")
        await settle(pilot)
        assert 0 < len(patients.shown) < everyone
        assert all("petrov" in row.patient.name.casefold() for row in patients.shown)
        await pilot.press("escape")
        await settle(pilot)
        assert len(patients.shown) == everyone
        await pilot.press("3")
        await settle(pilot)
        assert patients.shown and all(r.view.status is DueStatus.OVERDUE for r in patients.shown)


async def test_pause_removes_the_next_due() -> None:
    store = demo_store()
    async with demo_app(store).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        patient_id = pilot.app.screen.query_one(PatientList).current.patient.id  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(pilot)
        assert "next: session" in screen_text(pilot.app)
        await pilot.press("c")
        await settle(pilot)
        await type_into(pilot, "#reason", "travelling")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RecordScreen)
        patient = store.patient(patient_id)
        assert patient.status is CourseStatus.PAUSED
        assert store.outlook(patient, TODAY).next_due is None
        assert "next: session" not in screen_text(pilot.app)
        assert "Course paused since 2026-01-15 (travelling)" in screen_text(pilot.app)


async def test_amend_with_a_reason_keeps_the_old_version() -> None:
    store = demo_store()
    async with demo_app(store).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        session = pilot.app.screen.highlighted  # type: ignore[attr-defined]
        await pilot.press("a")
        await settle(pilot)
        await type_into(pilot, "#volume", "2")
        await pilot.press("ctrl+s")  # no reason: refused
        await settle(pilot)
        assert isinstance(pilot.app.screen, SessionForm)
        assert "say why the record changes" in screen_text(pilot.app)
        await type_into(pilot, "#reason", "volume misread")
        await pilot.press("ctrl+s")
        await settle(pilot)
        amended = store.session(session.id)
        assert amended.volume_ml == 2.0 and amended.amended
        assert amended.history[-1].reason == "volume misread"
        assert amended.history[-2].data["volume_ml"] == session.volume_ml
        assert "amended" in screen_text(pilot.app)


async def test_void_asks_for_a_reason_and_the_session_stays_visible() -> None:
    store = demo_store()
    async with demo_app(store).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        session = pilot.app.screen.highlighted  # type: ignore[attr-defined]
        given_before = store.outlook(store.patient(session.patient_id), TODAY).sessions_given
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("reason is required" in screen_text(pilot.app)
                or "required" in screen_text(pilot.app))
        await pilot.press(*"entered twice", "ctrl+s")
        await settle(pilot)
        voided = store.session(session.id)
        assert voided.voided and voided.void_reason == "entered twice"
        after = store.outlook(store.patient(session.patient_id), TODAY)
        assert after.sessions_given == given_before - 1
        assert "VOIDED" in screen_text(pilot.app)


async def test_opening_a_session_shows_its_full_record_and_revisions() -> None:
    async with demo_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "Revision history" in text and "1. " in text and "logged" in text
        assert "Lot" in text and "Side effects" in text


async def test_a_name_that_looks_like_markup_is_shown_exactly() -> None:
    app = empty_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await add_patient(pilot, "[bold]Bob[/]", "1970-01-01", Sex.MALE)
        assert "[bold]Bob[/]" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "[bold]Bob[/]" in screen_text(app)


async def test_help_lists_the_keys_of_every_screen() -> None:
    async with demo_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = "\n".join(str(w.render()) for w in pilot.app.screen.query("Static"))
        for phrase in ("Patient list", "New patient", "Log session", "Filter",
                       "Patient record", "Void", "Forms", "Save"):
            assert phrase in text, phrase
