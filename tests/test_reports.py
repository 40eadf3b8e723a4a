"""Reports give the numbers a practitioner would count by hand; voided sessions never count."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from mesotui import reports
from mesotui.demo import generate
from mesotui.store import Store
from mesotui.vocab import Severity, SideEffect
from tests.report_clinic import TODAY, small_clinic


@pytest.fixture(scope="module")
def store() -> Store:
    return small_clinic()


@pytest.fixture(scope="module")
def demo() -> Store:
    clinic = generate(TODAY)
    opened = Store.in_memory()
    opened.bulk_load(clinic.patients, clinic.sessions, clinic.settings)
    return opened


def test_side_effects_count_by_effect_severity_and_session_number(store: Store) -> None:
    found = reports.side_effects(store.sessions())
    counts = (found.sessions, found.with_effects, found.with_none, found.not_assessed)
    assert counts == (14, 3, 7, 4)
    assert found.share_none == 0.5
    pain = found.effects[0]
    assert pain.effect is SideEffect.PAIN and pain.total == 2
    assert pain.by_severity == {Severity.MILD: 1, Severity.MODERATE: 1, Severity.SEVERE: 0}
    assert pain.by_number == {1: 1, 3: 1}
    assert [(r.number, r.sessions, r.with_effects, r.with_none) for r in found.by_number] == [
        (1, 5, 1, 3), (2, 4, 1, 2), (3, 3, 1, 1), (4, 2, 0, 1)]


def test_side_effects_of_a_voided_session_are_not_counted(store: Store) -> None:
    effects = {e.effect for e in reports.side_effects(store.sessions()).effects}
    assert SideEffect.ERYTHEMA not in effects  # recorded only on the voided duplicate
    assert effects == {SideEffect.PAIN, SideEffect.HEADACHE, SideEffect.SCALP_TENDERNESS}


def test_due_calendar_lists_overdue_apart_then_monday_weeks(store: Store) -> None:
    calendar = reports.due_calendar(store, TODAY)
    assert [(e.patient.id, e.number, e.due) for e in calendar.overdue] == [
        ("P-A", 4, date(2026, 1, 3))]
    assert [w.start for w in calendar.weeks] == [date(2026, 1, 12), date(2026, 1, 19),
                                                 date(2026, 1, 26), date(2026, 2, 2)]
    assert [[e.patient.id for e in w.entries] for w in calendar.weeks] == [
        [], ["P-C", "P-E"], ["P-B"], []]  # paused F and stopped D are never due
    assert calendar.due == 3


def test_lot_recall_finds_every_patient_and_flags_the_voided_entry(store: Store) -> None:
    recall = reports.lot_recall(store, "  lot-b ")
    assert recall.lot == "LOT-B" and recall.sessions == 1
    assert [(r.patient.id, r.session.id, r.number) for r in recall.rows] == [("P-A", "S-A3", 3)]
    lot_a = reports.lot_recall(store, "LOT-A")
    assert lot_a.sessions == 13 and len(lot_a.rows) == 14
    assert {p.id for p in lot_a.patients} == {"P-A", "P-B", "P-D", "P-E", "P-F"}
    voided = [r for r in lot_a.rows if r.session.voided]
    assert [(r.session.id, r.number) for r in voided] == [("S-A3D", None)]
    assert sum(len(s) for _, s in lot_a.records()) == 14  # ready to hand to an export
    assert reports.lot_recall(store, "NO-SUCH").rows == []


def test_course_outcomes_by_sessions_evaluations_and_stops(store: Store) -> None:
    outcomes = reports.course_outcomes(store, TODAY)
    assert outcomes.by_sessions == {0: 1, 1: 1, 2: 1, 3: 1, 4: 2}
    assert [(p.id, n) for p, n in outcomes.evaluations_due] == [("P-E", 4)]
    assert outcomes.evaluations_overdue == []
    assert [(p.id, on, why) for p, on, why in outcomes.stopped] == [
        ("P-D", date(2025, 8, 1), "moved away")]
    assert [(p.id, why) for p, _, why in outcomes.paused] == [("P-F", "travelling")]


def test_demo_clinic_side_effects_agree_with_a_count_by_hand(demo: Store) -> None:
    given = [s for s in demo.sessions() if not s.voided]
    by_hand = Counter(e.effect for s in given for e in s.side_effects)
    found = reports.side_effects(demo.sessions())
    assert found.sessions == len(given) == 147
    assert {e.effect: e.total for e in found.effects} == dict(by_hand)
    assert found.effects[0].effect is SideEffect.PAIN and found.effects[0].total == 64
    assert found.with_none == sum(1 for s in given if s.no_side_effects and not s.side_effects)
    assert sum(r.sessions for r in found.by_number) == 147


def test_demo_clinic_calendar_outcomes_and_expired_lot_recall(demo: Store) -> None:
    calendar = reports.due_calendar(demo, TODAY)
    assert (len(calendar.overdue), [len(w.entries) for w in calendar.weeks]) == (6, [3, 3, 3, 0])
    outcomes = reports.course_outcomes(demo, TODAY)
    assert outcomes.patients == 33  # 36 less the 3 archived
    assert outcomes.by_sessions[0] == 6 and len(outcomes.stopped) == len(outcomes.paused) == 3
    expired = reports.lot_recall(demo, "DU24-0321")
    assert expired.sessions == 4 and len(expired.patients) == 4
    assert {r.session.lot for r in expired.rows} == {"DU24-0321"}
