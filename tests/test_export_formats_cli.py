"""`mesotui export --format`: every format from the command line, with the same filters."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import icalendar
import pytest

from mesotui.cli import main
from mesotui.commands.context import Context, demo_store
from tests.conftest import TODAY


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    context = Context(tmp_path / "clinic.json", TODAY)
    demo_store(context.db_path, context).close()
    return context.db_path


def export(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["export", "--db", str(db), "--today", TODAY.isoformat(), *args]) == 0
    return capsys.readouterr().out


def test_fhir_format_is_a_bundle_of_the_chosen_patient(demo_db: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bundle = json.loads(export(demo_db, "--format", "fhir", "--patient", "P-00001",
                               capsys=capsys))
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert bundle["type"] == "collection" and {"Patient", "Procedure", "CarePlan"} <= kinds
    patients = [e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Patient"]
    assert [p["id"] for p in patients] == ["P-00001"]


def test_ics_format_parses_with_initials_unless_names_asked(
        demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calendar = icalendar.Calendar.from_ical(export(demo_db, "--format", "ics", capsys=capsys))
    titles = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert titles and all("(P-" in t for t in titles)
    named = icalendar.Calendar.from_ical(export(demo_db, "--format", "ics", "--with-names",
                                                capsys=capsys))
    assert any(" " in str(e["SUMMARY"]).split(": ", 1)[-1] for e in named.walk("VEVENT"))


def test_csv_format_to_a_file_with_a_date_range(demo_db: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "sessions.csv"
    out = export(demo_db, "--format", "csv", "--since", "2025-07-01", "-o", str(target),
                 capsys=capsys)
    assert "(CSV) to" in out
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows and all(r["date"] >= "2025-07-01" for r in rows)
    assert (target.stat().st_mode & 0o777) == 0o600


def test_jsonl_format_pseudonymised_holds_no_names(demo_db: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    main(["export", "--db", str(demo_db), "--pseudonymise", "-o", str(demo_db.parent / "x.json")])
    capsys.readouterr()
    lines = export(demo_db, "--format", "jsonl", "--pseudonymise", capsys=capsys).splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(not r["patient_id"].startswith("P-0") for r in records)
    assert "Okafor" not in "\n".join(lines) and "Fletcher" not in "\n".join(lines)
