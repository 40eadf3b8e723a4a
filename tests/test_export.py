"""The JSON export: complete, schema-valid, private on disk, and truly pseudonymised on request."""

from __future__ import annotations

import json
import re
import stat
from datetime import date
from pathlib import Path

import jsonschema
import orjson
import pytest

from mesotui import export, importer, schedule
from mesotui.errors import MesoError, NotFound
from mesotui.store import Store
from mesotui.vocab import CourseStatus, Sex
from tests.conftest import TODAY, FixedClock, make_patient, make_session

VALIDATOR = jsonschema.Draft202012Validator(importer.schema())


def exported(store: Store, **request: object) -> dict:
    """The export as a reader of the file sees it (through JSON text)."""
    document = export.build(store, TODAY, export.ExportRequest(**request))  # type: ignore[arg-type]
    return json.loads(export.to_json(document))


def test_the_shipped_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(importer.schema())


@pytest.mark.parametrize("request_", [{}, {"pseudonymise": True},
                                      {"since": date(2025, 6, 1), "until": date(2025, 12, 31)},
                                      {"patient_ids": ("P-00001", "P-00008")}])
def test_every_export_validates_against_the_shipped_schema(demo_store: Store,
                                                           request_: dict) -> None:
    document = exported(demo_store, **request_)
    errors = [e.message for e in VALIDATOR.iter_errors(document)]
    assert errors == []
    assert document["patients"], "an empty export proves nothing"


def test_the_export_holds_every_field_and_its_history(demo_store: Store) -> None:
    document = exported(demo_store)
    assert document["format"] == "mesotui-export" and document["schema_version"] == 2
    assert document["pseudonymised"] is False and "+" in document["exported_at"]
    assert len(document["patients"]) == len(demo_store.patients())
    assert sum(len(p["sessions"]) for p in document["patients"]) == len(demo_store.sessions())
    first = next(p for p in document["patients"] if p["id"] == "P-00001")
    held = demo_store.patient("P-00001")
    assert (first["name"], first["phone"], first["email"]) == (held.name, held.phone, held.email)
    assert [r["hash"] for r in first["history"]] == [r.hash for r in held.history]
    session = first["sessions"][0]
    assert session["number"] == 1 and session["anaesthesia"]["type"] in ("none", "topical", "local")
    assert {"lot", "lot_expiry", "areas", "needle", "practitioner", "dose_mg"} <= set(session)


def test_next_due_and_pregnancy_date_are_computed_at_export(store: Store) -> None:
    woman = store.add_patient(make_patient(name="Ines Test"), TODAY)
    man = store.add_patient(make_patient(name="Omar Test", sex=Sex.MALE), TODAY)
    store.log_session(make_session(woman.id, date(2025, 12, 31)), TODAY)
    store.log_session(make_session(man.id, date(2025, 12, 31)), TODAY)
    by_name = {p["name"]: p for p in exported(store)["patients"]}
    assert by_name["Ines Test"]["next_due"] == "2026-02-28"  # end-of-month clamping
    assert by_name["Ines Test"]["pregnancy_avoid_until"] == "2026-06-30"
    assert by_name["Omar Test"]["pregnancy_avoid_until"] is None


def test_a_voided_session_is_exported_as_voided_with_its_reason(store: Store) -> None:
    patient = store.add_patient(make_patient(), TODAY)
    session = store.log_session(make_session(patient.id, date(2026, 1, 2)), TODAY)
    store.void_session(session.id, reason="entered twice")
    [entry] = exported(store)["patients"][0]["sessions"]
    assert entry["voided"] is True and entry["void_reason"] == "entered twice"
    assert entry["number"] is None
    assert [r["action"] for r in entry["history"]] == ["create", "void"]


def test_filters_choose_patients_and_sessions(demo_store: Store) -> None:
    only = exported(demo_store, patient_ids=("P-00002",))
    assert [p["id"] for p in only["patients"]] == ["P-00002"]
    ranged = exported(demo_store, since=date(2025, 10, 1), until=date(2025, 12, 31))
    days = [s["date"] for p in ranged["patients"] for s in p["sessions"]]
    assert days and all("2025-10-01" <= d <= "2025-12-31" for d in days)
    assert all(p["sessions"] for p in ranged["patients"])
    with pytest.raises(NotFound, match="P-NOPE"):
        exported(demo_store, patient_ids=("P-NOPE",))
    with pytest.raises(MesoError, match="after"):
        exported(demo_store, since=date(2026, 1, 1), until=date(2025, 1, 1))


def test_a_pseudonymised_export_holds_no_name_contact_or_note(demo_store: Store) -> None:
    demo_store.void_session("S-00002-01", reason="wrong patient chart")
    demo_store.set_course_status("P-00001", CourseStatus.PAUSED, TODAY, reason="moving house")
    text = export.to_json(export.build(demo_store, TODAY,
                                       export.ExportRequest(pseudonymise=True))).decode()
    secrets = set()
    for patient in demo_store.patients():
        secrets |= {patient.name, patient.phone, patient.email, patient.notes, patient.id,
                    patient.date_of_birth.isoformat(), *patient.concurrent_treatments,
                    *(event.reason for event in patient.course)}
        for session in demo_store.sessions_for(patient.id):
            secrets |= {session.dose_notes, session.void_reason, session.id,
                        *(effect.note for effect in session.side_effects)}
            secrets |= {r.reason for r in session.history}
    secrets -= {""}
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == []
    document = json.loads(text)
    assert all(re.fullmatch(r"\d{3}0-\d{3}9", p["date_of_birth"]) for p in document["patients"])
    assert all(set(r) == {"n", "action", "at"} for p in document["patients"] for r in p["history"])


def test_pseudonyms_are_stable_per_clinic_file_and_differ_between_files(
        demo_store: Store, tmp_path: Path, clock: FixedClock) -> None:
    first = [p["id"] for p in exported(demo_store, pseudonymise=True)["patients"]]
    again = [p["id"] for p in exported(demo_store, pseudonymise=True)["patients"]]
    assert first == again and len(set(first)) == len(first)
    other = Store.open(tmp_path / "other" / "clinic.json", clock=clock)
    clinic = [demo_store.patient("P-00001")]
    other.bulk_load(clinic, [])
    elsewhere = exported(other, pseudonymise=True)["patients"][0]["id"]
    other.close()
    assert elsewhere != first[0] and elsewhere.startswith("PX-")


def test_a_read_only_file_without_a_pseudonym_key_is_refused_clearly(demo_store: Store) -> None:
    path = demo_store.path
    demo_store.close()
    with Store.open(path, readonly=True) as reader, pytest.raises(MesoError, match="pseudonym key"):
        export.build(reader, TODAY, export.ExportRequest(pseudonymise=True))


def test_an_export_file_is_private_and_replaced_whole(demo_store: Store, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o644)
    export.write(export.build(demo_store, TODAY), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text("utf-8"))["format"] == "mesotui-export"
    with pytest.raises(MesoError, match="no such folder"):
        export.write({}, tmp_path / "missing" / "out.json")


def test_entries_built_from_stored_documents_match_those_built_from_models(
        demo_store: Store) -> None:
    """The whole-clinic export skips parsing sessions into models; it must not change a field."""
    document = export.build(demo_store, TODAY)
    checked = 0
    for patient in document["patients"]:
        every = demo_store.sessions_for(patient["id"])
        numbers = schedule.numbers(every)
        expected = [export.session_entry(s, numbers.get(s.id)) for s in every]
        assert orjson.loads(orjson.dumps(patient["sessions"])) == \
            orjson.loads(orjson.dumps(expected))
        checked += len(expected)
    assert checked == len(demo_store.sessions()) > 100


@pytest.mark.parametrize("request_", [
    {},
    {"pseudonymise": True},
    {"patient_ids": ("P-00002",)},
    {"since": date(2030, 1, 1)},  # nothing in range: an empty list of patients, one piece
])
def test_an_export_written_as_it_is_built_is_the_same_bytes(demo_store: Store,
                                                            request_: dict) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    request = export.ExportRequest(**request_)  # type: ignore[arg-type]
    whole = export.to_json(export.build(demo_store, TODAY, request, now=now))
    tally = export.Tally()
    pieces = list(export.stream(demo_store, TODAY, request, now=now, tally=tally))
    assert b"".join(pieces) == whole
    document = orjson.loads(whole)
    assert tally.patients == len(document["patients"])
    assert tally.sessions == sum(len(p["sessions"]) for p in document["patients"])
    assert len(pieces) == (tally.patients + 1 if tally.patients else 1)  # one at a time


def test_a_failed_streamed_export_leaves_no_file(demo_store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(NotFound):
        export.write_bytes(export.stream(demo_store, TODAY,
                                         export.ExportRequest(patient_ids=("P-NOPE",))),
                           folder / "out.json")
    assert list(folder.iterdir()) == []
