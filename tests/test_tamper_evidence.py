"""Tamper evidence (issue 14): each edit an attacker would make is found by `check` (exit 1,
the right finding, never a name) and shown by the app, on the list and on the record; the
same changes made by mesotui itself are not; a file opened without its key says so.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from mesotui import history, recovery
from mesotui.cli import main
from mesotui.demo import generate
from mesotui.engine import durable, image, replay
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock, make_patient, make_session

Data = dict[str, Any]


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """The demo clinic, made by this mesotui, with a few more saves (so backups exist)."""
    path = tmp_path / "clinic.json"
    generate(TODAY).load_into(Store.open(path, clock=FixedClock())).close()
    for name in ("Later One", "Later Two"):
        with Store.open(path, clock=FixedClock()) as opened:
            opened.add_patient(make_patient(name=name), TODAY)
    return path


def edit(path: Path, change: Callable[[Data], None]) -> None:
    """Change the record file as another program would (the index is left as it was)."""
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data))


def doc_of(data: Data, table: str, record_id: str) -> tuple[str, Data]:
    return next((k, d) for k, d in data[table].items() if d["id"] == record_id)


def rehash(doc: Data) -> None:
    """Recompute a record's whole SHA-256 chain, as anyone can (it is not keyed)."""
    prev = ""
    for revision in doc["history"]:
        revision["prev"] = prev
        revision["hash"] = history.digest(revision["n"], revision["action"], revision["at"],
                                          revision["by"], revision["reason"], revision["data"],
                                          prev)
        prev = revision["hash"]


def names(path: Path) -> list[str]:
    with Store.open(path, readonly=True) as store:
        return [p.name for p in store.patients()]


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["check", "--db", str(path)])
    out, err = capsys.readouterr()
    lines = err.splitlines()
    return code, lines


def assert_flagged(path: Path, capsys: pytest.CaptureFixture[str], record: str, what: str,
                   patient_names: list[str]) -> None:
    code, lines = check(path, capsys)
    assert code == 1
    assert any(record in line and what in line for line in lines), lines
    for name in patient_names:
        assert not any(name in line for line in lines)


async def banners(path: Path, patient_id: str) -> tuple[str, str]:
    """What the app shows: the list's banner, and the patient's record banner."""
    from mesotui.tui.app import MesoApp
    from tests.test_tui_support import screen_text

    store = Store.open(path, clock=FixedClock())
    try:
        app = MesoApp(store=store, today=TODAY)
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(3):
                await pilot.pause()
            listed = screen_text(app)
            app.push_screen(app.screen._record(patient_id))  # type: ignore[attr-defined]
            for _ in range(3):
                await pilot.pause()
            return listed, screen_text(app)
    finally:
        store.close()


def list_banner(text: str) -> str:
    return next((line for line in text.splitlines() if "CHANGED OUTSIDE MESOTUI" in line), "")


# -- each edit an attacker would make -----------------------------------------------------

async def test_a_recomputed_chain_is_found(clinic: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    every = names(clinic)

    def dose(data: Data) -> None:
        _, doc = doc_of(data, "sessions", "S-00001-02")
        doc["history"][-1]["data"]["volume_ml"] = 9.5
        rehash(doc)

    edit(clinic, dose)
    assert main(["check", "--db", str(clinic)]) == 1
    assert_flagged(clinic, capsys, "S-00001-02", "altered outside mesotui", every)
    listed, record = await banners(clinic, "P-00001")
    assert "S-00001-02" in list_banner(listed)
    assert "CHANGED OUTSIDE MESOTUI" in record and "S-00001-02" in record


async def test_a_recomputed_chain_of_a_session_date_is_found(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def moved(data: Data) -> None:
        _, doc = doc_of(data, "sessions", "S-00002-01")
        doc["history"][-1]["data"]["date"] = "2024-01-02"
        rehash(doc)

    edit(clinic, moved)
    assert_flagged(clinic, capsys, "S-00002-01", "altered outside mesotui", names(clinic))


async def test_a_deleted_session_is_found(clinic: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    edit(clinic, lambda data: data["sessions"].pop(doc_of(data, "sessions", "S-00001-03")[0]))
    assert_flagged(clinic, capsys, "S-00001-03", "missing", names(clinic))
    listed, record = await banners(clinic, "P-00001")
    assert "S-00001-03" in list_banner(listed)
    assert "S-00001-03" in record and "missing" in record


async def test_a_deleted_patient_and_everything_under_them_is_found(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(clinic, readonly=True) as store:
        victim = max(store.patients(), key=lambda p: (len(store.sessions_for(p.id)),
                                                      len(store.evaluations_for(p.id))))
        gone = {victim.id, *(s.id for s in store.sessions_for(victim.id)),
                *(e.id for e in store.evaluations_for(victim.id))}
        other = next(p.id for p in store.patients() if p.id != victim.id)

    def delete(data: Data) -> None:
        for table in ("patients", "sessions", "evaluations"):
            for key in [k for k, d in data[table].items()
                        if d["id"] == victim.id or d.get("patient_id") == victim.id]:
                del data[table][key]

    edit(clinic, delete)
    code, lines = check(clinic, capsys)
    assert code == 1
    assert {record for record in gone
            if any(line.startswith(f"mesotui: {clinic}: {record}: missing") for line in lines)
            } == gone
    assert not any(victim.name in line for line in lines)
    listed, _record = await banners(clinic, other)
    assert victim.id in list_banner(listed)


async def test_a_dropped_last_revision_is_found(clinic: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(clinic, readonly=True) as store:
        voided = next(s for s in store.sessions() if s.voided)
    edit(clinic, lambda data: doc_of(data, "sessions", voided.id)[1]["history"].pop())
    with Store.open(clinic, readonly=True) as store:
        assert not store.session(voided.id).voided  # the void silently undone
    assert_flagged(clinic, capsys, voided.id, "revisions dropped", names(clinic))
    listed, record = await banners(clinic, voided.patient_id)
    assert voided.id in list_banner(listed) and voided.id in record


async def test_an_older_backup_copied_over_the_file_is_found(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    oldest = durable.list_backups(clinic)[-1]
    shutil.copyfile(oldest, clinic)
    image.index_path(clinic).unlink(missing_ok=True)
    code, lines = check(clinic, capsys)
    assert code == 1 and any("older than a file already seen" in line for line in lines)
    listed, record = await banners(clinic, "P-00001") if names(clinic) else (None, None)
    if listed is not None:
        assert "older than a file already seen" in list_banner(listed)


async def test_a_journal_deleted_after_a_killed_writer_is_found(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    writer = Store.open(clinic, clock=FixedClock())
    saved = writer.add_patient(make_patient(name="Saved Then Lost"), TODAY)
    writer.close(fold=False)  # as if killed: the journal keeps every save
    replay.journal_path(clinic).unlink()
    assert "Saved Then Lost" not in names(clinic)
    code, lines = check(clinic, capsys)
    assert code == 1 and any("older than a file already seen" in line for line in lines)
    assert not any(saved.name in line for line in lines)
    listed, _record = await banners(clinic, "P-00001")
    assert "older than a file already seen" in list_banner(listed)


async def test_a_truncated_journal_is_found(clinic: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    writer = Store.open(clinic, clock=FixedClock())
    for name in ("Kept", "Cut off"):
        writer.add_patient(make_patient(name=name), TODAY)
    writer.close(fold=False)  # as if killed: the journal keeps every save
    journal = replay.journal_path(clinic)
    journal.write_bytes(journal.read_bytes().split(b"\n")[0] + b"\n")
    code, lines = check(clinic, capsys)
    assert code == 1 and any("older than a file already seen" in line for line in lines)


async def test_a_forged_index_is_found_and_never_believed(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_index_proof import forge_in_row

    with Store.open(clinic, readonly=True) as store:
        due = store.standing("P-00001").next_due
    forged = due.replace(year=due.year + 1).isoformat()
    forge_in_row(image.index_path(clinic), "P-00001", due.isoformat(), forged)
    code, lines = check(clinic, capsys)
    assert code == 1 and any("index was altered" in line for line in lines)
    with Store.open(clinic, readonly=True) as store:
        assert store.standing("P-00001").next_due == due
    listed, _record = await banners(clinic, "P-00001")
    assert "index" in list_banner(listed)


def test_an_edit_of_a_journal_entry_is_found(clinic: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    writer = Store.open(clinic, clock=FixedClock())
    patient = writer.add_patient(make_patient(name="In The Journal"), TODAY)
    writer.close(fold=False)  # as if killed: the journal keeps every save
    journal = replay.journal_path(clinic)
    line = journal.read_bytes().split(b"\n")[0]
    entry = orjson.loads(line.partition(b" ")[2])
    doc = entry["w"][0][2]
    doc["history"][-1]["data"]["phone"] = "+1 555 0100"
    rehash(doc)
    payload = orjson.dumps(entry)
    import hashlib

    forged = hashlib.blake2b(payload, digest_size=16).hexdigest().encode() + b" " + payload
    journal.write_bytes(forged + b"\n")
    code, lines = check(clinic, capsys)
    assert code == 1 and any(patient.id in line and "altered" in line for line in lines)


# -- the same changes made by mesotui itself ------------------------------------------------

async def test_amend_void_undo_import_and_restore_by_mesotui_are_not_flagged(
        clinic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(clinic, clock=FixedClock()) as store:
        session = store.sessions_for("P-00001", include_voided=False)[-1]
        amended = store.amend_session(replace(session, volume_ml=1.5), TODAY,
                                      reason="dose corrected")
        store.void_session(store.sessions_for("P-00002", include_voided=False)[-1].id,
                           reason="entered twice")
        store.revert(amended.id, amended.history[-1].hash)
        patient = store.add_patient(make_patient(name="Added Then Logged"), TODAY)
        store.log_session(make_session(patient.id, TODAY), TODAY)
    assert check(clinic, capsys)[0] == 0
    backup = recovery.sound_backups(clinic)[-1].path
    recovery.restore(clinic, backup)  # recorded: an older file, but put back by mesotui
    code, lines = check(clinic, capsys)
    assert code == 0, lines
    with Store.open(clinic, clock=FixedClock()) as store:
        later = store.add_patient(make_patient(name="After The Restore"), TODAY)
    assert check(clinic, capsys)[0] == 0
    listed, record = await banners(clinic, later.id)
    assert "CHANGED OUTSIDE" not in listed + record


def test_an_export_states_which_records_failed(clinic: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    edit(clinic, lambda data: data["sessions"].pop(doc_of(data, "sessions", "S-00001-03")[0]))
    capsys.readouterr()
    assert main(["export", "--db", str(clinic), "--today", TODAY.isoformat()]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["integrity"]["checked"] is True
    assert "S-00001-03" in document["integrity"]["failed"]


def test_a_sealed_file_exports_as_sound(clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["export", "--db", str(clinic), "--today", TODAY.isoformat()]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["integrity"] == {"checked": True, "status": "sealed", "failed": [],
                                     "file": []}
