"""The FHIR export: every resource validates as R4 (fhir.resources R4B); codes are FHIR's."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from mesotui.demo import generate
from mesotui.interop import fhir
from mesotui.store import Store
from tests.report_clinic import TODAY, records, small_clinic

# Value sets copied from the FHIR R4 (4.0.1) specification, https://hl7.org/fhir/R4/:
# valueset-event-status, valueset-medication-admin-status, valueset-request-status,
# valueset-care-plan-intent, valueset-care-plan-activity-status, valueset-care-plan-activity-kind,
# valueset-adverse-event-actuality, valueset-adverse-event-severity, valueset-administrative-gender.
EVENT_STATUS = {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
                "entered-in-error", "unknown"}
MED_ADMIN_STATUS = {"in-progress", "not-done", "on-hold", "completed", "entered-in-error",
                    "stopped", "unknown"}
REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error",
                  "unknown"}
CAREPLAN_INTENT = {"proposal", "plan", "order", "option"}
ACTIVITY_STATUS = {"not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled",
                   "stopped", "unknown", "entered-in-error"}
ACTIVITY_KIND = {"Appointment", "CommunicationRequest", "DeviceRequest", "MedicationRequest",
                 "NutritionOrder", "Task", "ServiceRequest", "VisionPrescription"}
AE_ACTUALITY = {"actual", "potential"}
AE_SEVERITY = {"mild", "moderate", "severe"}
GENDER = {"male", "female", "other", "unknown"}
# Members of valueset-route-codes (descendants of SNOMED CT 284009009
# "Route of administration value"), https://hl7.org/fhir/R4/valueset-route-codes.html.
SNOMED_ROUTES = {"372464004": "Intradermal route", "6064005": "Topical route",
                 "34206005": "Subcutaneous route"}


@pytest.fixture(scope="module")
def store() -> Store:
    return small_clinic()


def export(store: Store, **options: Any) -> dict[str, Any]:
    return fhir.bundle(records(store), today=TODAY, protocol_for=store.protocol_for,
                       outlook_for=lambda p: store.outlook(p, TODAY), **options)


def by_id(doc: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in fhir.resources(doc, kind)}


def test_bundle_and_every_resource_validate_as_r4(store: Store) -> None:
    doc = export(store)
    assert doc["type"] == "collection"
    Bundle.model_validate(doc)
    for entry in doc["entry"]:
        resource = entry["resource"]
        module = importlib.import_module(f"fhir.resources.R4B.{resource['resourceType'].lower()}")
        getattr(module, resource["resourceType"]).model_validate(resource)


def test_demo_clinic_bundle_validates_and_has_one_procedure_per_session() -> None:
    clinic = generate(TODAY, 24)
    demo = Store.in_memory()
    demo.bulk_load(clinic.patients, clinic.sessions, clinic.settings)
    doc = fhir.bundle(records(demo), today=TODAY, protocol_for=demo.protocol_for,
                      outlook_for=lambda p: demo.outlook(p, TODAY))
    Bundle.model_validate(doc)
    assert len(fhir.resources(doc, "Procedure")) == len(clinic.sessions)
    assert len(fhir.resources(doc, "CarePlan")) == 24


def test_every_code_comes_from_its_value_set(store: Store) -> None:
    doc = export(store)
    for r in fhir.resources(doc, "Procedure"):
        assert r["status"] in EVENT_STATUS
    for r in fhir.resources(doc, "MedicationAdministration"):
        assert r["status"] in MED_ADMIN_STATUS
        route = r["dosage"]["route"]["coding"][0]
        assert route["system"] == "http://snomed.info/sct"
        assert SNOMED_ROUTES[route["code"]] == route["display"]
    for r in fhir.resources(doc, "CarePlan"):
        assert r["status"] in REQUEST_STATUS and r["intent"] in CAREPLAN_INTENT
        for activity in r.get("activity", []):
            assert activity["detail"]["status"] in ACTIVITY_STATUS
            assert activity["detail"]["kind"] in ACTIVITY_KIND
    for r in fhir.resources(doc, "AdverseEvent"):
        assert r["actuality"] in AE_ACTUALITY
        coding = r["severity"]["coding"][0]
        assert coding["system"] == "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
        assert coding["code"] in AE_SEVERITY
    assert {r["gender"] for r in fhir.resources(doc, "Patient")} <= GENDER


def test_every_reference_points_at_an_entry_of_the_bundle(store: Store) -> None:
    doc = export(store)
    urls = {entry["fullUrl"] for entry in doc["entry"]}
    found = [m for m in json.dumps(doc).split('"reference": "')[1:]]
    assert found and all(m.split('"')[0] in urls for m in found)


def test_voided_session_is_entered_in_error_and_reports_no_adverse_event(store: Store) -> None:
    doc = export(store)
    assert by_id(doc, "Procedure")["S-A3D"]["status"] == "entered-in-error"
    assert by_id(doc, "Procedure")["S-A3D"]["statusReason"]["text"] == "duplicate entry"
    assert by_id(doc, "MedicationAdministration")["S-A3D-dut"]["status"] == "entered-in-error"
    assert by_id(doc, "Procedure")["S-A3"]["status"] == "completed"
    events = [r["event"]["coding"][0]["code"] for r in fhir.resources(doc, "AdverseEvent")]
    assert "erythema" not in events  # only the voided duplicate recorded erythema
    assert sorted(events) == ["headache", "pain", "pain", "scalp_tenderness"]


def test_dutasteride_given_links_the_lot_with_number_and_expiry(store: Store) -> None:
    doc = export(store)
    given = by_id(doc, "MedicationAdministration")["S-A1-dut"]
    assert given["dosage"]["dose"] == {"value": 0.1, "unit": "mg",
                                       "system": "http://unitsofmeasure.org", "code": "mg"}
    medication = next(e["resource"] for e in doc["entry"]
                      if e["fullUrl"] == given["medicationReference"]["reference"])
    assert medication["batch"] == {"lotNumber": "LOT-A", "expirationDate": "2026-06-30"}
    assert medication["ingredient"][0]["strength"]["numerator"]["value"] == 0.1
    lots = {r["batch"]["lotNumber"] for r in fhir.resources(doc, "Medication")}
    assert lots == {"LOT-A", "LOT-B"}  # one Medication per lot, shared by its sessions


def test_anaesthetic_is_a_second_administration_unless_none_was_used(store: Store) -> None:
    doc = export(store)
    administrations = by_id(doc, "MedicationAdministration")
    lidocaine = administrations["S-A1-anaesthetic"]
    assert lidocaine["medicationCodeableConcept"]["coding"][0]["code"] == "387480006"
    assert lidocaine["dosage"]["text"] == "1 mL ring block"
    assert "S-A3-anaesthetic" not in administrations  # session 3 was given without anaesthesia
    assert {"text": "Anaesthesia: None"} in by_id(doc, "Procedure")["S-A3"]["note"]


def test_adverse_event_carries_severity_and_links_to_its_session(store: Store) -> None:
    doc = export(store)
    headache = by_id(doc, "AdverseEvent")["S-A1-ae-2"]
    assert headache["severity"]["coding"][0]["code"] == "moderate"
    procedure_url = next(e["fullUrl"] for e in doc["entry"] if e["resource"]["id"] == "S-A1")
    assert {"instance": {"reference": procedure_url}} in headache["suspectEntity"]
    assert headache["date"] == "2025-07-01"


def test_care_plan_shows_next_due_session_and_course_status(store: Store) -> None:
    plans = by_id(export(store), "CarePlan")
    detail = plans["P-A-careplan"]["activity"][0]["detail"]
    assert detail["scheduledPeriod"] == {"start": "2026-01-03"}
    assert "Session 4" in detail["description"]
    assert {"text": "Avoid pregnancy until 2026-05-03"} in plans["P-A-careplan"]["note"]
    assert plans["P-F-careplan"]["status"] == "on-hold" and "activity" not in plans["P-F-careplan"]
    assert plans["P-D-careplan"]["status"] == "revoked"
    assert {"text": "Course evaluation due"} in plans["P-E-careplan"]["note"]


def test_pseudonymised_bundle_holds_no_names_contact_or_free_text(store: Store) -> None:
    doc = export(store, pseudonym=lambda pid: "X" + pid[-1])
    Bundle.model_validate(doc)
    text = json.dumps(doc, ensure_ascii=False)
    for secret in ("Amelia", "Fletcher", "900001", "amelia@example.org", "Secret", "HYPERLINK",
                   "duplicate entry", "ring block", "Rahimi", "P-A", "1985-03-02"):
        assert secret not in text
    patient = by_id(doc, "Patient")["XA"]
    assert patient["birthDate"] == "1985" and "name" not in patient
