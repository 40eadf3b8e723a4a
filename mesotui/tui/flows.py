"""What each action does: open the right form with a save closure, then say what was saved.

Forms only collect; these closures are where the store is called (screens collect, callers save).
`done(message)` runs only after a successful save; the screens refresh themselves from the
save's own message (tui/messages.py). Each flow imports its form when first
used, so starting the app pays only for the patient list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from mesotui import schedule
from mesotui.evaluation import Consent, Evaluation
from mesotui.models import Patient, Session
from mesotui.settings import Settings
from mesotui.tui import fmt
from mesotui.validation import plural
from mesotui.vocab import CourseStatus, Decision

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

Done = Callable[[str], None]


def _after(done: Done, say: Callable[[], str]) -> Callable[[object], None]:
    """Once the form saved, say what it did (the screens refresh from the save's own message,
    tui/messages.py)."""
    def finish(saved: object) -> None:
        if saved is not None:
            done(say())
    return finish


def _next_due(app: MesoApp, patient_id: str) -> str:
    view = app.store.outlook(app.store.patient(patient_id), app.today)
    return f"next due {fmt.next_due(view)}" if view.next_due else "no next due date"


def _banners(app: MesoApp, patient: Patient, *, logging: bool = False
             ) -> tuple[tuple[str, str], ...]:
    """The record's safety and consent banners, repeated at the top of a session form
    (`logging` a new session: the pregnancy date is the one this session sets)."""
    from mesotui.tui.screens.record_text import consent_text, safety_text

    store = app.store
    view = store.outlook(patient, app.today)
    safety, safety_style = safety_text(patient, store.sessions_for(patient.id), view,
                                       app.today, logging=app.today if logging else None)
    consent, in_force = consent_text(patient, app.today)
    return (safety, safety_style), (consent, "-ok" if in_force else "-missing")


def _practitioner_adder(app: MesoApp) -> Callable[[str], tuple[str, ...]]:
    """Adds a name to the clinic's practitioners (a settings revision) and returns the list."""
    def add(name: str) -> tuple[str, ...]:
        held = app.store.settings
        if name in held.practitioners:
            from mesotui.errors import ValidationError

            raise ValidationError({"reason": "is already on the list"})
        app.store.save_settings(replace(held, practitioners=(*held.practitioners, name)),
                                reason=f"practitioner added: {name}", by=app.user)
        return app.store.settings.practitioners
    return add


def log_session(app: MesoApp, patient_id: str, done: Done) -> None:
    from mesotui.tui.screens.session_form import Course, SessionForm

    store, today = app.store, app.today
    patient = store.patient(patient_id)
    given = store.sessions_for(patient_id, include_voided=False)
    logged: list[Session] = []

    def save(session: Session, reason: str) -> Session:
        logged.append(store.log_session(session, today, by=session.practitioner,
                                        reason=reason))
        return logged[-1]

    def said() -> str:
        override = logged and logged[-1].consent_override
        return (f"Session logged for {patient.name}; {_next_due(app, patient_id)}"
                + ("; logged WITHOUT consent (override recorded)." if override else "."))

    form = SessionForm(patient, save, settings=store.settings, today=today,
                       lots=store.recent_lots(), previous=given[-1] if given else None,
                       course=Course(schedule.given(given), store.protocol_in_force(patient),
                                     _banners(app, patient, logging=True)))
    form.add_practitioner = _practitioner_adder(app)
    app.push_screen(form, _after(done, said))


def amend_session(app: MesoApp, session: Session, done: Done) -> None:
    from mesotui.tui.screens.session_form import Course, SessionForm

    store, today = app.store, app.today
    patient = store.patient(session.patient_id)
    form = SessionForm(patient, lambda s, reason: store.amend_session(
        s, today, reason=reason, by=s.practitioner), settings=store.settings, today=today,
        lots=store.recent_lots(), session=session,
        course=Course([], store.protocol_in_force(patient), _banners(app, patient)))
    form.add_practitioner = _practitioner_adder(app)
    app.push_screen(form, _after(done, lambda: (
        f"Session of {session.date} amended; the previous version is kept.")))


def void_session(app: MesoApp, session: Session, done: Done) -> None:
    from mesotui import schedule
    from mesotui.tui.screens.form import ReasonDialog

    store = app.store
    number = schedule.numbers(store.sessions_for(session.patient_id)).get(session.id)
    dose = session.dose_mg
    which = ", ".join(filter(None, [
        f"session {number}" if number else "", f"{dose:g} mg" if dose is not None else "",
        f"lot {session.lot}" if session.lot else ""]))
    dialog = ReasonDialog[Session](
        f"Void the session of {session.date}" + (f" ({which})?" if which else "?"),
        "A voided session stays in the record, struck through, and no longer counts "
        "toward the schedule.",
        lambda reason: store.void_session(session.id, reason=reason, by=app.user),
        placeholder="e.g. entered twice")
    app.push_screen(dialog, _after(done, lambda: (
        f"Session of {session.date} voided; {_next_due(app, session.patient_id)}.")))


def add_patient(app: MesoApp, done: Callable[[Patient], None]) -> None:
    from mesotui.tui.screens.patient_form import PatientForm

    store, today = app.store, app.today

    def finish(saved: Patient | None) -> None:
        if saved is not None:
            done(saved)

    app.push_screen(PatientForm(None, lambda p, _reason: store.add_patient(p, today, by=app.user),
                                today=today, default_protocol=store.settings.protocol), finish)


def edit_patient(app: MesoApp, patient_id: str, done: Done) -> None:
    from mesotui.tui.screens.patient_form import PatientForm

    store, today = app.store, app.today
    form = PatientForm(store.patient(patient_id), lambda p, reason: store.update_patient(
        p, today, reason=reason or "details edited", by=app.user), today=today,
        default_protocol=store.settings.protocol)
    app.push_screen(form, _after(done, lambda: "Patient details saved."))


def change_course(app: MesoApp, patient_id: str, done: Done) -> None:
    from mesotui.tui.screens.course_dialog import CourseDialog

    store = app.store
    patient = store.patient(patient_id)

    def save(status: CourseStatus, on: date, reason: str) -> Patient:
        return store.set_course_status(patient_id, status, on, reason=reason, today=app.today,
                                       by=app.user)

    app.push_screen(CourseDialog(patient, save, today=app.today), _after(done, lambda: (
        f"Course {store.patient(patient_id).status.value}; {_next_due(app, patient_id)}.")))


def toggle_archive(app: MesoApp, patient_id: str, done: Done) -> None:
    from mesotui.tui.screens.form import ReasonDialog

    store = app.store
    patient = store.patient(patient_id)
    archive = not patient.archived
    verb = "Archive" if archive else "Unarchive"
    explain = ("Archived patients leave the active list (see the Archived filter, 6); "
               "nothing is deleted." if archive else "The patient returns to the active list.")
    dialog = ReasonDialog[Patient](f"{verb} {patient.name}?", explain,
                                   lambda reason: store.set_archived(patient_id, archive,
                                                                     reason=reason,
                                                                     by=app.user))
    app.push_screen(dialog, _after(done, lambda: f"{verb}d {patient.name}."))


def edit_settings(app: MesoApp, done: Done) -> None:
    from mesotui.tui.screens.settings import SettingsForm

    store = app.store
    before = _next_dues(app)

    def finish(saved: Settings | None) -> None:
        if saved is not None:
            after = _next_dues(app)
            moved = sum(1 for pid, due in after.items() if before.get(pid, due) != due)
            done("Settings saved." + (
                f" The next due date of {plural(moved, 'patient', count=True)} changed "
                "(the clinic's protocol plans them); s changes it back." if moved else ""))

    app.push_screen(SettingsForm(store.settings, lambda s: store.save_settings(s, by=app.user)),
                    finish)


def _next_dues(app: MesoApp) -> dict[str, date | None]:
    """Every patient's next due date today (a settings change may move them all)."""
    return {card.id: view.next_due for card, view in app.store.board(app.today)}


def consent(app: MesoApp, patient_id: str, done: Done) -> None:
    from mesotui.tui.screens.consent_dialog import ConsentDialog

    store, today = app.store, app.today
    patient = store.patient(patient_id)

    def record(given: Consent) -> Patient:
        return store.record_consent(patient_id, given, today, by=given.taken_by or app.user)

    def withdraw(on: date, reason: str) -> Patient:
        return store.withdraw_consent(patient_id, on, today, reason=reason, by=app.user)

    def said() -> str:
        held = store.patient(patient_id)
        if held.consent_on(today):
            return f"Consent of {held.name} recorded."
        paused = held.status is CourseStatus.PAUSED and patient.status is CourseStatus.ACTIVE
        return (f"Withdrawal of consent recorded for {held.name}"
                + ("; the course is paused, so no session is due (c resumes it)." if paused
                   else "."))

    dialog = ConsentDialog(patient, record, withdraw, today=today,
                           practitioners=store.settings.practitioners,
                           default_practitioner=store.settings.default_practitioner)
    dialog.add_practitioner = _practitioner_adder(app)
    app.push_screen(dialog, _after(done, said))


def evaluate(app: MesoApp, patient_id: str, done: Done) -> None:
    from mesotui.tui.screens.evaluation_form import EvaluationForm

    store, today = app.store, app.today
    patient = store.patient(patient_id)
    form = EvaluationForm(patient, lambda e, reason: store.record_evaluation(
        e, today, reason=reason), today=today, practitioners=store.settings.practitioners,
        practitioner=store.settings.default_practitioner,
        sessions_given=store.outlook(patient, today).sessions_given,
        recorded=store.evaluations_for(patient_id))
    form.add_practitioner = _practitioner_adder(app)

    def said() -> str:
        latest = store.evaluations_for(patient_id, include_voided=False)[-1]
        if latest.decision is Decision.STOP:
            return f"Evaluation recorded; the course of {patient.name} is stopped."
        return (f"Evaluation recorded ({latest.decision.label.lower()}); "
                f"{_next_due(app, patient_id)}.")

    app.push_screen(form, _after(done, said))


def amend_evaluation(app: MesoApp, evaluation: Evaluation, done: Done) -> None:
    from mesotui.tui.screens.evaluation_form import EvaluationForm

    store, today = app.store, app.today
    patient = store.patient(evaluation.patient_id)
    form = EvaluationForm(patient, lambda e, reason: store.amend_evaluation(
        e, today, reason=reason, by=e.practitioner), today=today,
        practitioners=store.settings.practitioners, evaluation=evaluation)
    form.add_practitioner = _practitioner_adder(app)
    app.push_screen(form, _after(done, lambda: (
        f"Evaluation of {evaluation.date} amended; the previous version is kept; "
        f"{_next_due(app, patient.id)}.")))


def void_evaluation(app: MesoApp, evaluation: Evaluation, done: Done) -> None:
    from mesotui.tui.screens.form import ReasonDialog

    store = app.store
    count = evaluation.hair_count_per_cm2
    which = ", ".join(filter(None, [evaluation.decision.label.lower(),
                                    f"{count:g} hairs/cm\u00b2" if count is not None else ""]))
    dialog = ReasonDialog[Evaluation](
        f"Void the evaluation of {evaluation.date} ({which})?",
        "A voided evaluation stays in the record, struck through; its decision no longer "
        "drives the schedule. (A course it stopped stays stopped: resume it with c.)",
        lambda reason: store.void_evaluation(evaluation.id, reason=reason,
                                            by=app.user),
        placeholder="e.g. entered for the wrong patient")
    app.push_screen(dialog, _after(done, lambda: (
        f"Evaluation of {evaluation.date} voided; {_next_due(app, evaluation.patient_id)}.")))
