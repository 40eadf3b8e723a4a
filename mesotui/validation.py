"""Clinical plausibility rules: what the app refuses to save, with the field and the reason."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from mesotui import schedule
from mesotui.errors import ValidationError
from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Protocol, Session
from mesotui.settings import Settings
from mesotui.vocab import Decision, Sex

MAX_LINE = 200
"""Longest name, lot, phone or other one-line field."""
MAX_NOTE = 20_000
"""Longest free-text note: ten pages, far beyond any clinical note, far below a pasted file."""
EARLIEST = date(1900, 1, 1)
MAX_VOLUME_ML = 20.0
MAX_CONCENTRATION_PCT = 1.0


def line_problem(value: str, *, required: bool = False) -> str | None:
    """What is wrong with a one-line text field, or None."""
    if required and not value.strip():
        return "is required"
    if len(value) > MAX_LINE:
        return f"is too long ({len(value):,} characters; at most {MAX_LINE})"
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "contains control characters (such as a line break or tab)"
    return None


def note_problem(value: str) -> str | None:
    """What is wrong with a free-text note, or None; line breaks and tabs are fine."""
    if len(value) > MAX_NOTE:
        return f"is too long ({len(value):,} characters; at most {MAX_NOTE:,})"
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        return "contains control characters"
    return None


def protocol_problems(protocol: Protocol, name: str = "protocol") -> dict[str, str]:
    problems: dict[str, str] = {}
    intervals = protocol.intervals_months
    if not intervals:
        problems[f"{name}.intervals_months"] = "needs at least one interval"
    elif len(intervals) > 24:
        problems[f"{name}.intervals_months"] = "has more than 24 steps"
    elif any(not 1 <= m <= 36 for m in intervals):
        problems[f"{name}.intervals_months"] = "each interval must be 1 to 36 months"
    if not 1 <= protocol.maintenance_months <= 36:
        problems[f"{name}.maintenance_months"] = "must be 1 to 36 months"
    if not 1 <= protocol.evaluate_after <= 50:
        problems[f"{name}.evaluate_after"] = "must be 1 to 50 sessions"
    if protocol.evaluate_by < protocol.evaluate_after:
        problems[f"{name}.evaluate_by"] = "must not be before evaluate_after"
    return problems


def patient_problems(patient: Patient, today: date) -> dict[str, str]:
    """Everything wrong with a patient record, keyed by field; empty when it can be saved."""
    problems: dict[str, str] = {}
    for key, value, required in (("name", patient.name, True), ("phone", patient.phone, False),
                                 ("email", patient.email, False)):
        if problem := line_problem(value, required=required):
            problems[key] = problem
    if problem := note_problem(patient.notes):
        problems["notes"] = problem
    for treatment in patient.concurrent_treatments:
        if problem := line_problem(treatment, required=True):
            problems["concurrent_treatments"] = f"each treatment {problem}"
    dob = patient.date_of_birth
    if dob > today:
        problems["date_of_birth"] = f"{dob.isoformat()} is in the future"
    elif dob < EARLIEST:
        problems["date_of_birth"] = f"{dob.isoformat()} is before {EARLIEST.year}"
    if patient.planned_start and patient.planned_start < dob:
        problems["planned_start"] = "is before the date of birth"
    if patient.protocol:
        problems.update(protocol_problems(patient.protocol))
    for consent in patient.consents:
        if consent.given_on > today or consent.given_on < dob:
            when = "in the future" if consent.given_on > today else "before birth"
            problems["consents"] = f"consent given on {consent.given_on} is {when}"
        elif consent.withdrawn_on and not consent.given_on <= consent.withdrawn_on <= today:
            problems["consents"] = (f"withdrawal on {consent.withdrawn_on} is not between the "
                                    f"consent ({consent.given_on}) and today")
        elif problem := line_problem(consent.form_version) or line_problem(consent.taken_by):
            problems["consents"] = f"form version and taker {problem}"
    for event in patient.course:
        if event.on < dob:
            problems["course"] = f"{event.status.value} on {event.on} is before the date of birth"
        if problem := note_problem(event.reason):
            problems["course"] = f"reason {problem}"
    return problems


def _visit_problems(patient_id: str, day: date, patient: Patient, today: date) -> dict[str, str]:
    """What is wrong with a visit's patient and date (sessions and evaluations alike)."""
    problems: dict[str, str] = {}
    if patient_id != patient.id:
        problems["patient_id"] = f"does not match patient {patient.id}"
    if day < patient.date_of_birth:
        problems["date"] = "is before the patient's date of birth"
    elif day > today:
        problems["date"] = f"{day.isoformat()} is in the future"
    return problems


def session_problems(session: Session, patient: Patient, today: date) -> dict[str, str]:
    """Everything wrong with a session record, keyed by field; empty when it can be saved."""
    problems = _visit_problems(session.patient_id, session.date, patient, today)
    for key in ("product", "lot", "needle", "practitioner"):
        if problem := line_problem(getattr(session, key)):
            problems[key] = problem
    for key, value in (("anaesthesia.agent", session.anaesthesia.agent),
                       ("anaesthesia.amount", session.anaesthesia.amount)):
        if problem := line_problem(value):
            problems[key] = problem
    if problem := note_problem(session.dose_notes):
        problems["dose_notes"] = problem
    _number_problems(session, problems)
    if session.lot_expired and not session.expired_lot_confirmed:
        problems["lot_expiry"] = (f"was {session.lot_expiry}, before the session: confirm to "
                                  "log it anyway")
    if len(set(session.areas)) != len(session.areas):
        problems["areas"] = "lists an area twice"
    effects = [report.effect for report in session.side_effects]
    if len(set(effects)) != len(effects):
        problems["side_effects"] = "lists a side effect twice"
    elif session.no_side_effects and effects:
        problems["side_effects"] = "cannot be both 'none' and list side effects"
    for report in session.side_effects:
        if report.effect.value == "other" and not report.note.strip():
            problems["side_effects"] = "'other' needs a note saying what it was"
        elif problem := note_problem(report.note):
            problems["side_effects"] = f"note {problem}"
    return problems


def _number_problems(session: Session, problems: dict[str, str]) -> None:
    if session.volume_ml is not None and not 0 < session.volume_ml <= MAX_VOLUME_ML:
        problems["volume_ml"] = f"must be more than 0 and at most {MAX_VOLUME_ML:g} mL"
    if (session.concentration_pct is not None
            and not 0 < session.concentration_pct <= MAX_CONCENTRATION_PCT):
        problems["concentration_pct"] = ("must be more than 0 and at most "
                                         f"{MAX_CONCENTRATION_PCT:g} %")
    if session.injection_points is not None and not 0 <= session.injection_points <= 2000:
        problems["injection_points"] = "must be 0 to 2000"
    if session.duration_min is not None and not 0 < session.duration_min <= 600:
        problems["duration_min"] = "must be 1 to 600 minutes"


def evaluation_problems(evaluation: Evaluation, patient: Patient, today: date) -> dict[str, str]:
    """Everything wrong with a course evaluation, keyed by field."""
    problems = _visit_problems(evaluation.patient_id, evaluation.date, patient, today)
    count = evaluation.hair_count_per_cm2
    if count is not None and not 0 <= count <= 1000:
        problems["hair_count_per_cm2"] = "must be 0 to 1000 hairs/cm²"
    diameter = evaluation.shaft_diameter_um
    if diameter is not None and not 1 <= diameter <= 300:
        problems["shaft_diameter_um"] = "must be 1 to 300 µm"
    months = evaluation.maintenance_months
    if months is not None and not 1 <= months <= 36:
        problems["maintenance_months"] = "must be 1 to 36 months"
    if evaluation.decision is Decision.STOP and not evaluation.stop_reason.strip():
        problems["stop_reason"] = "is required to stop the course"
    for key in ("hair_count_site", "practitioner"):
        if problem := line_problem(getattr(evaluation, key)):
            problems[key] = problem
    for key in ("notes", "stop_reason"):
        if problem := note_problem(getattr(evaluation, key)):
            problems[key] = problem
    for photo in evaluation.photos:
        if problem := line_problem(photo.path, required=True) or line_problem(photo.angle):
            problems["photos"] = f"each photo path and angle {problem}"
    return problems


def settings_problems(settings: Settings) -> dict[str, str]:
    problems = protocol_problems(settings.protocol)
    if not 0 <= settings.due_soon_days <= 365:
        problems["due_soon_days"] = "must be 0 to 365 days"
    if not 0 < settings.default_concentration_pct <= MAX_CONCENTRATION_PCT:
        problems["default_concentration_pct"] = "must be more than 0 and at most 1 %"
    volume = settings.default_volume_ml
    if volume is not None and not 0 < volume <= MAX_VOLUME_ML:
        problems["default_volume_ml"] = f"must be more than 0 and at most {MAX_VOLUME_ML:g} mL"
    if not 0 < settings.default_duration_min <= 600:
        problems["default_duration_min"] = "must be 1 to 600 minutes"
    for key in ("clinic_name", "default_product", "default_needle", "default_practitioner"):
        if problem := line_problem(getattr(settings, key)):
            problems[key] = problem
    if not re.fullmatch(r"(https?://[^\s/]+(/\S*)?|urn:[a-z0-9][a-z0-9-]*:\S+)",
                        settings.system_base) or len(settings.system_base) > MAX_LINE:
        problems["system_base"] = "must be a URL the clinic owns, e.g. https://clinic.example/fhir"
    for name in settings.practitioners:
        if problem := line_problem(name, required=True):
            problems["practitioners"] = f"each name {problem}"
    if len(set(settings.practitioners)) != len(settings.practitioners):
        problems["practitioners"] = "lists a name twice"
    if settings.default_practitioner and settings.default_practitioner not in (
            settings.practitioners):
        problems["default_practitioner"] = "is not one of the practitioners listed"
    return problems


def check(problems: dict[str, str], record: str = "") -> None:
    """Raise ValidationError when `problems` is not empty."""
    if problems:
        raise ValidationError(problems, record)


CHILDBEARING_AGES = range(12, 55)
"""Ages at which a woman is taken to have child-bearing potential (the record holds no
menopause status), so the pregnancy counselling question must be answered."""
EARLY_TOLERANCE_DAYS = 14
"""A session this many days or fewer before it is due is on time (appointments move)."""


def counselling_required(patient: Patient, on: date) -> bool:
    """Whether a session's counselling question must be answered: women of child-bearing
    potential (pregnancy) and men (contraception)."""
    if patient.sex is Sex.MALE:
        return True
    return patient.sex is Sex.FEMALE and patient.age_on(on) in CHILDBEARING_AGES


def completeness_problems(session: Session, patient: Patient, settings: Settings, *,
                          counselling_answered: bool) -> dict[str, str]:
    """What a new session record leaves unanswered, keyed by field; empty when complete.

    The lot and its expiry (unless the clinic's settings make them optional), the side
    effects (reported ones, or "none" asked explicitly) and, for women of child-bearing
    potential and for men, whether counselling was given.
    """
    problems: dict[str, str] = {}
    if not settings.lot_optional:
        if not session.lot.strip():
            problems["lot"] = "is required"
        if session.lot_expiry is None:
            problems["lot_expiry"] = "is required"
    if not session.side_effects_assessed:
        problems["side_effects"] = "not answered: the effects reported, or none (asked)"
    if not counselling_answered and counselling_required(patient, session.date):
        topic = "pregnancy" if patient.sex is Sex.FEMALE else "contraception"
        problems["counselling"] = f"not answered: was the {topic} advice given?"
    return problems


def session_warnings(session: Session, given: list[Session], protocol: Protocol) -> list[str]:
    """Why a new session needs the practitioner's confirmation (and a reason): a second
    session on one day, or one well before the protocol's interval has passed.

    Args:
        given: the patient's sessions that count (not voided).
    """
    warnings = [f"A session is already recorded on {session.date} ({other.id})."
                for other in given if other.date == session.date]
    before = sorted((s for s in given if s.date < session.date), key=lambda s: s.date)
    if before:
        months = protocol.interval_after(len(before))
        due = schedule.add_months(before[-1].date, months)
        early = (due - session.date).days
        if early > EARLY_TOLERANCE_DAYS:
            warnings.append(
                f"Session {len(before) + 1} is due on {due}, {months} "
                f"{plural(months, 'month')} after the last one ({before[-1].date}); "
                f"{session.date} is {plural(early, 'day', count=True)} early.")
    return warnings + dose_warnings(session, before)


_NAMED_STRENGTH = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
DOSE_JUMP = 2.0
"""A dose this many times the largest given to the patient before asks for a reason."""


def dose_warnings(session: Session, before: list[Session]) -> list[str]:
    """Why a session's dose needs a second look: the concentration entered contradicts the
    strength in the product's name (0.05 % typed for a "0.01% solution" gives 5 times the
    dose), or the dose is at least twice any the patient was given before."""
    warnings = []
    named = _NAMED_STRENGTH.findall(session.product)
    strength = session.concentration_pct
    if len(named) == 1 and strength is not None:
        in_name = float(named[0].replace(",", "."))
        if in_name > 0 and abs(in_name - strength) > 1e-9:
            dose = f" (the dose is {session.dose_mg:g} mg)" if session.dose_mg else ""
            warnings.append(
                f"The product is named {named[0]} % but the concentration entered is "
                f"{strength:g} %: {strength / in_name:.3g} times its strength{dose}.")
    dose = session.dose_mg
    earlier = [s.dose_mg for s in before if s.dose_mg]
    if dose and earlier and dose >= DOSE_JUMP * max(earlier) and not warnings:
        warnings.append(f"The dose is {dose:g} mg, at least twice the most this patient was "
                        f"given before ({max(earlier):g} mg).")
    return warnings


BLANKABLE = (("product", "the product"), ("injection_points", "the number of points"),
             ("duration_min", "the duration"))
"""A session's details a routine visit prefills, which one stray key could empty."""


def blank_details(session: Session, before: Session | None = None) -> list[str]:
    """What of `BLANKABLE` `session` leaves blank, to ask before saving it so; with `before`
    (the session as the form opened it: prefilled, or as it was), only what that had."""
    return [words for key, words in BLANKABLE
            if getattr(session, key) in (None, "")
            and (before is None or getattr(before, key) not in (None, ""))]


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def evaluation_warnings(evaluation: Evaluation, recorded: list[Evaluation]) -> list[str]:
    """Why a new evaluation needs confirmation: another one on the same date."""
    return [f"An evaluation is already recorded on {evaluation.date} ({other.id})."
            for other in recorded if other.date == evaluation.date and other.id != evaluation.id]


def plural(n: int, word: str, *, count: bool = False, many: str = "") -> str:
    """`word` for one, else its plural ('1 day', '3 days' with count=True)."""
    form = word if n == 1 else (many or word + "s")
    return f"{n:,} {form}" if count else form
