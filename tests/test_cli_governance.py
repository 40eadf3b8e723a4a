"""`mesotui consent`, `mesotui evaluate` and `log --no-consent-ok`: governance from a shell."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from mesotui.store import Store
from mesotui.vocab import CourseStatus, Decision, PullTest, ScoreChange
from tests.test_cli_commands import (  # noqa: F401  (db is a fixture)
    Capsys,
    add,
    db,
    log,
    mesotui,
)


def four_sessions(db: Path, capsys: Capsys) -> str:
    patient_id = add(db, capsys)
    for day in ("2025-01-10", "2025-03-10", "2025-05-12", "2025-07-10"):
        assert log(db, patient_id, day) == 0
    capsys.readouterr()
    return patient_id


def test_log_without_consent_is_refused_unless_no_consent_ok_which_is_recorded(
        db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys, consent=False)
    before = db.read_bytes()
    assert log(db, patient_id, "2025-12-01") == 1
    err = capsys.readouterr().err
    assert "no consent to off-label treatment is in force on 2025-12-01" in err
    assert "--no-consent-ok" in err and db.read_bytes() == before
    assert log(db, patient_id, "2025-12-01", "--no-consent-ok") == 0
    session_id = capsys.readouterr().out.strip()
    with Store.open(db, readonly=True) as store:
        assert store.session(session_id).consent_override


def test_consent_recorded_then_withdrawn_governs_logging(db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys, consent=False)
    assert mesotui(db, "consent", patient_id, "--date", "2025-06-01", "--form-version",
                   "DUT-MESO v4", "--taken-by", "Dr Rahimi", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"id": patient_id, "consent_in_force": True}
    assert log(db, patient_id, "2025-07-01") == 0
    capsys.readouterr()
    assert mesotui(db, "consent", patient_id, "--withdraw", "--date", "2025-09-01") == 1
    assert "reason: is required" in capsys.readouterr().err
    assert mesotui(db, "consent", patient_id, "--withdraw", "--date", "2025-09-01",
                   "--reason", "wishes to think again") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{patient_id} consent not in force",
        f"{patient_id} course paused from 2025-09-01: no longer due; `mesotui course "
        f"{patient_id} resume` once consent is recorded again"]
    assert log(db, patient_id, "2025-10-01") == 1  # after the withdrawal
    with Store.open(db, readonly=True) as store:
        [consent] = store.patient(patient_id).consents
        session = store.sessions_for(patient_id)[0]
    assert (consent.form_version, consent.taken_by) == ("DUT-MESO v4", "Dr Rahimi")
    assert consent.withdrawn_on == date(2025, 9, 1)
    assert consent.withdrawal_reason == "wishes to think again"
    assert not session.consent_override


def test_evaluate_maintenance_stores_every_measure_and_moves_the_next_due(
        db: Path, capsys: Capsys) -> None:
    patient_id = four_sessions(db, capsys)
    assert mesotui(db, "evaluate", patient_id, "--date", "2025-07-10", "--decision",
                   "maintenance", "--maintenance-months", "6", "--hair-count", "182",
                   "--site", "vertex tattoo", "--shaft-diameter", "61.5", "--pull-test",
                   "negative", "--global-score", "moderately_increased", "--self-assessment",
                   "slightly_increased", "--photo", "/clinic/photos/p1/vertex.jpg:vertex",
                   "--photo", "/clinic/photos/p1/front.jpg", "--notes", "good response",
                   "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["next_due"] == "2026-01-10"  # 10 Jul + 6 months, not the protocol's 4
    with Store.open(db, readonly=True) as store:
        saved = store.evaluation(out["id"])
    assert saved.decision is Decision.MAINTENANCE and saved.maintenance_months == 6
    assert (saved.hair_count_per_cm2, saved.hair_count_site, saved.shaft_diameter_um) == (
        182.0, "vertex tattoo", 61.5)
    assert saved.pull_test is PullTest.NEGATIVE
    assert saved.global_score is ScoreChange.MODERATELY_INCREASED
    assert saved.self_assessment is ScoreChange.SLIGHTLY_INCREASED
    assert [(p.path, p.angle) for p in saved.photos] == [
        ("/clinic/photos/p1/vertex.jpg", "vertex"), ("/clinic/photos/p1/front.jpg", "")]


def test_evaluate_stop_needs_a_reason_and_ends_the_course(db: Path, capsys: Capsys) -> None:
    patient_id = four_sessions(db, capsys)
    before = db.read_bytes()
    assert mesotui(db, "evaluate", patient_id, "--date", "2025-07-10", "--decision", "stop") == 1
    assert "--stop-reason" in capsys.readouterr().err and db.read_bytes() == before
    assert mesotui(db, "evaluate", patient_id, "--date", "2025-07-10", "--decision", "stop",
                   "--stop-reason", "no response after four sessions") == 0
    evaluation_id = capsys.readouterr().out.strip()
    assert evaluation_id.startswith("E-")
    with Store.open(db, readonly=True) as store:
        patient = store.patient(patient_id)
        view = store.outlook(patient, date(2026, 1, 15))
    assert patient.status is CourseStatus.STOPPED and view.next_due is None
    assert view.pregnancy_avoid_until == date(2026, 1, 10)


@pytest.mark.parametrize("argv, code, message", [
    (["evaluate", "{p}", "--decision", "later"], 2, "invalid choice"),
    (["evaluate", "{p}", "--decision", "continue", "--global-score", "better"], 2,
     "invalid choice"),
    (["evaluate", "{p}", "--decision", "continue", "--hair-count", "many"], 2, "not a number"),
    (["evaluate", "{p}", "--decision", "continue", "--hair-count", "5000"], 1,
     "hair_count_per_cm2"),
    (["evaluate", "{p}", "--decision", "continue", "--date", "2026-02-01"], 1, "in the future"),
    (["evaluate", "P-NOPE", "--decision", "continue"], 1, "no patient has the id"),
    (["consent", "{p}", "--date", "2025-02-30"], 2, "not a real calendar date"),
    (["consent", "{p}", "--withdraw", "--reason", "x"], 1, "no consent is in force"),
])
def test_bad_governance_values_exit_1_or_2_with_one_line(
        db: Path, capsys: Capsys, argv: list[str], code: int, message: str) -> None:
    patient_id = add(db, capsys, consent=False)
    before = db.read_bytes()
    try:
        result = mesotui(db, *[a.replace("{p}", patient_id) for a in argv])
    except SystemExit as usage:
        result = usage.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    assert result == code and message in err and "Traceback" not in err
    assert db.read_bytes() == before
    if code == 1:
        assert err.count("\n") == 1 and err.startswith("mesotui: ")
