"""`mesotui export --format`: every format from the command line, with the same filters."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
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


def _avoid_until_holds(rows: list[dict[str, object]], shifted: bool = False) -> None:
    """Each woman's rows carry her last counted session + 6 months; men's carry none.
    `shifted`: dates moved by a number of days (pseudonymised), so 6 months give or take the
    months' lengths."""
    from mesotui.schedule import add_months

    by_patient: dict[object, list[dict[str, object]]] = {}
    for row in rows:
        by_patient.setdefault(row["patient_id"], []).append(row)
    women = 0
    for patient_rows in by_patient.values():
        given = [date.fromisoformat(str(r["date"])) for r in patient_rows
                 if r["voided"] in (False, "no")]
        stated = {r["pregnancy_avoid_until"] for r in patient_rows}
        if patient_rows[0]["sex"] == "male" or not given:
            assert stated <= {None, ""}
            continue
        women += 1
        if shifted:
            (until,) = stated
            assert 181 <= (date.fromisoformat(str(until)) - max(given)).days <= 184
        else:
            assert stated == {add_months(max(given), 6).isoformat()}
    assert women > 5


def test_csv_and_jsonl_say_until_when_pregnancy_is_avoided(
        demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Failed before: the CSV and JSON lines had no pregnancy-avoid date at all, while the
    protocol wants it "on the patient's screen and in exports" (review item 12)."""
    text = export(demo_db, "--format", "csv", capsys=capsys)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert "pregnancy_avoid_until" in rows[0]
    _avoid_until_holds(rows)  # type: ignore[arg-type]
    lines = export(demo_db, "--format", "jsonl", capsys=capsys).splitlines()
    _avoid_until_holds([json.loads(line) for line in lines])


def test_a_pseudonymised_csv_shifts_the_avoid_date_with_the_sessions(
        demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["export", "--db", str(demo_db), "--pseudonymise", "-o", str(demo_db.parent / "x.json")])
    capsys.readouterr()
    text = export(demo_db, "--format", "csv", "--pseudonymise", capsys=capsys)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    _avoid_until_holds(rows, shifted=True)  # type: ignore[arg-type]
