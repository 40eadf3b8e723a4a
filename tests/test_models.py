"""Records and their validation: impossible values are refused with the field named."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesotui.errors import ValidationError
from mesotui.models import Patient, Protocol, Session, SideEffectReport
from mesotui.settings import Settings
from mesotui.validation import patient_problems, session_problems, settings_problems
from mesotui.vocab import Area, Severity, SideEffect
from tests.conftest import TODAY, make_patient, make_session

PATIENT = make_patient(id="P-1", date_of_birth=date(1985, 6, 1))


def test_dose_in_mg_is_derived_from_volume_and_concentration() -> None:
    """0.01 % is 0.1 mg/mL: 1.5 mL gives 0.15 mg; 0.05 % × 2 mL gives 1 mg."""
    assert make_session("P-1", TODAY, volume_ml=1.5, concentration_pct=0.01).dose_mg == 0.15
    assert make_session("P-1", TODAY, volume_ml=2.0, concentration_pct=0.05).dose_mg == 1.0
    assert make_session("P-1", TODAY, volume_ml=None).dose_mg is None


@pytest.mark.parametrize(("change", "field"), [
    ({"volume_ml": -1.0}, "volume_ml"),
    ({"volume_ml": 0.0}, "volume_ml"),
    ({"concentration_pct": 5.0}, "concentration_pct"),
    ({"date": date(1980, 1, 1)}, "date"),                  # before the date of birth
    ({"date": date(2026, 1, 16)}, "date"),                 # in the future
    ({"injection_points": -3}, "injection_points"),
    ({"duration_min": 0}, "duration_min"),
    ({"lot": "DU\n25"}, "lot"),
    ({"dose_notes": "x" * 20_001}, "dose_notes"),
    ({"areas": (Area.VERTEX, Area.VERTEX)}, "areas"),
    ({"lot_expiry": date(2025, 12, 1)}, "lot_expiry"),     # expired and not confirmed
    ({"side_effects": (SideEffectReport(SideEffect.PAIN, Severity.MILD),)}, "side_effects"),
    ({"no_side_effects": False,
      "side_effects": (SideEffectReport(SideEffect.OTHER, Severity.MILD),)},
     "side_effects"),
])
def test_impossible_session_values_are_refused_naming_the_field(change: dict, field: str) -> None:
    problems = session_problems(make_session("P-1", TODAY, **change), PATIENT, TODAY)
    assert field in problems, problems


def test_a_routine_session_has_no_problems() -> None:
    assert session_problems(make_session("P-1", TODAY, lot="DU25-0412",
                                         lot_expiry=date(2027, 1, 1)), PATIENT, TODAY) == {}


def test_an_expired_lot_is_accepted_once_confirmed() -> None:
    expired = make_session("P-1", TODAY, lot_expiry=date(2025, 12, 1), expired_lot_confirmed=True)
    assert session_problems(expired, PATIENT, TODAY) == {}


@pytest.mark.parametrize(("change", "field"), [
    ({"name": "  "}, "name"),
    ({"date_of_birth": date(2027, 1, 1)}, "date_of_birth"),
    ({"date_of_birth": date(1850, 1, 1)}, "date_of_birth"),
    ({"planned_start": date(1980, 1, 1)}, "planned_start"),
    ({"protocol": Protocol(intervals_months=(0,))}, "protocol.intervals_months"),
    ({"protocol": Protocol(evaluate_after=6, evaluate_by=4)}, "protocol.evaluate_by"),
])
def test_impossible_patient_values_are_refused_naming_the_field(change: dict, field: str) -> None:
    assert field in patient_problems(make_patient(**change), TODAY)


def test_settings_with_an_impossible_window_are_refused() -> None:
    assert "due_soon_days" in settings_problems(Settings(due_soon_days=-1))
    assert settings_problems(Settings()) == {}


@pytest.mark.parametrize(("doc", "field"), [
    ({"date": "2026-02-30"}, "date"),
    ({"date": "10000-01-01"}, "date"),
    ({"date": "15/01/2026"}, "date"),
    ({"date": "2026-01-15", "volume_ml": "one"}, "volume_ml"),
    ({"date": "2026-01-15", "volume_ml": math.nan}, "volume_ml"),
    ({"date": "2026-01-15", "side_effects": [{"effect": "pain", "severity": "awful"}]},
     "side_effects.severity"),
    ({"date": "2026-01-15", "side_effects": [{"effect": "hiccups", "severity": "mild"}]},
     "side_effects.effect"),
    ({"date": "2026-01-15", "anaesthesia": {"type": "general"}}, "anaesthesia.type"),
    ({"date": "2026-01-15", "areas": ["chin"]}, "areas"),
])
def test_unreadable_values_in_a_record_name_their_field(doc: dict, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Session.from_data("S-1", {"patient_id": "P-1", **doc})
    assert field in raised.value.problems


def test_validation_error_message_names_record_and_field() -> None:
    error = ValidationError({"volume_ml": "must be more than 0"}, "S-1")
    assert str(error) == "S-1: volume_ml: must be more than 0"


session_docs = st.fixed_dictionaries({
    "patient_id": st.just("P-1"),
    "date": st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 1, 1)).map(date.isoformat),
    "volume_ml": st.none() | st.floats(min_value=0.01, max_value=20),
    "concentration_pct": st.none() | st.sampled_from([0.005, 0.01, 0.05]),
    "lot": st.text(max_size=30),
    "dose_notes": st.text(max_size=200),
    "areas": st.lists(st.sampled_from([a.value for a in Area]), unique=True),
    "side_effects": st.lists(st.fixed_dictionaries({
        "effect": st.sampled_from([e.value for e in SideEffect]),
        "severity": st.sampled_from([s.value for s in Severity]),
        "note": st.text(max_size=40)}), max_size=3, unique_by=lambda d: d["effect"]),
})


@given(session_docs)
def test_a_session_survives_its_own_serialisation(doc: dict) -> None:
    """Property: from_data(to_data(x)) == x for any well-formed session."""
    session = Session.from_data("S-1", doc)
    assert Session.from_data("S-1", session.to_data()) == session


@given(st.text(min_size=1, max_size=60).filter(str.strip),
       st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_a_patient_survives_its_own_serialisation(name: str, dob: date) -> None:
    patient = make_patient(id="P-1", name=name, date_of_birth=dob)
    assert Patient.from_data("P-1", patient.to_data()) == patient


def test_a_maintenance_only_protocol_reads_as_a_sentence() -> None:
    """A plan with no induction intervals (maintenance from the first session) once read
    "every  months, then 4-monthly" on the record screen."""
    from mesotui.models import Protocol

    assert Protocol((), 4).describe() == "maintenance: one session every 4 months"
    assert Protocol().describe().startswith("every 2, 2, 2, 4, 4 months, then 4-monthly")
