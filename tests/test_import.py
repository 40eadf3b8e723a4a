"""Import: the whole file is validated first; merging adds, skips, never overwrites."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesotui import cli, export, history, importer
from mesotui.demo import generate
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False,
                    allow_infinity=False) | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def small_export() -> dict[str, Any]:
    """A valid export of a small demo clinic, built without touching any file."""
    clinic = generate(TODAY, 4)
    store = Store.in_memory(clock=FixedClock())
    store.bulk_load(clinic.patients, clinic.sessions, clinic.settings)
    return json.loads(export.to_json(export.build(store, TODAY)))


VALID = small_export()


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), "utf-8")
    return path


def run_import(db: Path, file: Path, *extra: str) -> int:
    return cli.main(["--db", str(db), "--today", TODAY.isoformat(), "import", str(file), *extra])


def test_round_trip_into_an_empty_file_gives_the_same_records(demo_store: Store,
                                                              tmp_path: Path) -> None:
    first = export.build(demo_store, TODAY)
    contents = importer.load(write(tmp_path / "e.json", first), TODAY)
    with Store.open(tmp_path / "new" / "clinic.json", clock=FixedClock()) as fresh:
        merge = importer.plan(fresh, contents)
        importer.apply(fresh, merge)
        again = export.build(fresh, TODAY)
    assert merge.added == (len(demo_store.patients()) + len(demo_store.sessions())
                           + len(demo_store.evaluations()))
    assert json.loads(export.to_json(again))["patients"] == json.loads(export.to_json(first))[
        "patients"]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path: Path,
                                                                       capsys) -> None:
    db, file = tmp_path / "clinic.json", write(tmp_path / "e.json", VALID)
    assert run_import(db, file) == 0
    before = db.read_bytes()
    assert run_import(db, file, "--json") == 0
    summary = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert summary["added"] == 0 and summary["unchanged"] > 0 and summary["conflicts"] == []
    assert db.read_bytes() == before


def test_a_differing_record_is_a_conflict_and_is_not_overwritten(tmp_path: Path,
                                                                 capsys) -> None:
    db, file = tmp_path / "clinic.json", write(tmp_path / "e.json", VALID)
    assert run_import(db, file) == 0
    with Store.open(db, clock=FixedClock()) as store:
        held = store.patient("P-00001")
        store.update_patient(type(held)(**{**_fields(held), "notes": "changed here"}), TODAY,
                             reason="new note")
    capsys.readouterr()
    assert run_import(db, file) == 0
    out = capsys.readouterr().out
    assert "1 conflict." in out and "P-00001: the record held is newer" in out
    with Store.open(db, readonly=True) as store:
        assert store.patient("P-00001").notes == "changed here"


def _fields(patient: Any) -> dict[str, Any]:
    return {name: getattr(patient, name) for name in patient.__slots__}


def test_dry_run_reports_but_changes_nothing(tmp_path: Path, capsys) -> None:
    db, file = tmp_path / "clinic.json", write(tmp_path / "e.json", VALID)
    assert run_import(db, file, "--dry-run") == 0
    assert "Would add 4 patients" in capsys.readouterr().out
    assert not db.exists()


def broken(change: str) -> Any:
    document = copy.deepcopy(VALID)
    patient, session = document["patients"][1], document["patients"][1]["sessions"][0]
    if change == "duplicate id":
        document["patients"][2]["sessions"][0]["id"] = session["id"]
    elif change == "impossible date":
        session["date"] = "2025-02-30"
    elif change == "unknown severity":
        patient["sessions"][0]["side_effects"] = [{"effect": "pain", "severity": "awful"}]
    elif change == "edited name":
        patient["name"] = "Someone Else"
    elif change == "edited history":
        patient["history"][0]["data"]["name"] = "Someone Else"
    elif change == "wrong patient":
        document["patients"][2]["sessions"].append(session)
        patient["sessions"].remove(session)
    elif change == "wrong version":
        document["schema_version"] = 3
    elif change == "pseudonymised":
        document["pseudonymised"] = True
    elif change == "future session":
        data = dict(session["history"][-1]["data"], date="2027-01-01")
        session["history"] = [r.to_doc() for r in history.append(
            (), "create", data, at=history.Revision.from_doc(session["history"][0]).when)]
        session.update(date="2027-01-01", amended=False)
    return document


@pytest.mark.parametrize("change, message", [
    ("duplicate id", "appears twice"), ("impossible date", "not a real calendar date"),
    ("unknown severity", "awful"), ("edited name", "patients[1].name: does not match"),
    ("edited history", "altered outside mesotui"), ("wrong patient", "belongs to"),
    ("wrong version", "schema_version: 3 is not supported"),
    ("pseudonymised", "cannot be imported"), ("future session", "in the future")])
def test_an_invalid_file_is_rejected_in_one_line_and_changes_nothing(
        tmp_path: Path, capsys, change: str, message: str) -> None:
    db = tmp_path / "clinic.json"
    assert run_import(db, write(tmp_path / "seed.json", VALID)) == 0
    before = db.read_bytes()
    capsys.readouterr()
    assert run_import(db, write(tmp_path / "bad.json", broken(change))) == 1
    err = capsys.readouterr().err
    assert err.startswith("mesotui: bad.json: ") and message in err and err.count("\n") == 1
    assert db.read_bytes() == before


@pytest.mark.parametrize("raw", [b"", b"{", json.dumps(VALID)[:500].encode(), b"\xff\xfe",
                                 b"[]", b'{"format": "something-else"}'])
def test_a_malformed_or_truncated_file_is_rejected(tmp_path: Path, capsys, raw: bytes) -> None:
    db = tmp_path / "clinic.json"
    (tmp_path / "bad.json").write_bytes(raw)
    assert run_import(db, tmp_path / "bad.json") == 1
    assert "bad.json" in capsys.readouterr().err
    assert not db.exists()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=JSON)
def test_arbitrary_json_is_rejected_never_a_crash(tmp_path: Path, document: Any) -> None:
    db = tmp_path / "clinic.json"
    if not db.exists():
        assert run_import(db, write(tmp_path / "seed.json", VALID)) == 0
    before = db.read_bytes()
    assert run_import(db, write(tmp_path / "any.json", document)) == 1
    assert db.read_bytes() == before


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


PATHS = _paths(VALID)[1:]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(PATHS), replacement=JSON)
def test_a_valid_file_with_any_value_replaced_is_imported_or_rejected_cleanly(
        tmp_path: Path, where: tuple, replacement: Any) -> None:
    import tempfile

    # A fresh folder per example: a record file deleted beside its backups is never a new one.
    db = Path(tempfile.mkdtemp(dir=tmp_path)) / "clinic.json"
    assert cli.main(["--db", str(db), "add-patient", "--name", "Held Patient", "--sex", "male",
                     "--dob", "1970-01-01"]) == 0
    before = db.read_bytes()
    document = copy.deepcopy(VALID)
    target = document
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = replacement
    code = run_import(db, write(tmp_path / "any.json", document))
    assert code in (0, 1)
    if code == 1:
        assert db.read_bytes() == before
