"""A session's number in the course is its place among the patient's counted sessions: it
never depends on an export's filter, and logging another session on the same day never moves
the number of one already saved (newcomer review items 3 and 4)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from mesotui import export, reports, schedule
from mesotui import store as store_module
from mesotui.cli import main
from mesotui.export import ExportRequest
from mesotui.interop import formats
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock, make_patient, make_session

DAY = date(2026, 1, 10)


def render(store: Store, today: date, request: ExportRequest, fmt: str = "json") -> bytes:
    """The export as `fmt`, whole (the format table's writer)."""
    return b"".join(formats.write(fmt, store, today, request))


def _csv_numbers(payload: bytes) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(payload.decode("utf-8-sig")))
    return {row["session_id"]: row["session_number"] for row in rows}


def _jsonl_numbers(payload: bytes) -> dict[str, int]:
    return {row["session_id"]: row["session_number"]
            for row in map(json.loads, payload.decode().splitlines())}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_date_filtered_export_keeps_each_sessions_number_in_the_course(
        demo_store: Store, fmt: str) -> None:
    """Failed before: every patient's first session in the range was numbered 1."""
    read = _csv_numbers if fmt == "csv" else _jsonl_numbers
    whole = read(render(demo_store, TODAY, ExportRequest(), fmt))
    since = date(2025, 6, 1)
    ranged = read(render(demo_store, TODAY, ExportRequest(since=since), fmt))
    assert ranged, "the range holds sessions"
    assert ranged == {sid: whole[sid] for sid in ranged}
    later = [sid for sid, n in ranged.items() if n not in ("1", 1, "0", None)]
    assert later, "the range starts mid-course for some patients"


def test_a_date_filtered_fhir_and_json_export_number_as_the_whole_course(
        demo_store: Store) -> None:
    since = date(2025, 6, 1)
    whole = {sid: n for p in demo_store.patients()
             for sid, n in schedule.numbers(demo_store.sessions_for(p.id)).items()}
    bundle = json.loads(render(demo_store, TODAY, ExportRequest(since=since), "fhir"))
    titles = {e["resource"]["id"]: e["resource"]["code"]["text"] for e in bundle["entry"]
              if e["resource"]["resourceType"] == "Procedure"}
    assert titles and all(title.startswith(f"Session {whole[sid]}:")
                          for sid, title in titles.items() if sid in whole)
    assert any(whole[sid] > 1 for sid in titles if sid in whole)
    document = export.build(demo_store, TODAY, ExportRequest(since=since))
    numbered = {s["id"]: s["number"] for p in document["patients"] for s in p["sessions"]}
    assert numbered and all(numbered[sid] == whole.get(sid) for sid in numbered)


def test_the_calendar_of_a_date_range_numbers_given_sessions_as_the_course(
        demo_store: Store) -> None:
    since = date(2025, 12, 1)
    text = render(demo_store, TODAY, ExportRequest(patient_ids=("P-00004",), since=since),
                  "ics").decode()
    given = [s for s in schedule.given(demo_store.sessions_for("P-00004")) if s.date >= since]
    number = schedule.numbers(demo_store.sessions_for("P-00004"))[given[0].id]
    assert f"Session {number} was given on {given[0].date}" in text.replace("\r\n ", "")


def _two_on_one_day(store: Store) -> tuple[str, str]:
    """Log a session, then a second one the same day whose (random) id sorts before it."""
    patient = store.add_patient(make_patient(), TODAY)
    first = store.log_session(make_session(patient.id, DAY, id="S-ZZZZZZZ1", lot="FIRST"), TODAY)
    second = store.log_session(make_session(patient.id, DAY, id="S-0000000A", lot="SECOND"),
                               TODAY, reason="the first was stopped")
    return first.id, second.id


def test_a_second_session_the_same_day_comes_after_the_first(store: Store) -> None:
    """Failed before: the order followed the random id, so the new session became #1 and the
    saved one moved to #2."""
    first, second = _two_on_one_day(store)
    patient_id = store.session(first).patient_id
    assert schedule.numbers(store.sessions_for(patient_id)) == {first: 1, second: 2}
    assert [s.id for s in store.sessions_for(patient_id)] == [first, second]
    assert [s.lot for s in schedule.given(store.sessions_for(patient_id))][-1] == "SECOND"


def test_the_same_day_order_holds_in_every_export_and_report(store: Store) -> None:
    first, second = _two_on_one_day(store)
    document = export.build(store, TODAY)
    assert [(s["id"], s["number"]) for s in document["patients"][0]["sessions"]] == [
        (first, 1), (second, 2)]
    assert _csv_numbers(render(store, TODAY, ExportRequest(), "csv")) == {first: "1",
                                                                          second: "2"}
    assert _jsonl_numbers(render(store, TODAY, ExportRequest(), "jsonl")) == {first: 1,
                                                                              second: 2}
    recall = reports.lot_recall(store, "FIRST")
    assert [row.number for row in recall.rows] == [1]


def test_the_same_day_order_survives_reopening_the_record_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=FixedClock()) as store:
        first, second = _two_on_one_day(store)
    with Store.open(path, clock=FixedClock()) as store:
        patient_id = store.session(first).patient_id
        assert schedule.numbers(store.sessions_for(patient_id)) == {first: 1, second: 2}
        docs = store.session_documents(patient_id)
        assert [d["id"] for d in docs] == [first, second]


# -- as the newcomer met it: the command line ----------------------------------------------


def _cli(db: Path, *argv: str) -> int:
    return main(["--db", str(db), "--today", TODAY.isoformat(), *argv])


def _exported_csv(db: Path, capsys: pytest.CaptureFixture[str], *argv: str
                  ) -> list[dict[str, str]]:
    capsys.readouterr()
    assert _cli(db, "export", "--format", "csv", *argv) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))


def test_export_since_on_the_command_line_keeps_the_course_numbers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`mesotui export --format csv --since` once gave a patient's first session in the range
    number 1 (the newcomer's S-00004-07 came out as 1 and S-00004-08 as 2, not 7 and 8)."""
    db = tmp_path / "demo.json"
    assert main(["demo", str(db), "--today", TODAY.isoformat()]) == 0
    whole = {r["session_id"]: r["session_number"] for r in _exported_csv(db, capsys)}
    ranged = _exported_csv(db, capsys, "--since", "2025-06-01")
    assert ranged and all(r["date"] >= "2025-06-01" for r in ranged)
    assert {r["session_id"]: r["session_number"] for r in ranged} == {
        r["session_id"]: whole[r["session_id"]] for r in ranged}
    assert max(int(r["session_number"]) for r in ranged) > 3


def test_a_second_session_logged_the_same_day_is_numbered_after_the_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The newcomer logged session 1 (lot DU26-0500), then a second one that day (lot L7):
    L7 became #1 and the saved one moved to #2, because the order followed the random id.
    Here the ids are drawn so that the second sorts first, as it did for the newcomer."""
    drawn = iter(["S-ZZZZZZZ1", "S-0000000A"])
    real = store_module.new_id
    monkeypatch.setattr(store_module, "new_id",
                        lambda prefix: next(drawn) if prefix == "S" else real(prefix))
    db = tmp_path / "clinic.json"
    assert _cli(db, "add-patient", "--name", "Maria López", "--sex", "female", "--dob",
                "1980-02-03") == 0
    patient_id = capsys.readouterr().out.strip()
    assert _cli(db, "consent", patient_id, "--date", "2020-01-01", "--form-version", "v3",
                "--taken-by", "Dr Test") == 0
    common = ("log", patient_id, "--date", "2026-01-10", "--anaesthesia", "none",
              "--lot-expiry", "2027-06-30", "--no-side-effects", "--counselling")
    assert _cli(db, *common, "--lot", "DU26-0500") == 0
    assert _cli(db, *common, "--lot", "L7", "--reason", "the first was stopped early") == 0
    rows = _exported_csv(db, capsys)
    assert [(r["lot"], r["session_number"]) for r in rows] == [("DU26-0500", "1"), ("L7", "2")]


def test_a_session_logged_late_is_numbered_by_its_date_after_reopening(tmp_path: Path) -> None:
    """A session entered from paper notes, dated before one saved already, is stored after it:
    the export still lists and numbers the course by date (the file read through its index)."""
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=FixedClock()) as store:
        patient = store.add_patient(make_patient(), TODAY)
        later = store.log_session(make_session(patient.id, date(2026, 1, 10), lot="LATER"), TODAY)
        earlier = store.log_session(make_session(patient.id, date(2025, 9, 1), lot="EARLIER"),
                                    TODAY, reason="from the paper notes")
    with Store.open(path, clock=FixedClock()) as store:
        assert [d["id"] for d in store.session_documents(patient.id)] == [earlier.id, later.id]
        sessions = export.build(store, TODAY)["patients"][0]["sessions"]
    assert [(s["id"], s["number"], s["lot"]) for s in sessions] == [
        (earlier.id, 1, "EARLIER"), (later.id, 2, "LATER")]
