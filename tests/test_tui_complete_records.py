"""A session or evaluation is saved complete, or the form says what is missing, all at once.

Issue 16's cases 2 to 10, as a practitioner meets them in the app (the demo clinic on
2026-01-15): nothing safety-relevant defaults silently, nothing typed is destroyed, and
every warning asks before saving, with the reason recorded.
"""

from __future__ import annotations

from datetime import date

from textual.widgets import Checkbox, Input, Select

from mesotui.models import Patient, Session
from mesotui.store import Store
from mesotui.tui.app import MesoApp
from mesotui.tui.screens.dialogs import ConfirmDialog, ReasonQuestion
from mesotui.tui.screens.evaluation_form import EvaluationForm
from mesotui.tui.screens.patient_form import PatientForm
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.screens.session_form import SessionForm
from mesotui.tui.screens.settings import SettingsForm
from mesotui.tui.widgets.ticks import TickGroup
from mesotui.vocab import AnaesthesiaType, CourseStatus, Decision, Severity, Sex, SideEffect
from tests.test_tui_support import (
    TODAY,
    clock,
    complete_session,
    demo_app,
    demo_store,
    screen_text,
    until_settled,
)


def problems(app: MesoApp) -> str:
    """Every problem shown under a field, and the form's own line."""
    shown = [str(w.render()) for w in app.screen.query(".field.-invalid .field-error")]
    return " | ".join(shown)


async def open_record(pilot, patient_id: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash", *patient_id, "enter", "enter")
    await until_settled(pilot)
    assert isinstance(pilot.app.screen, RecordScreen)


async def log_form(pilot, patient_id: str) -> SessionForm:  # type: ignore[no-untyped-def]
    await open_record(pilot, patient_id)
    await pilot.press("l")
    await until_settled(pilot)
    assert isinstance(pilot.app.screen, SessionForm)
    return pilot.app.screen


async def test_l_then_ctrl_s_saves_nothing_and_names_every_unanswered_question() -> None:
    """Case 2: lot, expiry, side effects and counselling are each asked for, at once."""
    store = Store.in_memory(clock=clock)
    patient = store.add_patient(Patient(id="", name="New Person", sex=Sex.FEMALE,
                                        date_of_birth=date(1990, 1, 1)), TODAY)
    app = MesoApp(store=store, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("l", "ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, SessionForm)
        shown = problems(app)
        for expected in ("lot is required", "lot expiry is required",
                         "not answered: the effects reported, or none (asked)",
                         "was the pregnancy advice given?"):
            assert expected in shown
        assert store.sessions_for(patient.id) == []


async def test_the_last_sessions_lot_is_offered_never_prefilled_and_a_key_confirms_it() -> None:
    """Case 2: the demo's previous lot is shown as "same as last session"; space takes it."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await log_form(pilot, "P-00001")
        last = app.store.sessions_for("P-00001")[-1]
        assert form.query_one("#lot", Input).value == ""
        assert f"Same lot as last session: {last.lot}" in screen_text(app)
        form.query_one("#same-lot", Checkbox).focus()
        await pilot.press("space")
        await until_settled(pilot)
        assert form.query_one("#lot", Input).value == last.lot
        assert form.query_one("#expiry", Input).value == str(last.lot_expiry)


async def test_the_evaluation_decision_has_no_default_and_must_be_chosen() -> None:
    """Case 3: E, a hair count, ctrl+s: nothing is saved until the decision is chosen."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, "P-00004")
        before = len(app.store.evaluations_for("P-00004"))
        await pilot.press("E", *"150", "ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, EvaluationForm)
        assert "is required: choose what happens to the course" in problems(app)
        assert len(app.store.evaluations_for("P-00004")) == before
        app.screen.query_one("#decision", Select).value = Decision.MAINTENANCE
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert app.store.evaluations_for("P-00004")[-1].decision is Decision.MAINTENANCE


async def test_the_consent_override_is_asked_only_once_the_form_is_valid() -> None:
    """Case 4: an impossible date is shown first; the override question comes after."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await log_form(pilot, "P-00008")
        await complete_session(pilot)
        form.query_one("#date", Input).value = "2026-02-30"
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, SessionForm)
        assert "not a real calendar date" in problems(app)
        form.query_one("#date", Input).value = "2026-01-15"
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "No consent to off-label" in screen_text(app)


async def test_none_reported_puts_effects_aside_and_unticking_brings_them_back() -> None:
    """Case 5: "none" never wipes the effects entered, with their severities and notes."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await log_form(pilot, "P-00001")
        form.query_one("#effects", TickGroup).select(SideEffect.HEADACHE)
        await until_settled(pilot)
        form.query_one(".severity", Select).value = Severity.MODERATE
        form.query_one(".effect-note", Input).value = "two hours"
        none = form.query_one("#no-effects", Checkbox)
        none.value = True
        await until_settled(pilot)
        assert "1 side effect entered is kept aside" in screen_text(app)
        none.value = False
        await until_settled(pilot)
        assert form.query_one("#effects", TickGroup).selected == [SideEffect.HEADACHE]
        assert form.query_one(".severity", Select).value is Severity.MODERATE
        assert form.query_one(".effect-note", Input).value == "two hours"
        none.value = True
        await complete_session(pilot)
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        saved = app.store.sessions_for("P-00001")[-1]
        assert saved.date == TODAY and saved.no_side_effects and saved.side_effects == ()


async def test_a_new_patient_form_flags_every_empty_required_field_at_once() -> None:
    """Case 6: name, sex and date of birth together, not one after another."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("n", "ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, PatientForm)
        shown = problems(app)
        assert shown.count("is required") == 3, shown


async def test_settings_flag_a_bad_interval_list_and_a_zero_maintenance_together() -> None:
    """Case 6: "then every 0" is flagged beside a bad interval list."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("s")
        await until_settled(pilot)
        assert isinstance(app.screen, SettingsForm)
        app.screen.query_one("#clinic-intervals", Input).value = "2, two"
        app.screen.query_one("#clinic-maintenance", Input).value = "0"
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        shown = problems(app)
        assert "must be whole months" in shown and "must be 1 to 36 months" in shown


async def test_the_practitioners_editor_says_its_separator_and_how_it_read_the_names() -> None:
    """Case 7: a comma-separated list reads as one name, and the form says so."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("s")
        await until_settled(pilot)
        assert "separate names with ; (a comma is part of a name)" in screen_text(app)
        names = app.screen.query_one("#practitioners", Input)
        names.value = "Dr A. Lima, Nurse B. Cole"
        await until_settled(pilot)
        assert "Read as 1 practitioner: Dr A. Lima, Nurse B. Cole" in screen_text(app)
        names.value = "Dr A. Lima; Nurse B. Cole"
        await until_settled(pilot)
        assert "Read as 2 practitioners: Dr A. Lima · Nurse B. Cole" in screen_text(app)
        app.screen.query_one("#default-practitioner", Select).value = "Nurse B. Cole"
        await pilot.press("ctrl+s")
        await until_settled(pilot)
    assert app.store.settings.practitioners == ("Dr A. Lima", "Nurse B. Cole")
    assert app.store.settings.default_practitioner == "Nurse B. Cole"


async def test_the_session_practitioner_is_picked_from_the_list_and_a_name_can_be_added() -> None:
    """Case 7: a choice of the clinic's practitioners; "add a name" adds it to settings."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await log_form(pilot, "P-00001")
        choice = form.query_one("#practitioner", Select)
        assert choice.value == "Dr M. Rahimi"
        from mesotui.tui.widgets.practitioner import ADD

        choice.value = ADD
        await until_settled(pilot)
        app.screen.query_one("#reason", Input).value = "Dr N. New"
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert app.screen is form and choice.value == "Dr N. New"
        assert app.store.settings.practitioners[-1] == "Dr N. New"


async def test_choosing_an_anaesthesia_type_offers_its_usual_agent() -> None:
    """Case 8: Topical → Local offers lidocaine; an agent typed by hand is kept."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await log_form(pilot, "P-00001")
        kind, agent = form.query_one("#anaesthesia", Select), form.query_one("#agent", Input)
        assert agent.value == "topical anaesthetic cream"
        kind.value = AnaesthesiaType.LOCAL
        await until_settled(pilot)
        assert agent.value == "lidocaine 2%"
        kind.value = AnaesthesiaType.NONE
        await until_settled(pilot)
        assert agent.value == ""
        agent.value = "articaine 4%"
        kind.value = AnaesthesiaType.LOCAL
        await until_settled(pilot)
        assert agent.value == "articaine 4%"


async def test_a_second_session_on_one_day_asks_why_and_records_the_reason() -> None:
    """Case 9: the same day twice needs a reason, kept on the session's first revision."""
    store = demo_store()
    first = store.log_session(Session(id="", patient_id="P-00001", date=TODAY, volume_ml=1.0,
                                      concentration_pct=0.01, no_side_effects=True, lot="L1",
                                      lot_expiry=date(2027, 1, 1)), TODAY)
    app = demo_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_form(pilot, "P-00001")
        await complete_session(pilot)
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, ReasonQuestion)
        assert "A session is already recorded on 2026-01-15" in screen_text(app)
        await pilot.press("ctrl+s")  # no reason given: still asking
        await until_settled(pilot)
        assert isinstance(app.screen, ReasonQuestion)
        await pilot.press(*"first attempt stopped", "ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, RecordScreen)
    today = [s for s in store.sessions_for("P-00001") if s.date == TODAY]
    second = [s for s in today if s.id != first.id]  # same day: their order is their random ids
    assert len(today) == 2 and second[0].history[0].reason == "first attempt stopped"


async def test_a_session_weeks_before_its_interval_asks_for_confirmation() -> None:
    """Case 9: 2026-01-15 when session 5 is due 2026-04-24 is 99 days early."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await log_form(pilot, "P-00003")
        await complete_session(pilot)
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, ReasonQuestion)
        assert "is due on 2026-04-24" in screen_text(app) and "99 days early" in screen_text(app)
        await pilot.press("escape")  # go back: nothing saved
        await until_settled(pilot)
        assert isinstance(app.screen, SessionForm)
    assert app.store.sessions_for("P-00003")[-1].date != TODAY


async def test_two_evaluations_on_one_date_ask_for_a_reason() -> None:
    """Case 9: an evaluation on a date that already has one."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, "P-00004")
        for _attempt in range(2):
            await pilot.press("E")
            await until_settled(pilot)
            app.screen.query_one("#decision", Select).value = Decision.CONTINUE
            await pilot.press("ctrl+s")
            await until_settled(pilot)
        assert isinstance(app.screen, ReasonQuestion)
        assert "An evaluation is already recorded on 2026-01-15" in screen_text(app)
        await pilot.press(*"entered twice by mistake", "ctrl+s")
        await until_settled(pilot)
    reasons = [e.history[0].reason for e in app.store.evaluations_for("P-00004")
               if e.date == TODAY]
    assert sorted(reasons) == ["", "entered twice by mistake"]


async def test_a_pregnancy_banner_whose_date_has_passed_says_so_and_is_not_red() -> None:
    """Case 10: Hannah Moreau's last session was 2025-07-03: the period ended 2026-01-03.
    Said so once her course is stopped; while it is active, pregnancy is still avoided
    (review item 6, tests/test_safety_banners.py)."""
    app = demo_app()
    app.store.set_course_status("P-00005", CourseStatus.STOPPED, TODAY, reason="moved away")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, "P-00005")
        assert "Pregnancy-avoid period ended on 2026-01-03" in screen_text(app)
        assert "avoid pregnancy until 2026-01-03" not in screen_text(app)
        banner = app.screen.query_one("#safety")
        assert not banner.has_class("-alarm")
