"""The course evaluation: its decision drives the schedule and clears "evaluation due"."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from mesotui import schedule
from mesotui.errors import ValidationError
from mesotui.evaluation import Evaluation, Photo
from mesotui.models import DEFAULT_PROTOCOL
from mesotui.store import Store
from mesotui.vocab import CourseStatus, Decision, DueStatus, PullTest, ScoreChange, Sex
from tests.conftest import TODAY, make_patient, make_session

FOUR = (date(2025, 1, 10), date(2025, 3, 10), date(2025, 5, 12), date(2025, 7, 10))


def course_of_four(store: Store, sex: Sex = Sex.FEMALE) -> str:
    patient = store.add_patient(make_patient(sex=sex), TODAY)
    for day in FOUR:
        store.log_session(make_session(patient.id, day), TODAY)
    return patient.id


def evaluation(patient_id: str, decision: Decision, **fields: object) -> Evaluation:
    return Evaluation(id="", patient_id=patient_id, date=date(2025, 7, 10), decision=decision,
                      hair_count_per_cm2=182.0, hair_count_site="vertex tattoo mark",
                      global_score=ScoreChange.MODERATELY_INCREASED, pull_test=PullTest.NEGATIVE,
                      photos=(Photo("/clinic/photos/p1/2025-07-10-vertex.jpg", "vertex"),),
                      **fields)  # type: ignore[arg-type]


def test_evaluation_due_after_four_sessions_clears_when_recorded(store: Store) -> None:
    patient_id = course_of_four(store)
    patient = store.patient(patient_id)
    assert store.outlook(patient, TODAY).evaluation_due
    store.record_evaluation(evaluation(patient_id, Decision.CONTINUE), TODAY)
    assert not store.outlook(patient, TODAY).evaluation_due


def test_maintenance_decision_sets_the_interval_from_then_on(store: Store) -> None:
    patient_id = course_of_four(store)
    store.record_evaluation(evaluation(patient_id, Decision.MAINTENANCE, maintenance_months=6),
                            TODAY)
    view = store.outlook(store.patient(patient_id), TODAY)
    assert view.next_due == date(2026, 1, 10)  # 10 Jul + 6 months, not the protocol's 4
    store.log_session(make_session(patient_id, date(2026, 1, 12)), TODAY)
    assert store.outlook(store.patient(patient_id), TODAY).next_due == date(2026, 7, 12)


def test_maintenance_defaults_to_four_months(store: Store) -> None:
    patient_id = course_of_four(store)
    store.record_evaluation(evaluation(patient_id, Decision.MAINTENANCE), TODAY)
    assert store.outlook(store.patient(patient_id), TODAY).next_due == date(2025, 11, 10)


def test_stop_decision_ends_the_course_and_keeps_the_pregnancy_date(store: Store) -> None:
    patient_id = course_of_four(store, Sex.FEMALE)
    with pytest.raises(ValidationError) as missing:
        store.record_evaluation(evaluation(patient_id, Decision.STOP), TODAY)
    assert "stop_reason" in missing.value.problems
    store.record_evaluation(evaluation(patient_id, Decision.STOP,
                                       stop_reason="good response; patient wishes to stop"), TODAY)
    patient = store.patient(patient_id)
    view = store.outlook(patient, TODAY)
    assert patient.status is CourseStatus.STOPPED and view.next_due is None
    assert view.status is DueStatus.STOPPED
    assert view.pregnancy_avoid_until == date(2026, 1, 10)
    assert "good response" in patient.status_event.reason  # type: ignore[union-attr]


def test_a_voided_evaluation_no_longer_drives_the_schedule(store: Store) -> None:
    patient_id = course_of_four(store)
    saved = store.record_evaluation(evaluation(patient_id, Decision.MAINTENANCE,
                                               maintenance_months=12), TODAY)
    store.void_evaluation(saved.id, reason="entered for the wrong patient")
    view = store.outlook(store.patient(patient_id), TODAY)
    assert view.evaluation_due and view.next_due == date(2025, 11, 10)


def test_an_evaluation_is_amended_with_a_reason_and_keeps_its_history(store: Store) -> None:
    patient_id = course_of_four(store)
    saved = store.record_evaluation(evaluation(patient_id, Decision.CONTINUE), TODAY)
    amended = store.amend_evaluation(replace(saved, hair_count_per_cm2=190.0), TODAY,
                                     reason="recount")
    assert [r.data["hair_count_per_cm2"] for r in amended.history] == [182.0, 190.0]


def test_continue_induction_makes_evaluation_due_again_two_sessions_later() -> None:
    from tests.test_schedule import sessions_on

    patient = make_patient(id="P-1")
    sessions = sessions_on(*FOUR, date(2025, 9, 10), date(2025, 11, 10))
    keep_going = evaluation("P-1", Decision.CONTINUE)
    five = schedule.outlook(patient, sessions[:5], DEFAULT_PROTOCOL, TODAY,
                            evaluations=[keep_going])
    six = schedule.outlook(patient, sessions, DEFAULT_PROTOCOL, TODAY, evaluations=[keep_going])
    assert not five.evaluation_due and six.evaluation_due


def test_impossible_outcome_measures_are_refused(store: Store) -> None:
    patient_id = course_of_four(store)
    with pytest.raises(ValidationError) as raised:
        store.record_evaluation(evaluation(patient_id, Decision.CONTINUE,
                                           shaft_diameter_um=-5.0), TODAY)
    assert "shaft_diameter_um" in raised.value.problems
    assert store.evaluations_for(patient_id) == []


def test_evaluations_survive_reopening(tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as first:
        patient_id = course_of_four(first)
        saved = first.record_evaluation(evaluation(patient_id, Decision.CONTINUE), TODAY)
    with Store.open(path, clock=clock) as again:
        assert again.evaluations_for(patient_id) == [saved]
        assert again.evaluation(saved.id).photos[0].angle == "vertex"


def test_a_failed_stop_decision_changes_neither_the_evaluation_nor_the_course(
        tmp_path, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The evaluation and the course stop are one save: a full disk leaves both unchanged."""
    from mesotui.engine import durable
    from mesotui.errors import WriteFailed

    with Store.open(tmp_path / "clinic.json", clock=clock) as opened:
        patient_id = course_of_four(opened)
        before = (tmp_path / "clinic.json").read_bytes()

        def disk_full(*args: object, **kwargs: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(durable, "full_fsync", disk_full)
        with pytest.raises(WriteFailed):
            opened.record_evaluation(evaluation(patient_id, Decision.STOP, stop_reason="done"),
                                     TODAY)
        assert opened.evaluations_for(patient_id) == []
        assert opened.patient(patient_id).status is CourseStatus.ACTIVE
        assert (tmp_path / "clinic.json").read_bytes() == before
        monkeypatch.undo()
        opened.record_evaluation(evaluation(patient_id, Decision.STOP, stop_reason="done"), TODAY)
        assert opened.patient(patient_id).status is CourseStatus.STOPPED


def test_each_save_is_announced_once_it_is_on_disk(store: Store) -> None:
    """The app's undo list hears of every save, grouped as it was written."""
    heard: list[tuple[str, ...]] = []
    store.listeners.append(lambda saved: heard.append(tuple(r.id for r in saved.records)))
    patient_id = course_of_four(store)
    saved = store.record_evaluation(evaluation(patient_id, Decision.STOP, stop_reason="done"),
                                    TODAY)
    assert len(heard) == 1 + len(FOUR) + 1
    assert heard[-1] == (saved.id, patient_id)
