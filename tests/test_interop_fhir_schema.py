"""The FHIR export checked by a second, independent validator: HL7's own R4 JSON Schema.

The schema is vendored under tests/fhir/ (see SOURCE.md there); Python's `jsonschema` runs it.
Every resource of the demo clinic is validated against its own definition (the whole demo bundle
through the schema's 150-way `oneOf` takes a quarter of a minute); one patient's bundle goes
through the schema from its root.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mesotui.demo import generate
from mesotui.interop import fhir, whole_course
from mesotui.store import Store
from tests.report_clinic import TODAY

SCHEMA = Path(__file__).parent / "fhir" / "fhir.schema.v4.json.gz"


@cache
def schema() -> dict[str, Any]:
    return json.loads(gzip.decompress(SCHEMA.read_bytes()))


@cache
def validator(kind: str) -> jsonschema.Draft6Validator:
    return jsonschema.Draft6Validator({"$ref": f"#/definitions/{kind}",
                                       "definitions": schema()["definitions"]})


def problems(resource: dict[str, Any]) -> list[str]:
    return [f"{resource['resourceType']}/{resource['id']}: {e.message[:200]} at "
            f"{list(e.absolute_path)}" for e in validator(resource["resourceType"])
            .iter_errors(resource)]


@pytest.fixture(scope="module")
def demo_bundle() -> dict[str, Any]:
    clinic = generate(TODAY, 36)
    store = Store.in_memory()
    store.bulk_load(clinic.patients, clinic.sessions, clinic.settings, clinic.evaluations)
    selection = [whole_course(p, store.sessions_for(p.id)) for p in store.patients()]
    return fhir.bundle(selection, today=TODAY,
                       protocol_for=store.protocol_in_force,
                       outlook_for=lambda p: store.outlook(p, TODAY),
                       evaluations_for=lambda p: store.evaluations_for(p.id))


def test_the_vendored_schema_is_hl7s_r4_schema() -> None:
    assert schema()["id"] == "http://hl7.org/fhir/json-schema/4.0"
    assert schema()["$schema"] == "http://json-schema.org/draft-06/schema#"


def test_every_resource_of_the_demo_clinic_validates_against_the_r4_json_schema(
        demo_bundle: dict[str, Any]) -> None:
    found = [p for entry in demo_bundle["entry"] for p in problems(entry["resource"])]
    assert found == []
    kinds = {entry["resource"]["resourceType"] for entry in demo_bundle["entry"]}
    assert {"Patient", "Procedure", "MedicationAdministration", "Medication", "AdverseEvent",
            "Observation", "Consent", "Media", "CarePlan"} <= kinds


def test_one_patients_bundle_validates_from_the_schemas_root(
        demo_bundle: dict[str, Any]) -> None:
    first = demo_bundle["entry"][0]["fullUrl"]
    mine = [e for e in demo_bundle["entry"] if e["fullUrl"] == first
            or first in json.dumps(e["resource"].get("subject", e["resource"].get("patient")))]
    urls = {m["fullUrl"] for m in mine}
    wanted = {m["reference"] for e in mine
              for m in _references(e["resource"])} - urls  # the medications they point at
    mine += [e for e in demo_bundle["entry"] if e["fullUrl"] in wanted]
    small = dict(demo_bundle, entry=mine)
    errors = list(jsonschema.Draft6Validator(schema()).iter_errors(small))
    assert [e.message[:200] for e in errors] == []
    assert len(mine) > 10


def test_the_schema_catches_what_it_should() -> None:
    """The validator is live: a wrong code and an unknown element are both reported."""
    patient = {"resourceType": "Patient", "id": "p1", "gender": "robot", "nickname": "x"}
    found = " ".join(problems(patient))
    assert "robot" in found and "nickname" in found


def _references(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        own = [value] if "reference" in value else []
        return own + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []
