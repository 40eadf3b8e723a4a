"""`mesotui log` and `evaluate` ask what the app asks: a session is complete or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesotui.settings import Settings
from mesotui.store import Store
from tests.test_cli_commands import (  # noqa: F401  (db is a fixture)
    ANSWERED,
    Capsys,
    add,
    db,
    log,
    mesotui,
)


def refused(capsys: Capsys, code: int, *expected: str) -> None:
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    for text in expected:
        assert text in err


def without(*options: str) -> list[str]:
    """ANSWERED minus the given options (and the value after those that take one)."""
    kept, skip = [], False
    for i, item in enumerate(ANSWERED):
        if skip:
            skip = False
            continue
        if item in options:
            skip = i + 1 < len(ANSWERED) and not ANSWERED[i + 1].startswith("--")
            continue
        kept.append(item)
    return kept


@pytest.mark.parametrize("missing, expected", [
    (("--no-side-effects",), "side_effects: not answered: the effects reported, or none "
                             "(asked) (--side-effect EFFECT:SEVERITY or --no-side-effects)"),
    (("--lot",), "lot: is required (--lot)"),
    (("--lot-expiry",), "lot_expiry: is required (--lot-expiry)"),
    (("--counselling",), "counselling: not answered: was the pregnancy advice given? "
                         "(--counselling or --no-counselling)"),
])
def test_log_refuses_a_session_with_a_question_unanswered(
        db: Path, capsys: Capsys, missing: tuple[str, ...], expected: str) -> None:
    patient_id = add(db, capsys)
    code = mesotui(db, "log", patient_id, "--date", "2025-12-01", "--anaesthesia", "none",
                   *without(*missing))
    refused(capsys, code, "cannot log the session", expected)
    with Store.open(db, readonly=True) as store:
        assert store.sessions_for(patient_id) == []


def test_no_counselling_is_an_answer_and_men_are_asked_too(db: Path, capsys: Capsys) -> None:
    man = add(db, capsys, "Al Test", sex="male")
    code = mesotui(db, "log", man, "--date", "2025-12-01", "--anaesthesia", "none",
                   *without("--counselling"))
    refused(capsys, code, "was the contraception advice given?")
    assert mesotui(db, "log", man, "--date", "2025-12-01", "--anaesthesia", "none",
                   *without("--counselling"), "--no-counselling") == 0


def test_a_clinic_can_make_the_lot_optional(db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    with Store.open(db) as store:
        store.save_settings(Settings(lot_optional=True))
    assert mesotui(db, "log", patient_id, "--date", "2025-12-01", "--anaesthesia", "none",
                   *without("--lot", "--lot-expiry")) == 0


def test_a_second_session_that_day_needs_a_reason_which_is_recorded(
        db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    assert log(db, patient_id, "2025-12-01") == 0
    capsys.readouterr()
    refused(capsys, log(db, patient_id, "2025-12-01"),
            "A session is already recorded on 2025-12-01", "Give --reason")
    assert log(db, patient_id, "2025-12-01", "--reason", "first one aborted") == 0
    second = capsys.readouterr().out.strip()
    with Store.open(db, readonly=True) as store:
        assert store.session(second).history[0].reason == "first one aborted"


def test_a_session_before_the_protocols_interval_needs_a_reason(
        db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    assert log(db, patient_id, "2025-11-20") == 0
    capsys.readouterr()
    refused(capsys, log(db, patient_id, "2025-12-20"),
            "Session 2 is due on 2026-01-20, 2 months after the last one (2025-11-20); "
            "2025-12-20 is 31 days early.")
    assert log(db, patient_id, "2026-01-10") == 0  # 10 days before: on time


def test_two_evaluations_on_one_date_need_a_reason(db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    evaluate = ("evaluate", patient_id, "--date", "2026-01-10", "--decision", "continue")
    assert mesotui(db, *evaluate) == 0
    capsys.readouterr()
    refused(capsys, mesotui(db, *evaluate), "An evaluation is already recorded on 2026-01-10")
    assert mesotui(db, *evaluate, "--reason", "re-entered with the photos") == 0


def test_the_practitioner_comes_from_the_clinics_list(db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    with Store.open(db) as store:
        store.save_settings(Settings(practitioners=("Dr A. Lima", "Nurse B. Cole")))
    refused(capsys, log(db, patient_id, "2025-12-01", "--practitioner", "Dr Nobody"),
            "'Dr Nobody' is not one of the clinic's practitioners")
    refused(capsys, log(db, patient_id, "2025-12-01"), "practitioner: is required")
    assert log(db, patient_id, "2025-12-01", "--practitioner", "Nurse B. Cole") == 0


def test_log_offers_the_usual_agent_of_the_type_given(db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    assert mesotui(db, "log", patient_id, "--date", "2025-12-01", "--anaesthesia", "local",
                   *ANSWERED) == 0
    session_id = capsys.readouterr().out.strip()
    with Store.open(db, readonly=True) as store:
        assert store.session(session_id).anaesthesia.agent == "lidocaine 2%"
