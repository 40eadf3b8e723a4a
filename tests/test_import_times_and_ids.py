"""Import refuses a file from the future, dates after its export, and ids of any other shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mesotui import export, importer
from mesotui.cli import main
from tests.report_clinic import TODAY, small_clinic

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def document() -> dict:
    return json.loads(export.to_json(export.build(small_clinic(), TODAY)))


def refused(doc: dict, tmp_path: Path) -> str:
    path = tmp_path / "file.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(importer.ImportRejected) as raised:
        importer.load(path, TODAY, now=NOW)
    return str(raised.value)


def test_exported_at_in_the_future_of_this_clock_is_refused(tmp_path: Path) -> None:
    doc = document()
    doc["exported_at"] = "9999-12-31T00:00:00+00:00"
    assert "exported_at" in refused(doc, tmp_path) and "future" in refused(doc, tmp_path)


def test_a_date_after_the_export_is_refused_even_if_before_today(tmp_path: Path) -> None:
    doc = document()
    doc["exported_at"] = "2025-07-15T09:00:00+00:00"  # before sessions of Sep-Dec 2025
    assert "in the future" in refused(doc, tmp_path)


def test_a_file_exported_a_minute_ago_by_a_clock_ahead_is_fine(tmp_path: Path) -> None:
    doc = document()
    doc["exported_at"] = "2026-01-15T13:03:00+01:00"  # 12:03 UTC: three minutes of skew
    path = tmp_path / "file.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert importer.load(path, TODAY, now=NOW).patients


@pytest.mark.parametrize(("where", "value"), [
    (("patients", 0, "id"), "P-1 "), (("patients", 0, "id"), "p-abc"),
    (("patients", 0, "id"), "S-ABC"), (("patients", 0, "sessions", 0, "id"), "S-1\n"),
    (("patients", 0, "history", 0, "by"), "Dr\x1b[2J"),
])
def test_ids_and_revision_authors_of_another_shape_are_refused_naming_the_field(
        where: tuple, value: str, tmp_path: Path) -> None:
    doc = document()
    target = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    message = refused(doc, tmp_path)
    assert ".".join(str(k) for k in where[-1:]) in message and "\n" not in message


def test_the_command_refuses_the_future_against_the_real_clock_not_today(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = document()
    doc["exported_at"] = "9999-12-31T00:00:00+00:00"
    path = tmp_path / "file.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    db = tmp_path / "clinic.json"
    assert main(["import", str(path), "--db", str(db), "--today", "9999-12-31"]) == 1
    assert "future of this computer's clock" in capsys.readouterr().err and not db.exists()
