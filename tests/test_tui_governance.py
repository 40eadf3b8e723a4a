"""Pilot flows for consent and the course evaluation: what is shown and what is saved."""

from __future__ import annotations

from datetime import date

from textual.widgets import Input, Select

from mesotui.evaluation import Consent, Evaluation
from mesotui.models import Patient, Session
from mesotui.store import Store
from mesotui.tui.app import MesoApp
from mesotui.tui.screens.consent_dialog import ConsentDialog
from mesotui.tui.screens.dialogs import ConfirmDialog
from mesotui.tui.screens.evaluation_detail import EvaluationDetail
from mesotui.tui.screens.evaluation_form import EvaluationForm
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.screens.session_form import SessionForm
from mesotui.tui.widgets.outcome_chart import chart_lines
from mesotui.vocab import CourseStatus, Decision, ScoreChange, Sex
from tests.test_tui_flows import settle, type_into
from tests.test_tui_support import (
    TODAY,
    add_practitioner,
    clock,
    complete_session,
    screen_text,
)

FOUR = (date(2025, 1, 10), date(2025, 3, 10), date(2025, 5, 12), date(2025, 7, 10))


def clinic(consented: bool = True, sex: Sex = Sex.FEMALE) -> tuple[Store, str]:
    """One patient with four sessions (so the evaluation is due), with consent or without."""
    store = Store.in_memory(clock=clock)
    consents = (Consent(date(2025, 1, 2), "DUT-MESO v3", "Dr Rahimi"),) if consented else ()
    patient = store.add_patient(Patient(id="", name="Eva Luation", sex=sex,
                                        date_of_birth=date(1984, 4, 4), consents=consents), TODAY)
    for day in FOUR:
        store.log_session(Session(id="", patient_id=patient.id, date=day, volume_ml=1.0,
                                  concentration_pct=0.01, no_side_effects=True,
                                  consent_override=not consented), TODAY)
    return store, patient.id


async def open_record(pilot, app: MesoApp) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, RecordScreen)


async def test_consent_recorded_on_the_record_then_logging_asks_no_override() -> None:
    store, patient_id = clinic(consented=False)
    app = MesoApp(store=store, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, app)
        assert "NO CONSENT on record for this off-label treatment · k records it" in screen_text(
            app)
        assert app.screen.query_one("#consent").has_class("-missing")
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, ConsentDialog)
        await type_into(pilot, "#on", "2026-01-10")
        await type_into(pilot, "#form-version", "DUT-MESO v4")
        await add_practitioner(pilot, "#taken-by", "Dr Osei")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert not app.screen.query_one("#consent").has_class("-missing")
        assert "in force since 2026-01-10 · DUT-MESO v4 · taken by Dr Osei" in screen_text(app)
        await pilot.press("l")
        await settle(pilot)
        await complete_session(pilot)
        app.screen.query_one("#practitioner", Select).value = "Dr Osei"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)  # no override question was asked
    latest = store.sessions_for(patient_id)[-1]
    assert latest.date == TODAY and not latest.consent_override
    assert store.patient(patient_id).consents[-1].taken_by == "Dr Osei"


async def test_logging_without_consent_asks_why_and_stores_the_override() -> None:
    store, patient_id = clinic(consented=False)
    app = MesoApp(store=store, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, app)
        await pilot.press("l")
        await settle(pilot)
        await complete_session(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        question = screen_text(app)
        assert "No consent to off-label dutasteride mesotherapy is in" in question
        assert "on 2026-01-15" in question and "Log the session anyway?" in question
        await pilot.press("n")  # go back: still in the form, nothing saved
        await settle(pilot)
        assert isinstance(app.screen, SessionForm) and len(store.sessions_for(patient_id)) == 4
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert "no consent" in screen_text(app)  # the session row says so
        await pilot.press("enter")
        await settle(pilot)
        assert "OVERRIDE: logged without consent in force" in screen_text(app)
    latest = store.sessions_for(patient_id)[-1]
    assert latest.date == TODAY and latest.consent_override


async def test_evaluation_maintenance_four_months_moves_the_next_due_and_clears_the_flag() -> None:
    store, patient_id = clinic()
    app = MesoApp(store=store, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, app)
        assert "EVALUATION DUE (E)" in screen_text(app)
        assert "No outcome measures recorded yet" in screen_text(app)
        await pilot.press("E")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EvaluationForm)
        await type_into(pilot, "#date", "2025-07-10")
        await type_into(pilot, "#hair-count", "182")
        await type_into(pilot, "#site", "vertex tattoo")
        form.query_one("#global-score", Select).value = ScoreChange.MODERATELY_INCREASED
        form.query_one("#photos", Input).value = "/photos/eva/vertex.jpg:vertex"
        form.query_one("#decision", Select).value = Decision.MAINTENANCE
        await settle(pilot)
        assert form.query_one("#months", Input).value == "4"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        text = screen_text(app)
        assert "EVALUATION DUE" not in text
        assert "next: session 5 due 2025-11-10" in text  # 10 Jul + 4 months
        assert "182" in text and "+2 moderately increased" in text
        assert "■ maint" in text  # on the timeline
    [saved] = store.evaluations_for(patient_id)
    assert saved.decision is Decision.MAINTENANCE and saved.interval_months == 4
    assert saved.photos[0].path == "/photos/eva/vertex.jpg" and saved.photos[0].angle == "vertex"


async def test_evaluation_stop_ends_the_course_and_keeps_the_pregnancy_date() -> None:
    store, patient_id = clinic(sex=Sex.FEMALE)
    app = MesoApp(store=store, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, app)
        await pilot.press("E")
        await settle(pilot)
        form = app.screen
        form.query_one("#decision", Select).value = Decision.STOP
        await settle(pilot)
        await pilot.press("ctrl+s")  # a stop needs its reason: shown beside the field
        await settle(pilot)
        assert isinstance(app.screen, EvaluationForm)
        assert "is required to stop the course" in screen_text(app)
        await type_into(pilot, "#stop-reason", "no response after four sessions")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        text = screen_text(app)
        assert "Course stopped since 2026-01-15" in text and "next: session" not in text
        assert "Pregnancy-avoid period ended on 2026-01-10" in text  # passed: said in words
    patient = store.patient(patient_id)
    view = store.outlook(patient, TODAY)
    assert patient.status is CourseStatus.STOPPED and view.next_due is None
    assert view.pregnancy_avoid_until == date(2026, 1, 10)


async def test_an_evaluation_is_opened_amended_with_a_reason_and_voided() -> None:
    store, patient_id = clinic()
    store.record_evaluation(Evaluation(id="", patient_id=patient_id, date=FOUR[-1],
                                       decision=Decision.MAINTENANCE, maintenance_months=6,
                                       hair_count_per_cm2=150.0), TODAY)
    app = MesoApp(store=store, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, app)
        assert "next: session 5 due 2026-01-10" in screen_text(app)
        app.screen.query_one("#evaluations").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EvaluationDetail)
        assert "maintenance every 6 months" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, EvaluationForm)
        await pilot.press("ctrl+s")  # no reason yet
        await settle(pilot)
        assert isinstance(app.screen, EvaluationForm)
        await type_into(pilot, "#hair-count", "165")
        await type_into(pilot, "#reason", "count re-read from the photo")
        await pilot.press("ctrl+s")
        await settle(pilot)
        [amended] = store.evaluations_for(patient_id)
        assert amended.hair_count_per_cm2 == 165.0 and amended.amended
        assert amended.history[-1].reason == "count re-read from the photo"
        await pilot.press("v")
        await settle(pilot)
        await type_into(pilot, "#reason", "wrong patient")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "VOIDED" in screen_text(app)
        assert "EVALUATION DUE" in screen_text(app)  # the voided decision no longer counts
    assert store.evaluations_for(patient_id)[0].voided


async def test_evaluate_and_consent_are_in_the_command_palette() -> None:
    store, _ = clinic()
    app = MesoApp(store=store, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Record evaluation" in titles and "Consent" in titles
        assert "Void evaluation" in titles


def test_the_outcome_chart_reads_without_colour() -> None:
    first = Evaluation(id="E-1", patient_id="P", date=date(2025, 7, 10), hair_count_per_cm2=150.0,
                       global_score=ScoreChange.SLIGHTLY_INCREASED)
    later = Evaluation(id="E-2", patient_id="P", date=date(2025, 11, 10),
                       hair_count_per_cm2=180.0, global_score=ScoreChange.MODERATELY_INCREASED)
    header, one, two = chart_lines([first, later])
    assert "hair count per cm²" in header and "global score" in header
    assert one.startswith("2025-07-10") and "150" in one and "[···0●··] +1" in one
    assert "180 (+30)" in two and "[···0·●·] +2 moderately increased" in two
    assert two.count("█") > one.count("█") and "█" * 24 in two  # the highest fills the bar


async def test_the_palette_offers_one_keys_entry_and_nothing_a_clinic_has_no_use_for() -> None:
    """Newcomer review 32: the palette had two "Keys" (Textual's key panel and the app's list
    of every key), and Textual's "Maximize" among the clinic's commands."""
    store, _ = clinic()
    app = MesoApp(store=store, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Keys") == 1
        assert "Maximize" not in titles and "Minimize" not in titles
        assert "Screenshot" in titles and "Quit" in titles  # Textual's that a clinic uses
