"""The export schema asserts real dates and times, checked by a format-checking validator."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from mesotui import export, importer
from tests.report_clinic import TODAY, small_clinic

VALIDATOR = jsonschema.Draft202012Validator


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(export.to_json(export.build(small_clinic(), TODAY)))


def errors(document: dict) -> list[str]:
    checker = VALIDATOR(importer.schema(), format_checker=VALIDATOR.FORMAT_CHECKER)
    return [e.message for e in checker.iter_errors(document)]


def test_the_schema_asserts_date_and_date_time_formats() -> None:
    defs = importer.schema()["$defs"]
    assert defs["date"]["format"] == "date" and defs["timestamp"]["format"] == "date-time"


def test_a_real_export_passes_the_format_checking_validator(document: dict) -> None:
    assert errors(document) == []


@pytest.mark.parametrize(("path", "value"), [
    (("patients", 0, "date_of_birth"), "2025-02-30"),
    (("patients", 0, "sessions", 0, "date"), "2025-13-01"),
    (("exported_at",), "2026-01-15T25:61:00+00:00"),
])
def test_an_impossible_date_or_time_fails_the_schema(document: dict, path: tuple, value: str
                                                     ) -> None:
    broken = copy.deepcopy(document)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert any(value in message for message in errors(broken))
