"""The FHIR export: the whole course as valid R4 (fhir.resources R4B), with verified codes."""

from __future__ import annotations

import importlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from mesotui.demo import generate
from mesotui.evaluation import Consent, Evaluation, Photo
from mesotui.interop import Systems, fhir
from mesotui.interop.codes import SOURCES
from mesotui.models import Anaesthesia, Patient, SideEffectReport
from mesotui.store import Store
from mesotui.vocab import (
    AnaesthesiaType,
    Decision,
    PullTest,
    ScoreChange,
    Severity,
    Sex,
    SideEffect,
)
from tests.conftest import make_session
from tests.report_clinic import TODAY, records, small_clinic

README = Path(__file__).parents[1] / "README.md"
# Value sets copied from the FHIR R4 (4.0.1) specification, https://hl7.org/fhir/R4/:
# valueset-event-status, valueset-medication-admin-status, valueset-request-status,
# valueset-care-plan-intent, valueset-care-plan-activity-status, valueset-care-plan-activity-kind,
# valueset-adverse-event-actuality, valueset-adverse-event-severity, valueset-administrative-gender,
# valueset-observation-status, valueset-consent-state-codes.
EVENT_STATUS = {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
                "entered-in-error", "unknown"}
MED_ADMIN_STATUS = {"in-progress", "not-done", "on-hold", "completed", "entered-in-error",
                    "stopped", "unknown"}
REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error",
                  "unknown"}
OBSERVATION_STATUS = {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                      "entered-in-error", "unknown"}
CONSENT_STATUS = {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
AE_SEVERITY = {"mild", "moderate", "severe"}
GENDER = {"male", "female", "other", "unknown"}
ROUTES = {"372464004": "Intradermal route", "6064005": "Topical route",
          "718329006": "Infiltration route"}


def course_clinic() -> Store:
    """The small clinic plus G: EMLA-type cream, an "other" side effect with its note, consent
    withdrawn and given again, and an evaluation with every measure and two photos."""
    store = small_clinic()
    consents = (Consent(date(2025, 1, 2), "DUT-MESO v2", "Dr Test", date(2025, 3, 1), "moved"),
                Consent(date(2025, 4, 1), "DUT-MESO v3", "Dr Test"))
    store.add_patient(Patient("P-G", "Grace Walsh", Sex.FEMALE, date(1980, 5, 5),
                              consents=consents), TODAY)
    cream = Anaesthesia(AnaesthesiaType.TOPICAL, "lidocaine 2.5% / prilocaine 2.5% cream")
    itching = SideEffectReport(SideEffect.OTHER, Severity.MILD, "itching at injection sites")
    for n, day in enumerate([date(2025, 4, 2), date(2025, 6, 2), date(2025, 8, 2),
                             date(2025, 10, 2)], 1):
        store.log_session(make_session("P-G", day, id=f"S-G{n}", anaesthesia=cream,
                                       no_side_effects=n != 2,
                                       side_effects=(itching,) if n == 2 else ()), TODAY)
    store.record_evaluation(Evaluation(
        "E-G1", "P-G", date(2025, 10, 2), Decision.MAINTENANCE, 4, hair_count_per_cm2=182.0,
        hair_count_site="vertex", shaft_diameter_um=61.0, pull_test=PullTest.NEGATIVE,
        global_score=ScoreChange.MODERATELY_INCREASED,
        self_assessment=ScoreChange.SLIGHTLY_INCREASED,
        photos=(Photo("/photos/p-g/vertex.jpg", "vertex"), Photo("frontal 2.jpg", "frontal")),
        notes="good response"), TODAY)
    return store


@pytest.fixture(scope="module")
def store() -> Store:
    return course_clinic()


def export(store: Store, **options: Any) -> dict[str, Any]:
    return fhir.bundle(records(store), today=TODAY, protocol_for=store.protocol_in_force,
                       outlook_for=lambda p: store.outlook(p, TODAY),
                       evaluations_for=lambda p: store.evaluations_for(p.id), **options)


def by_id(doc: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in fhir.resources(doc, kind)}


def target(doc: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    return next(e["resource"] for e in doc["entry"] if e["fullUrl"] == reference["reference"])


def codings(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        own = [value] if {"system", "code"} <= value.keys() else []
        return own + [c for v in value.values() for c in codings(v)]
    if isinstance(value, list):
        return [c for v in value for c in codings(v)]
    return []


def test_bundle_and_every_resource_validate_as_r4(store: Store) -> None:
    doc = export(store)
    assert doc["type"] == "collection"
    Bundle.model_validate(doc)
    for entry in doc["entry"]:
        resource = entry["resource"]
        module = importlib.import_module(f"fhir.resources.R4B.{resource['resourceType'].lower()}")
        getattr(module, resource["resourceType"]).model_validate(resource)


def test_demo_clinic_has_an_observation_per_measure_and_a_consent_per_consent() -> None:
    clinic = generate(TODAY, 36)
    demo = Store.in_memory()
    demo.bulk_load(clinic.patients, clinic.sessions, clinic.settings, clinic.evaluations)
    doc = export(demo)
    Bundle.model_validate(doc)
    measures = sum((e.hair_count_per_cm2 is not None) + (e.shaft_diameter_um is not None)
                   + (e.pull_test is not None) + (e.global_score is not None)
                   + (e.self_assessment is not None) for e in clinic.evaluations)
    observations = [o for o in fhir.resources(doc, "Observation")
                    if not o["id"].endswith("-decision")]
    assert measures > 0 and len(observations) == measures
    given = sum(len(p.consents) for p in clinic.patients)
    withdrawn = sum(c.withdrawn_on is not None for p in clinic.patients for c in p.consents)
    assert len(fhir.resources(doc, "Consent")) == given + withdrawn
    assert len(fhir.resources(doc, "Procedure")) == len(clinic.sessions)
    photos = sum(len(e.photos) for e in clinic.evaluations)
    assert len(fhir.resources(doc, "Media")) == photos


def test_evaluation_measures_are_observations_with_units_and_photos_as_references(
        store: Store) -> None:
    doc = export(store)
    found = by_id(doc, "Observation")
    assert found["E-G1-hair-count"]["valueQuantity"] == {
        "value": 182.0, "unit": "hairs/cm²", "system": "http://unitsofmeasure.org",
        "code": "/cm2"}
    assert found["E-G1-hair-count"]["bodySite"] == {"text": "vertex"}
    assert found["E-G1-shaft-diameter"]["valueQuantity"]["code"] == "um"
    assert found["E-G1-pull-test"]["interpretation"][0]["coding"][0]["code"] == "NEG"
    assert "+2" in found["E-G1-global-score"]["valueCodeableConcept"]["text"]
    assert found["E-G1-self-assessment"]["category"][0]["coding"][0]["code"] == "survey"
    photos = [target(doc, r) for r in found["E-G1-global-score"]["derivedFrom"]]
    assert [p["content"] for p in photos] == [
        {"contentType": "image/jpeg", "url": "file:///photos/p-g/vertex.jpg"},
        {"contentType": "image/jpeg", "url": "frontal%202.jpg"}]
    assert all("data" not in p["content"] for p in photos)
    decision = found["E-G1-decision"]
    assert decision["note"] == [{"text": "good response"}]
    assert {target(doc, m)["id"] for m in decision["hasMember"]} == {
        "E-G1-hair-count", "E-G1-shaft-diameter", "E-G1-pull-test", "E-G1-global-score",
        "E-G1-self-assessment"}
    assert {o["status"] for o in found.values()} <= OBSERVATION_STATUS


def test_each_consent_and_each_withdrawal_is_a_consent_resource(store: Store) -> None:
    consents = by_id(export(store), "Consent")
    first, withdrawal, second = (consents["P-G-consent-1"], consents["P-G-withdrawal-1"],
                                 consents["P-G-consent-2"])
    assert first["status"] == "inactive" and first["provision"] == {
        "type": "permit", "period": {"start": "2025-01-02", "end": "2025-03-01"}}
    assert withdrawal["provision"]["type"] == "deny" and withdrawal["dateTime"] == "2025-03-01"
    assert second["status"] == "active" and second["sourceAttachment"]["title"].endswith("v3")
    assert first["category"][0]["coding"][0]["code"] == "59284-0"
    assert {c["status"] for c in consents.values()} <= CONSENT_STATUS


def test_an_other_side_effect_keeps_its_note(store: Store) -> None:
    event = by_id(export(store), "AdverseEvent")["S-G2-ae-1"]
    assert event["event"]["text"] == "Other: itching at injection sites"


def test_side_effects_carry_snomed_where_a_code_was_found(store: Store) -> None:
    events = by_id(export(store), "AdverseEvent")
    pain = events["S-A1-ae-1"]["event"]["coding"]
    assert pain[0] == {"system": "http://snomed.info/sct", "code": "95388000",
                       "display": "Injection site pain"}
    assert pain[1]["code"] == "pain" and pain[1]["system"].endswith("/CodeSystem/side-effect")
    tenderness = events["S-E2-ae-1"]["event"]["coding"]
    assert [c["code"] for c in tenderness] == ["scalp_tenderness"]  # no verified SNOMED code


def test_care_plan_reads_right_in_every_protocol_state(store: Store) -> None:
    plans = by_id(export(store), "CarePlan")
    texts = {key: plan["description"] for key, plan in plans.items()}
    assert texts["P-G-careplan"].startswith("Maintenance: one session every 4 months")
    assert texts["P-A-careplan"].startswith("3 sessions given. Induction: sessions 2, 2, 2,")
    assert texts["P-C-careplan"].startswith("Not started (planned to start 2026-01-20)")
    assert texts["P-D-careplan"].startswith("Course stopped on 2025-08-01: moved away")
    assert texts["P-F-careplan"].startswith("Course paused on 2025-11-01: travelling")
    assert not any(re.search(r"every\s\s|\bevery\s+months", t) for t in texts.values())
    assert plans["P-F-careplan"]["status"] == "on-hold" and "activity" not in plans["P-F-careplan"]
    assert plans["P-D-careplan"]["status"] == "revoked"
    detail = plans["P-A-careplan"]["activity"][0]["detail"]
    assert detail["scheduledPeriod"] == {"start": "2026-01-03"}
    assert {"text": "Avoid pregnancy until 2026-05-03"} in plans["P-A-careplan"]["note"]
    assert {"text": "Course evaluation due"} in plans["P-E-careplan"]["note"]


def test_each_anaesthetic_component_is_an_ingredient_and_mixtures_get_the_product_code(
        store: Store) -> None:
    doc = export(store)
    cream = target(doc, by_id(doc, "MedicationAdministration")["S-G1-anaesthetic"]
                   ["medicationReference"])
    assert cream["code"]["coding"][0]["code"] == "346553009"  # the lidocaine + prilocaine product
    ingredients = [(i["itemCodeableConcept"]["text"], codings(i)) for i in cream["ingredient"]]
    assert ingredients[0] == ("Lidocaine", [{"system": "http://snomed.info/sct",
                                             "code": "387480006", "display": "Lidocaine"}])
    assert ingredients[1] == ("Prilocaine", [])  # no certain code: text only
    plain = target(doc, by_id(doc, "MedicationAdministration")["S-A2-anaesthetic"]
                   ["medicationReference"])
    assert "coding" not in plain["code"] and "ingredient" not in plain  # "anaesthetic cream"


def test_substances_are_ingredients_and_routes_match_what_was_done(store: Store) -> None:
    doc = export(store)
    for medication in fhir.resources(doc, "Medication"):
        assert all(c["code"] not in ("385572003", "387480006")
                   for c in medication["code"].get("coding", []))  # substances, not products
    given = by_id(doc, "MedicationAdministration")
    dutasteride = target(doc, given["S-A1-dut"]["medicationReference"])
    assert dutasteride["ingredient"][0]["itemCodeableConcept"]["coding"][0]["code"] == "385572003"
    assert dutasteride["batch"] == {"lotNumber": "LOT-A", "expirationDate": "2026-06-30"}
    assert given["S-A1-dut"]["dosage"]["route"]["coding"][0]["code"] == "372464004"
    ring_block = given["S-A1-anaesthetic"]["dosage"]
    assert ring_block["route"]["coding"][0]["code"] == "718329006"  # infiltration, not SC
    assert ring_block["text"] == "1 mL ring block"
    assert given["S-A2-anaesthetic"]["dosage"]["route"]["coding"][0]["code"] == "6064005"
    for administration in given.values():
        route = administration["dosage"]["route"]["coding"][0]
        assert ROUTES[route["code"]] == route["display"]
        assert administration["status"] in MED_ADMIN_STATUS
    assert "S-A3-anaesthetic" not in given  # session 3 was given without anaesthesia


def test_systems_come_from_the_clinics_own_url_so_two_clinics_never_collide(
        store: Store) -> None:
    one = export(store, systems=Systems("https://one.example/fhir"))
    two = export(store, systems=Systems("https://two.example/fhir"))
    text_one = json.dumps(one)
    assert "mesotui.invalid" not in text_one and "https://two.example" not in text_one
    patient = by_id(one, "Patient")["P-A"]
    assert patient["identifier"][0]["system"] == "https://one.example/fhir/identifier/patient"
    local = {c["system"] for c in codings(one) if "one.example" in c["system"]}
    assert local and all("/CodeSystem/" in s for s in local)
    assert not {e["fullUrl"] for e in one["entry"]} & {e["fullUrl"] for e in two["entry"]}


def test_every_reference_points_at_an_entry_of_the_bundle(store: Store) -> None:
    doc = export(store)
    urls = {entry["fullUrl"] for entry in doc["entry"]}
    found = json.dumps(doc).split('"reference": "')[1:]
    assert found and all(m.split('"')[0] in urls for m in found)


def test_voided_session_is_entered_in_error_and_reports_no_adverse_event(store: Store) -> None:
    doc = export(store)
    assert by_id(doc, "Procedure")["S-A3D"]["status"] == "entered-in-error"
    assert by_id(doc, "Procedure")["S-A3D"]["statusReason"]["text"] == "duplicate entry"
    assert by_id(doc, "MedicationAdministration")["S-A3D-dut"]["status"] == "entered-in-error"
    events = [r["event"]["coding"][-1]["code"] for r in fhir.resources(doc, "AdverseEvent")]
    assert "erythema" not in events  # only the voided duplicate recorded erythema
    assert {r["status"] for r in fhir.resources(doc, "Procedure")} <= EVENT_STATUS
    assert {r["status"] for r in fhir.resources(doc, "CarePlan")} <= REQUEST_STATUS
    assert {r["gender"] for r in fhir.resources(doc, "Patient")} <= GENDER
    assert {r["severity"]["coding"][0]["code"] for r in fhir.resources(doc, "AdverseEvent")
            } <= AE_SEVERITY


def test_every_standard_code_is_in_the_readme_interop_table_with_its_source(
        store: Store) -> None:
    clinic = generate(TODAY, 36)
    demo = Store.in_memory()
    demo.bulk_load(clinic.patients, clinic.sessions, clinic.settings, clinic.evaluations)
    found = {c["code"] for doc in (export(store), export(demo)) for c in codings(doc)
             if c["system"] in ("http://snomed.info/sct", "http://loinc.org")}
    table = README.read_text(encoding="utf-8").split("### Codes in the FHIR export")[1]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([0-9-]+)` \|.*$", table, re.M)}
    assert found and found <= rows.keys()
    assert all(code in SOURCES for code in found)
    assert all(row.count("|") >= 5 and row.rstrip(" |").split("|")[-1].strip()
               for row in rows.values())  # each row names its source
