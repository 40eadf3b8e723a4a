"""Consent and evaluations in the JSON export: round trip, version 1 files, pseudonymisation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mesotui import export, importer, integrity
from mesotui.evaluation import Consent, Evaluation, Photo
from mesotui.store import Store
from mesotui.vocab import Decision, PullTest, ScoreChange
from tests.conftest import TODAY, FixedClock, make_patient, make_session

PHOTO = "/clinic/photos/ada-lovelace/2025-07-10-vertex.jpg"


def governed_store(path: Path | None = None) -> Store:
    """Two patients: one evaluated twice (one voided), one without consent and stopped."""
    store = (Store.open(path, clock=FixedClock()) if path else Store.in_memory(clock=FixedClock()))
    ada = store.add_patient(make_patient(name="Ada Lovelace", consents=()), TODAY)
    store.record_consent(ada.id, Consent(date(2025, 1, 2), "DUT-MESO v3", "Dr Rahimi"), TODAY)
    for day in (date(2025, 1, 10), date(2025, 3, 10), date(2025, 5, 12), date(2025, 7, 10)):
        store.log_session(make_session(ada.id, day), TODAY)
    wrong = store.record_evaluation(Evaluation(
        id="", patient_id=ada.id, date=date(2025, 7, 10), decision=Decision.CONTINUE), TODAY)
    store.void_evaluation(wrong.id, reason="entered twice")
    store.record_evaluation(Evaluation(
        id="", patient_id=ada.id, date=date(2025, 7, 10), decision=Decision.MAINTENANCE,
        maintenance_months=4, hair_count_per_cm2=182.0, hair_count_site="vertex tattoo",
        shaft_diameter_um=62.0, pull_test=PullTest.NEGATIVE,
        global_score=ScoreChange.MODERATELY_INCREASED,
        self_assessment=ScoreChange.SLIGHTLY_INCREASED,
        photos=(Photo(PHOTO, "vertex"),), notes="Ada is pleased", practitioner="Dr Rahimi"),
        TODAY)
    bo = store.add_patient(make_patient(name="Bo Unconsented", consents=()), TODAY)
    for day in (date(2025, 2, 1), date(2025, 4, 1), date(2025, 6, 2), date(2025, 8, 1)):
        store.log_session(make_session(bo.id, day, consent_override=True), TODAY)
    store.record_evaluation(Evaluation(
        id="", patient_id=bo.id, date=date(2025, 8, 1), decision=Decision.STOP,
        stop_reason="Bo saw no change", global_score=ScoreChange.UNCHANGED), TODAY)
    return store


def as_file(document: dict[str, Any], path: Path) -> Path:
    path.write_bytes(export.to_json(document))
    return path


def test_export_v2_holds_consent_evaluations_and_overrides_and_fits_the_schema() -> None:
    document = json.loads(export.to_json(export.build(governed_store(), TODAY)))
    jsonschema.Draft202012Validator(importer.schema(2)).validate(document)
    ada, bo = sorted(document["patients"], key=lambda p: p["name"])
    assert document["schema_version"] == 2
    assert ada["consent_in_force"] is True and bo["consent_in_force"] is False
    assert ada["consents"][0]["form_version"] == "DUT-MESO v3"
    assert all(s["consent_override"] for s in bo["sessions"])
    [voided] = [e for e in ada["evaluations"] if e["voided"]]
    [kept] = [e for e in ada["evaluations"] if not e["voided"]]
    assert voided["voided"] and voided["void_reason"] == "entered twice"
    assert kept["decision"] == "maintenance" and kept["interval_months"] == 4
    assert kept["photos"] == [{"path": PHOTO, "angle": "vertex"}]
    assert kept["global_score"] == "moderately_increased" and len(kept["history"]) == 1
    assert ada["next_due"] == "2025-11-10"
    assert bo["status"] == "stopped" and bo["next_due"] is None
    assert bo["pregnancy_avoid_until"] == "2026-02-01"


def test_round_trip_with_evaluations_gives_the_same_records(tmp_path: Path) -> None:
    source = governed_store()
    first = export.build(source, TODAY)
    contents = importer.load(as_file(first, tmp_path / "e.json"), TODAY)
    with Store.open(tmp_path / "new.json", clock=FixedClock()) as fresh:
        merge = importer.plan(fresh, contents)
        importer.apply(fresh, merge)
        again = export.build(fresh, TODAY)
        assert len(merge.evaluations) == 3
        assert importer.plan(fresh, contents).added == 0  # a second import adds nothing
    assert json.loads(export.to_json(again))["patients"] == json.loads(
        export.to_json(first))["patients"]
    assert integrity.check(tmp_path / "new.json").sound


def test_an_edited_evaluation_in_the_file_is_refused(tmp_path: Path) -> None:
    document = json.loads(export.to_json(export.build(governed_store(), TODAY)))
    ada = next(p for p in document["patients"] if p["name"] == "Ada Lovelace")
    ada["evaluations"][1]["decision"] = "continue" if ada["evaluations"][1]["decision"] == \
        "maintenance" else "maintenance"
    with pytest.raises(importer.ImportRejected, match=r"evaluations\[1\]\.decision: does not "
                                                      r"match"):
        importer.load(as_file(document, tmp_path / "e.json"), TODAY)


def version_1(document: dict[str, Any]) -> dict[str, Any]:
    """The same export as mesotui wrote it before version 2: no evaluations, overrides, consents."""
    old = json.loads(json.dumps(document))
    old["schema_version"] = 1
    old.pop("integrity", None)
    for patient in old["patients"]:
        for key in ("evaluations", "consent_in_force"):
            patient.pop(key)
        for session in patient["sessions"]:
            session.pop("consent_override")
    return old


def test_a_version_1_export_still_imports(tmp_path: Path) -> None:
    store = Store.in_memory(clock=FixedClock())
    patient = store.add_patient(make_patient(name="Old File"), TODAY)
    store.log_session(make_session(patient.id, date(2025, 6, 1)), TODAY)
    old = version_1(export.build(store, TODAY))
    jsonschema.Draft202012Validator(importer.schema(1)).validate(old)
    contents = importer.load(as_file(old, tmp_path / "v1.json"), TODAY)
    with Store.open(tmp_path / "clinic.json", clock=FixedClock()) as fresh:
        importer.apply(fresh, importer.plan(fresh, contents))
        assert fresh.patient(patient.id).name == "Old File"
        assert len(fresh.sessions_for(patient.id)) == 1
        assert fresh.evaluations_for(patient.id) == []


def test_pseudonymised_export_has_no_photo_path_note_or_reason() -> None:
    store = governed_store()
    document = json.loads(export.to_json(export.build(
        store, TODAY, export.ExportRequest(pseudonymise=True))))
    jsonschema.Draft202012Validator(importer.schema(2)).validate(document)
    text = json.dumps(document)
    for secret in ("ada-lovelace", "/clinic/photos", "Ada is pleased", "Bo saw no change",
                   "entered twice", "Dr Rahimi", "Ada Lovelace"):
        assert secret not in text, secret
    ada = next(p for p in document["patients"] if p["evaluations"][-1]["photos"])
    kept = ada["evaluations"][-1]
    assert kept["photos"] == [{"path": "", "angle": ""}]  # angles are typed text too
    assert kept["id"].startswith("EX-") and kept["patient_id"] == ada["id"]
    assert kept["hair_count_per_cm2"] == 182.0 and kept["global_score"] == "moderately_increased"
    consent = ada["consents"][0]
    assert consent["form_version"] == "" and consent["taken_by"].startswith("PR-")  # free text
    assert consent["taken_by"] == kept["practitioner"]  # the same person, the same stand-in


def test_a_date_range_keeps_the_evaluations_in_it() -> None:
    document = export.build(governed_store(), TODAY, export.ExportRequest(
        since=date(2025, 7, 15), until=date(2025, 12, 31)))
    [bo] = document["patients"]
    assert bo["name"] == "Bo Unconsented" and [e["decision"] for e in bo["evaluations"]] == [
        "stop"]


def test_check_finds_an_evaluation_whose_patient_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    governed_store(path).close()
    assert integrity.check(path).sound
    data = json.loads(path.read_text("utf-8"))
    doc = next(iter(data["evaluations"].values()))
    doc["patient_id"] = "P-GONE"
    data["evaluations"]["99"] = dict(next(iter(data["evaluations"].values())))
    path.write_text(json.dumps(data), "utf-8")
    report = integrity.check(path)
    assert report.evaluations == 3
    assert any("P-GONE" in p for p in report.problems)
    assert any("used by two evaluations" in p for p in report.problems)
