"""CSV and JSON Lines exports: one row per session, voided ones flagged, standard parsers."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mesotui.interop import tabular
from mesotui.store import Store
from tests.report_clinic import records, small_clinic


@pytest.fixture(scope="module")
def store() -> Store:
    return small_clinic()


def parsed_csv(text: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = {row["session_id"]: row for row in reader}
    return list(reader.fieldnames or []), rows


def test_csv_has_a_header_and_one_row_per_session_voided_included(store: Store) -> None:
    header, rows = parsed_csv(tabular.csv_text(records(store)))
    assert header == list(tabular.COLUMNS)
    assert len(rows) == 15  # 14 given + 1 voided duplicate
    assert rows["S-A3D"]["voided"] == "yes" and rows["S-A3D"]["void_reason"] == "duplicate entry"
    assert rows["S-A3D"]["session_number"] == ""  # a voided session has no number in the course
    assert rows["S-A3"]["session_number"] == "3" and rows["S-A3"]["voided"] == "no"
    assert rows["S-A1"]["side_effects"] == "pain:mild;headache:moderate"
    assert rows["S-A1"]["areas"] == "frontal;vertex"
    assert rows["S-A1"]["dose_mg"] == "0.1" and rows["S-A1"]["lot_expiry"] == "2026-06-30"
    assert rows["S-A1"]["patient_name"] == "Amelia Fletcher"


def test_csv_defuses_text_a_spreadsheet_would_run_as_a_formula(store: Store) -> None:
    _, rows = parsed_csv(tabular.csv_text(records(store)))
    assert rows["S-A1"]["dose_notes"] == "'=HYPERLINK(x)"


def test_jsonl_is_one_typed_object_per_line(store: Store) -> None:
    lines = list(tabular.jsonl_lines(records(store)))
    assert len(lines) == 15 and all("\n" not in line for line in lines)
    rows = {row["session_id"]: row for row in map(json.loads, lines)}
    assert rows["S-A3D"]["voided"] is True and rows["S-A3D"]["session_number"] is None
    assert rows["S-A1"]["volume_ml"] == 1.0 and rows["S-A1"]["areas"] == ["frontal", "vertex"]
    assert rows["S-A1"]["side_effects"][1] == {"effect": "headache", "severity": "moderate",
                                               "note": "Secret effect note"}
    assert rows["S-A1"]["dose_notes"] == "=HYPERLINK(x)"  # JSON is not a spreadsheet: kept as typed


def test_pseudonymised_rows_hold_no_names_or_free_text(store: Store) -> None:
    def pseudonym(pid: str) -> str:
        return "X" + pid[-1]

    text = tabular.csv_text(records(store), pseudonym) + "\n".join(
        tabular.jsonl_lines(records(store), pseudonym))
    for secret in ("Amelia", "Secret", "HYPERLINK", "duplicate entry", "Rahimi", "ring block",
                   "P-A"):
        assert secret not in text
    header, rows = parsed_csv(tabular.csv_text(records(store), pseudonym))
    assert "patient_name" not in header and rows["S-A1"]["patient_id"] == "XA"
