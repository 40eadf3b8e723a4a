"""A deterministic synthetic clinic, placed relative to a given day.

It serves `--demo`, the tests, the snapshots and the benchmarks.
No real patient appears here: names are drawn from plain lists, dates from a seeded generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from mesotui import history, schedule
from mesotui.evaluation import Consent, Evaluation, Photo
from mesotui.models import (
    DEFAULT_PROTOCOL,
    Anaesthesia,
    CourseEvent,
    Patient,
    Protocol,
    Session,
    SideEffectReport,
)
from mesotui.settings import Settings
from mesotui.vocab import (
    AnaesthesiaType,
    Area,
    CourseStatus,
    Decision,
    PullTest,
    ScoreChange,
    Severity,
    Sex,
    SideEffect,
)

if TYPE_CHECKING:
    from mesotui.store import Store

FEMALE = ["Amelia", "Sofia", "Hannah", "Ines", "Maya", "Chloe", "Leila", "Nora", "Zoë", "Priya",
          "Elena", "Yuki", "Freya", "Olga", "Grace"]
MALE = ["Daniel", "Omar", "Lucas", "Kenji", "Mateo", "Arjun", "Felix", "Tomas", "Samuel",
        "Hugo", "Nikos", "Ivan", "Kwame", "Louis", "Rafael"]
SURNAMES = ["Fletcher", "Okafor", "Lindqvist", "Moreau", "Haddad", "Novak", "Tanaka", "Ferreira",
            "Kowalski", "Ångström-Núñez", "Brennan", "Castillo", "Petrov", "Mensah", "Keller",
            "Demir", "Walsh", "Rossi", "Nakamura", "Abara", "Sørensen", "Quinn", "Varga"]
PRACTITIONERS = ("Dr M. Rahimi", "Dr J. Osei", "Nurse L. Berg")
TREATMENTS = ["oral minoxidil 1 mg daily", "topical minoxidil 5% twice daily",
              "oral finasteride 1 mg daily", "spironolactone 100 mg daily", "biotin supplement"]

# Scenarios cycle so that every demo clinic shows every state the app must handle.
SCENARIOS = ["overdue", "due_soon", "on_schedule", "on_schedule", "overdue", "due_soon",
             "not_started", "planned", "paused", "stopped", "on_schedule", "archived"]


@dataclass(frozen=True)
class DemoClinic:
    settings: Settings
    patients: list[Patient]
    sessions: list[Session]
    evaluations: list[Evaluation] = field(default_factory=list)

    def load_into(self, store: Store) -> Store:
        """Write the whole clinic (settings, patients, sessions, evaluations) in one save."""
        store.bulk_load(self.patients, self.sessions, self.settings, self.evaluations)
        return store


def generate(today: date, patients: int = 36, *, sessions_per_patient: int | None = None,
             seed: int = 2026) -> DemoClinic:
    """Build a synthetic clinic as of `today`.

    Args:
        today: the clinic's "today"; every date is placed relative to it.
        patients: how many patients.
        sessions_per_patient: a fixed count for every patient (benchmarks), or None for a
            realistic mix (0 to 8, by scenario).
        seed: the same seed and day always give the same clinic.
    """
    rng = random.Random(seed)
    lots = _lots(today)
    settings = Settings(clinic_name="Demo Hair Clinic", practitioners=PRACTITIONERS,
                        default_practitioner=PRACTITIONERS[0])
    all_patients: list[Patient] = []
    all_sessions: list[Session] = []
    all_evaluations: list[Evaluation] = []
    for index in range(patients):
        scenario = SCENARIOS[index % len(SCENARIOS)]
        patient = _patient(rng, index, today, scenario)
        count = sessions_per_patient if sessions_per_patient is not None else _count(rng, scenario)
        dates = _session_dates(rng, today, scenario, count, patient.protocol or DEFAULT_PROTOCOL)
        sessions = [_session(rng, patient, n, day, lots, index) for n, day in enumerate(dates, 1)]
        if scenario in ("paused", "stopped") and dates:
            status = CourseStatus.PAUSED if scenario == "paused" else CourseStatus.STOPPED
            reason = ("travelling abroad for three months" if scenario == "paused"
                      else "patient satisfied with density; wishes to stop")
            on = min(dates[-1] + timedelta(days=20), today)
            patient = replace(patient, course=(CourseEvent(status, on, reason),))
        if index % 10 != 7:  # a few patients show what missing consent looks like
            patient = replace(patient, consents=(Consent(
                (dates[0] if dates else today) - timedelta(days=index % 15),
                "DUT-MESO consent v3", PRACTITIONERS[index % len(PRACTITIONERS)]),))
        else:
            sessions = [replace(s, consent_override=True) for s in sessions]
        sessions = _amend_and_void(rng, index, sessions, today)
        if sessions_per_patient is None:
            all_evaluations.extend(_evaluations(patient, index, scenario, dates))
        all_patients.append(_stamp(patient, dates[0] if dates else today - timedelta(days=30)))
        all_sessions.extend(sessions)
    return DemoClinic(settings, all_patients, all_sessions, all_evaluations)


def _lots(today: date) -> list[tuple[str, date]]:
    """Product lots: the last one is past its expiry, so the demo shows the expired-lot rule."""
    return [("DU25-0412", today + timedelta(days=300)), ("DU25-0788", today + timedelta(days=420)),
            ("DU24-1193", today + timedelta(days=120)), ("DU24-0321", today - timedelta(days=200))]


def _patient(rng: random.Random, index: int, today: date, scenario: str) -> Patient:
    sex = Sex.FEMALE if index % 2 == 0 else Sex.MALE
    if index % 17 == 16:
        sex = Sex.OTHER
    first = rng.choice(FEMALE if sex is Sex.FEMALE else MALE if sex is Sex.MALE else FEMALE + MALE)
    name = f"{first} {rng.choice(SURNAMES)}"
    dob = today - timedelta(days=rng.randint(22 * 365, 64 * 365))
    treatments = tuple(rng.sample(TREATMENTS, rng.choice([0, 1, 1, 2])))
    planned = today + timedelta(days=rng.randint(2, 12)) if scenario == "planned" else None
    own_protocol = Protocol((3, 3, 3, 3), 6, 4, 5) if index % 9 == 4 else None
    return Patient(id=f"P-{index + 1:05d}", name=name, sex=sex, date_of_birth=dob,
                   phone=f"+44 7700 9{index:05d}", email=f"patient{index + 1}@example.org",
                   notes="Prefers morning appointments." if index % 5 == 0 else "",
                   concurrent_treatments=treatments, planned_start=planned,
                   protocol=own_protocol, archived=scenario == "archived")


def _count(rng: random.Random, scenario: str) -> int:
    if scenario in ("not_started", "planned"):
        return 0
    return rng.randint(1, 8)


def _session_dates(rng: random.Random, today: date, scenario: str, count: int,
                   protocol: Protocol) -> list[date]:
    """Dates of `count` sessions whose next due date lands where the scenario wants it."""
    if count == 0:
        return []
    offset = {"overdue": -rng.randint(2, 40), "due_soon": rng.randint(0, 12),
              "on_schedule": rng.randint(20, 100), "paused": -rng.randint(30, 90),
              "stopped": -rng.randint(60, 200), "archived": -rng.randint(200, 400)
              }.get(scenario, rng.randint(20, 100))
    next_due = today + timedelta(days=offset)
    last = schedule.add_months(next_due, -protocol.interval_after(count))
    dates = [last]
    for given in range(count - 1, 0, -1):
        late = timedelta(days=rng.choice([0, 0, 0, 1, 3, 7, 12]))
        dates.insert(0, schedule.add_months(dates[0] - late, -protocol.interval_after(given)))
    if dates[-1] > today:  # never a session in the future
        shift = dates[-1] - today
        dates = [day - shift for day in dates]
    return dates


def _session(rng: random.Random, patient: Patient, number: int, day: date,
             lots: list[tuple[str, date]], index: int) -> Session:
    lot, expiry = lots[(index + number) % 3]
    confirmed = False
    if index % 7 == 3 and number == 1:
        lot, expiry = lots[3]
        confirmed = expiry < day
    anaesthesia = [Anaesthesia(AnaesthesiaType.TOPICAL, "topical anaesthetic cream",
                               "thin layer, 30 min"),
                   Anaesthesia(AnaesthesiaType.LOCAL, "lidocaine 2%", "1 mL ring block"),
                   Anaesthesia(AnaesthesiaType.NONE)][(index + number) % 3]
    effects = _effects(rng, index, number)
    return Session(
        id=f"S-{index + 1:05d}-{number:02d}", patient_id=patient.id, date=day,
        anaesthesia=anaesthesia, product="Dutasteride 0.01% solution", concentration_pct=0.01,
        volume_ml=rng.choice([1.0, 1.0, 1.5, 2.0]), lot=lot, lot_expiry=expiry,
        expired_lot_confirmed=confirmed,
        areas=tuple(sorted(rng.sample(list(Area), rng.randint(1, 3)), key=list(Area).index)),
        injection_points=rng.choice([20, 30, 40, 50]), needle="30G x 4 mm",
        duration_min=rng.choice([15, 20, 20, 25]),
        dose_notes="0.1 mL aliquots, 1 cm apart" if number == 1 else "",
        side_effects=effects, no_side_effects=not effects,
        counselling_given=number == 1 or rng.random() < 0.2,
        practitioner=PRACTITIONERS[(index + number) % len(PRACTITIONERS)],
    )


def _effects(rng: random.Random, index: int, number: int) -> tuple[SideEffectReport, ...]:
    effects: dict[SideEffect, SideEffectReport] = {}
    if rng.random() < 0.45:
        effects[SideEffect.PAIN] = SideEffectReport(SideEffect.PAIN, rng.choice(list(Severity)[:2]))
    if number == 1:  # every kind appears in the clinic at least once
        kind = list(SideEffect)[index % len(SideEffect)]
        note = "itching at injection sites" if kind is SideEffect.OTHER else ""
        effects[kind] = SideEffectReport(kind, list(Severity)[index % 3], note)
    elif rng.random() < 0.15:
        kind = rng.choice([SideEffect.SCALP_TENDERNESS, SideEffect.HEADACHE, SideEffect.ERYTHEMA])
        effects[kind] = SideEffectReport(kind, Severity.MILD, "settled within 3 days")
    return tuple(effects.values())


def _amend_and_void(rng: random.Random, index: int, sessions: list[Session],
                    today: date) -> list[Session]:
    """Give each session its revision history; some are amended or voided, as in real clinics."""
    stamped = [_stamp(s, s.date) for s in sessions]
    if index % 6 == 1 and len(stamped) >= 2:  # effects reported at the next visit
        first = stamped[0]
        later = _at(stamped[1].date, 11)
        amended = replace(first, side_effects=(SideEffectReport(SideEffect.SCALP_TENDERNESS,
                                                                Severity.MILD,
                                                                "reported at next visit"),),
                          no_side_effects=False)
        stamped[0] = replace(amended, history=history.append(
            first.history, "amend", amended.to_data(), at=later, by=first.practitioner,
            reason="side effect reported at the next visit"))
    if index % 8 == 2 and stamped:  # a duplicate entry, voided the same day
        twin = replace(stamped[-1], id=stamped[-1].id + "D", history=())
        twin = _stamp(twin, twin.date)
        twin = replace(twin, history=history.append(
            twin.history, "void", twin.to_data(), at=_at(twin.date, 16), by=twin.practitioner,
            reason="duplicate entry"))
        stamped.append(twin)
    return stamped


def _evaluations(patient: Patient, index: int, scenario: str, dates: list[date]
                 ) -> list[Evaluation]:
    """Evaluations after session 4 (and 6), derived from `index` alone so the rest stays as it was.

    Every third patient with four sessions or more is left unevaluated, so the demo shows
    "evaluation due"; a stopped course was stopped at its evaluation.
    """
    if len(dates) < 4 or patient.protocol or scenario == "paused" or (
            index % 3 == 1 and scenario != "stopped"):
        return []
    base = 110.0 + (index * 7) % 60
    by = PRACTITIONERS[index % len(PRACTITIONERS)]
    folder = f"/srv/clinic-photos/{patient.id}"

    def measured(n: int, day: date, decision: Decision, count: float, score: ScoreChange,
                 **extra: object) -> Evaluation:
        evaluation = Evaluation(
            id=f"E-{index + 1:05d}-{n}", patient_id=patient.id, date=day, decision=decision,
            hair_count_per_cm2=count, hair_count_site="vertex, tattoo-marked 1 cm²",
            shaft_diameter_um=58.0 + n * 3 + index % 5, pull_test=PullTest.NEGATIVE,
            global_score=score,
            self_assessment=list(ScoreChange)[min(6, score.points + 3 + index % 2)],
            photos=(Photo(f"{folder}/{day}-vertex.jpg", "vertex"),
                    Photo(f"{folder}/{day}-frontal.jpg", "frontal")),
            practitioner=by, **extra)  # type: ignore[arg-type]
        return _stamp(evaluation, day)

    if scenario == "stopped":
        on = patient.course[-1].on if patient.course else dates[-1]
        return [measured(1, on, Decision.STOP, base + 4, ScoreChange.SLIGHTLY_INCREASED,
                         stop_reason=patient.course[-1].reason if patient.course else "")]
    first = ScoreChange.SLIGHTLY_INCREASED if index % 2 else ScoreChange.UNCHANGED
    found = [measured(1, dates[3], Decision.CONTINUE, base, first)]
    if len(dates) >= 6:
        found.append(measured(2, dates[5], Decision.MAINTENANCE, base + 9 + index % 25,
                              ScoreChange.MODERATELY_INCREASED, maintenance_months=4,
                              notes="Visible improvement at the vertex on standardised photos."))
    return found


def _stamp(record: Patient | Session | Evaluation, day: date):  # type: ignore[no-untyped-def]
    by = getattr(record, "practitioner", "") or PRACTITIONERS[0]
    return replace(record, history=history.append((), "create", record.to_data(),
                                                   at=_at(day, 10), by=by))


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)
