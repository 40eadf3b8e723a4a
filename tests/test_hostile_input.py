"""Hostile and odd input: stored exactly as typed or refused clearly, never half-saved."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesotui.cli import main
from mesotui.errors import ValidationError
from mesotui.store import Store
from tests.conftest import TODAY, make_patient, make_session

ODD_TEXT = [
    "[bold]Bob[/]", "[link=https://example.org]click[/link]", "$name", "{0}", "%s",
    "مرحبا بالعالم", "שלום", "\u202eevil\u202c", "e\u0301\u0301\u0301", "Zoë 👩🏽‍⚕️🧑‍🦲",
    "Robert'); DROP TABLE patients;--", "\\x00", "null", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]


@pytest.mark.parametrize("text", ODD_TEXT)
def test_odd_text_is_stored_and_read_back_exactly(text: str, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        patient = opened.add_patient(make_patient(name=text, notes=text + "\nsecond line"), TODAY)
        session = opened.log_session(make_session(patient.id, TODAY, dose_notes=text, lot=text),
                                     TODAY)
    with Store.open(path, clock=clock) as again:
        assert again.patient(patient.id).name == text
        assert again.patient(patient.id).notes == text + "\nsecond line"
        assert (again.session(session.id).dose_notes == text
                and again.session(session.id).lot == text)


@given(st.text(max_size=300))
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_name_is_saved_exactly_or_refused_with_the_field_named(text: str) -> None:
    """Property: for any text, saving either keeps it exactly or raises ValidationError('name')."""
    store = Store.in_memory()
    try:
        saved = store.add_patient(make_patient(name=text), TODAY)
    except ValidationError as error:
        assert "name" in error.problems
        assert store.patients() == []
    else:
        assert store.patient(saved.id).name == text


def test_ten_megabytes_of_text_is_refused_and_nothing_is_saved(tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        patient = opened.add_patient(make_patient(), TODAY)
        before = path.read_bytes()
        with pytest.raises(ValidationError) as raised:
            opened.log_session(make_session(patient.id, TODAY, dose_notes="x" * 10_000_000), TODAY)
        assert "too long" in raised.value.problems["dose_notes"]
        assert path.read_bytes() == before and opened.sessions_for(patient.id) == []


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["add-patient", "--name", "a\x07b", "--sex", "female", "--dob", "1990-01-01"], 1,
     "name: contains control characters"),
    (["add-patient", "--name", "Ann", "--sex", "female", "--dob", "2026-02-30"], 2,
     "not a real calendar date"),
    (["add-patient", "--name", "Ann", "--sex", "female", "--dob", "10000-01-01"], 2,
     "YYYY-MM-DD"),
    (["add-patient", "--name", "Ann", "--sex", "robot", "--dob", "1990-01-01"], 2,
     "invalid choice"),
    (["add-patient", "--name", "x" * 5000, "--sex", "male", "--dob", "1990-01-01"], 1, "too long"),
])
def test_bad_command_line_input_gives_one_clear_line_and_changes_nothing(
        argv: list[str], code: int, message: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "clinic.json"
    assert main(["add-patient", "--name", "Existing", "--sex", "male", "--dob", "1980-01-01",
                 "--db", str(db), "--today", TODAY.isoformat()]) == 0
    before = db.read_bytes()
    capsys.readouterr()
    try:
        result = main([*argv, "--db", str(db), "--today", TODAY.isoformat()])
    except SystemExit as usage_error:  # argparse exits 2 on bad usage
        result = usage_error.code
    err = capsys.readouterr().err
    assert result == code
    assert message in err and "Traceback" not in err
    assert db.read_bytes() == before


@pytest.mark.parametrize("payload", [
    "[" * 100_000 + "]" * 100_000,
    json.dumps({"format": "mesotui-export", "schema_version": 1, "patients": [{"id": ["P-1"]}]}),
    json.dumps({"format": "mesotui-export", "schema_version": 1, "patients": "everyone"}),
    '{"format": "mesotui-export", "schema_version": 1, "patients": [], "patients": [1]}',
    "\ufeff{}", "", "NaN", "1e999999",
])
def test_hostile_import_files_are_refused_and_the_record_is_byte_identical(
        payload: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "clinic.json"
    assert main(["add-patient", "--name", "Existing", "--sex", "male", "--dob", "1980-01-01",
                 "--db", str(db), "--today", TODAY.isoformat()]) == 0
    before = db.read_bytes()
    hostile = tmp_path / "hostile.json"
    hostile.write_text(payload, encoding="utf-8")
    assert main(["import", str(hostile), "--db", str(db), "--today", TODAY.isoformat()]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") >= 1 and "Traceback" not in err
    assert db.read_bytes() == before


def test_a_session_dated_year_10000_cannot_exist_in_a_file(tmp_path: Path) -> None:
    doc = {"patient_id": "P-1", "date": "10000-01-01"}
    from mesotui.models import Session

    with pytest.raises(ValidationError, match="date"):
        Session.from_data("S-1", doc)
    assert date.max.year == 9999
