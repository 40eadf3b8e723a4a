"""A small hand-built clinic whose report numbers are counted by hand (report and export tests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from mesotui.interop import Selected, whole_course
from mesotui.models import Anaesthesia, Patient, Session, SideEffectReport
from mesotui.store import Store
from mesotui.vocab import AnaesthesiaType, Area, CourseStatus, Severity, Sex, SideEffect
from tests.conftest import CONSENTED

TODAY = date(2026, 1, 15)  # a Thursday; calendar weeks start Monday 12 January
LOT_A, LOT_B = "LOT-A", "LOT-B"
LIDOCAINE = Anaesthesia(AnaesthesiaType.LOCAL, "lidocaine 2%", "1 mL ring block")
CREAM = Anaesthesia(AnaesthesiaType.TOPICAL, "topical anaesthetic cream", "thin layer")


def clock() -> datetime:
    return datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def _session(pid: str, sid: str, day: date, *, lot: str = LOT_A,
             effects: tuple[SideEffectReport, ...] = (), none: bool = False,
             anaesthesia: Anaesthesia = CREAM, notes: str = "") -> Session:
    expiry = date(2026, 6, 30) if lot == LOT_A else date(2026, 12, 31)
    return Session(id=sid, patient_id=pid, date=day, anaesthesia=anaesthesia,
                   product="Dutasteride 0.01% solution", concentration_pct=0.01, volume_ml=1.0,
                   lot=lot, lot_expiry=expiry, areas=(Area.FRONTAL, Area.VERTEX),
                   injection_points=30, needle="30G x 4 mm", duration_min=20,
                   dose_notes=notes, side_effects=effects, no_side_effects=none,
                   counselling_given=True, practitioner="Dr M. Rahimi")


def fill(store: Store) -> Store:
    """Six patients: A overdue (3 given + 1 voided duplicate), B due 1 Feb, C planned 20 Jan,
    D stopped after 4, E due 20 Jan with evaluation due, F paused after 2."""
    people = [
        Patient("P-A", "Amelia Fletcher", Sex.FEMALE, date(1985, 3, 2), phone="+44 7700 900001",
                email="amelia@example.org", notes="Secret patient note"),
        Patient("P-B", "Omar Okafor", Sex.MALE, date(1979, 11, 20)),
        Patient("P-C", "Chloe Moreau", Sex.FEMALE, date(1990, 6, 1),
                planned_start=date(2026, 1, 20)),
        Patient("P-D", "Hugo Petrov", Sex.MALE, date(1970, 1, 9)),
        Patient("P-E", "Nora Haddad", Sex.FEMALE, date(1988, 8, 8)),
        Patient("P-F", "Ivan Novak", Sex.MALE, date(1982, 2, 2)),
    ]
    for person in people:
        store.add_patient(replace(person, consents=CONSENTED), TODAY)
    pain_mild = SideEffectReport(SideEffect.PAIN, Severity.MILD)
    sessions = [
        _session("P-A", "S-A1", date(2025, 7, 1), anaesthesia=LIDOCAINE, notes="=HYPERLINK(x)",
                 effects=(pain_mild, SideEffectReport(SideEffect.HEADACHE, Severity.MODERATE,
                                                      "Secret effect note"))),
        _session("P-A", "S-A2", date(2025, 9, 1), none=True),
        _session("P-A", "S-A3", date(2025, 11, 3), lot=LOT_B,
                 anaesthesia=Anaesthesia(AnaesthesiaType.NONE),
                 effects=(SideEffectReport(SideEffect.PAIN, Severity.MODERATE),)),
        _session("P-A", "S-A3D", date(2025, 11, 3),
                 effects=(SideEffectReport(SideEffect.ERYTHEMA, Severity.SEVERE),)),
        _session("P-B", "S-B1", date(2025, 12, 1), none=True),
        *(_session("P-D", f"S-D{n}", day) for n, day in enumerate(
            [date(2025, 1, 5), date(2025, 3, 5), date(2025, 5, 5), date(2025, 7, 5)], 1)),
        _session("P-E", "S-E1", date(2025, 3, 20), none=True),
        _session("P-E", "S-E2", date(2025, 5, 20), effects=(
            SideEffectReport(SideEffect.SCALP_TENDERNESS, Severity.MILD),)),
        _session("P-E", "S-E3", date(2025, 7, 20), none=True),
        _session("P-E", "S-E4", date(2025, 9, 20), none=True),
        _session("P-F", "S-F1", date(2025, 8, 10), none=True),
        _session("P-F", "S-F2", date(2025, 10, 10), none=True),
    ]
    for session in sessions:
        store.log_session(session, TODAY)
    store.void_session("S-A3D", reason="duplicate entry")
    store.set_course_status("P-D", CourseStatus.STOPPED, date(2025, 8, 1), reason="moved away")
    store.set_course_status("P-F", CourseStatus.PAUSED, date(2025, 11, 1), reason="travelling")
    return store


def small_clinic() -> Store:
    return fill(Store.in_memory(clock=clock))


def records(store: Store) -> list[Selected]:
    """Every patient with their whole course, as an export selects it."""
    return [whole_course(p, store.sessions_for(p.id)) for p in store.patients()]
