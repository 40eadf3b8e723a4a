"""The code review's attacks on the seals (notes/review-code.md C1-C3, M1, M2, m2-m5), each
made as the reviewer made it, on a file made by this mesotui: `check` exits 1 with the right
finding and the app shows it, however the attacker tries to hide it; the same changes made by
mesotui itself (restore, key new for a key truly lost) stay unflagged.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import orjson
import pytest

from mesotui import recovery
from mesotui.cli import main
from mesotui.engine import durable, image, keys, replay
from mesotui.engine.journal import StaleWriter
from mesotui.errors import MesoError
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock, make_patient
from tests.test_tamper_evidence import Data, banners, clinic, doc_of, edit, list_banner

__all__ = ["clinic"]  # the fixture, shared with test_tamper_evidence


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, _out, err = run(capsys, "check", "--db", str(path))
    return code, err


def add(path: Path, name: str) -> None:
    with Store.open(path, clock=FixedClock()) as opened:
        opened.add_patient(make_patient(name=name), TODAY)


def roll_back(path: Path) -> None:
    """Copy the newest backup over the record file and drop its index, as an attacker would."""
    shutil.copyfile(durable.list_backups(path)[0], path)
    image.index_path(path).unlink(missing_ok=True)


def export_integrity(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, _err = run(capsys, "export", "--db", str(path), "--today", TODAY.isoformat())
    assert code == 0
    return json.loads(out)["integrity"]


def open_and_close_the_app_way(path: Path) -> None:
    """What `mesotui` (the app) does with a file it only shows: open, prove, close, no save."""
    opened = Store.open(path, clock=FixedClock(), prove=False)
    opened.prove()
    opened.close()


# -- C1: a rolled-back file is noticed, however its save number is dressed up ---------------

@pytest.fixture
def rolled_back(clinic: Path) -> Path:
    add(clinic, "Seen Then Rolled Back")  # the newest backup now lacks this save
    roll_back(clinic)
    return clinic


def test_a_rolled_back_file_is_noticed(rolled_back: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, err = check(rolled_back, capsys)
    assert code == 1 and "older than a file already seen" in err


def test_a_rollback_is_noticed_despite_a_bigger_save_number_planted_in_a_dummy_table(
        rolled_back: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = rolled_back.read_bytes()
    assert raw.startswith(b"{")
    rolled_back.write_bytes(b'{"x":{"1":{"journal_seq":999999}},' + raw[1:])
    code, err = check(rolled_back, capsys)
    assert code == 1 and "older than a file already seen" in err


def test_a_rollback_is_noticed_despite_a_garbage_journal_line(
        rolled_back: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replay.journal_path(rolled_back).write_text(
        "0" * 32 + ' {"seq":999999,"w":[]}\n')
    code, err = check(rolled_back, capsys)
    assert code == 1 and "older than a file already seen" in err
    writer = Store.open(rolled_back, clock=FixedClock())  # mesotui's next save, killed before
    writer.add_patient(make_patient(name="Saved Over The Rollback"), TODAY)  # any fold,
    writer.close(fold=False)  # must not launder it
    code, err = check(rolled_back, capsys)
    assert code == 1 and "older than a file already seen" in err
    add(rolled_back, "Saved And Folded")
    code, err = check(rolled_back, capsys)
    assert code == 1 and "older than a file already seen" in err
    listed, _record = await_banners(rolled_back)
    assert "older than a file already seen" in list_banner(listed)


def test_a_rollback_is_noticed_despite_an_edited_save_number(
        rolled_back: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(rolled_back, lambda data: data["meta"]["1"].update(journal_seq=1000000))
    code, err = check(rolled_back, capsys)
    assert code == 1 and "older than a file already seen" in err
    add(rolled_back, "Saved Over The Rollback")
    code, err = check(rolled_back, capsys)
    assert code == 1 and "older than a file already seen" in err


def await_banners(path: Path, patient: str = "P-00001") -> tuple[str, str]:
    import asyncio

    return asyncio.run(banners(path, patient))


# -- C2: findings survive the app opening and closing the file without a save ---------------

def test_a_deleted_session_stays_flagged_after_the_app_opened_and_closed_it(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(clinic, lambda data: data["sessions"].pop(doc_of(data, "sessions", "S-00001-03")[0]))
    image.index_path(clinic).unlink(missing_ok=True)
    open_and_close_the_app_way(clinic)
    open_and_close_the_app_way(clinic)
    with Store.open(clinic, clock=FixedClock()) as opened:
        assert "S-00001-03" in {f.record for f in opened.integrity.ledger.findings()}
    assert "S-00001-03" in export_integrity(clinic, capsys)["failed"]  # type: ignore[operator]
    listed, _record = await_banners(clinic)
    assert "S-00001-03" in list_banner(listed)
    code, err = check(clinic, capsys)
    assert code == 1 and "S-00001-03: missing" in err


# -- C3: a forged unsealed backup is never restored as sound --------------------------------

def test_a_forged_unsealed_backup_restored_by_mesotui_is_flagged(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forged = durable.list_backups(clinic)[0]

    def strip(data: Data) -> None:
        for field in ("clinic_id", "seal"):
            data["meta"]["1"].pop(field, None)
        data.pop("manifest", None)
        data["sessions"].pop(doc_of(data, "sessions", "S-00001-03")[0])

    edit(forged, strip)
    code, out, _err = run(capsys, "restore", "--db", str(clinic))
    assert code == 0 and "carries no seal" in out.split("\n")[1]  # said where it is listed
    code, out, _err = run(capsys, "restore", "--db", str(clinic), str(forged), "--yes")
    assert code == 0 and "Restored" in out
    code, err = check(clinic, capsys)
    assert code == 1 and "no seal" in err
    listed, _record = await_banners(clinic)
    assert "no seal" in list_banner(listed)
    add(clinic, "Saved After The Restore")  # a later save keeps it flagged
    assert check(clinic, capsys)[0] == 1


def test_a_sealed_backup_restored_by_mesotui_is_not_flagged(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backup = durable.list_backups(clinic)[0]
    assert run(capsys, "restore", "--db", str(clinic), str(backup), "--yes")[0] == 0
    code, err = check(clinic, capsys)
    assert code == 0, err


# -- M1: data edited with its hashes left alone ------------------------------------------------

def test_a_dose_edited_without_its_hashes_is_flagged_everywhere(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def dose(data: Data) -> None:
        doc_of(data, "sessions", "S-00001-03")[1]["history"][-1]["data"]["volume_ml"] = 9.5

    edit(clinic, dose)
    image.index_path(clinic).unlink(missing_ok=True)
    code, err = check(clinic, capsys)
    assert code == 1 and "S-00001-03" in err and "altered" in err
    assert "S-00001-03" in export_integrity(clinic, capsys)["failed"]  # type: ignore[operator]
    code, _out, err = run(capsys, "export", "--db", str(clinic), "--format", "csv",
                          "--today", TODAY.isoformat())
    assert code == 0 and "S-00001-03" in err and "failed the integrity check" in err
    listed, record = await_banners(clinic)
    assert "S-00001-03" in list_banner(listed)
    assert "S-00001-03" in record and "CHANGED OUTSIDE MESOTUI" in record


def test_an_earlier_revision_edited_without_its_hashes_is_flagged(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(clinic, readonly=True) as store:
        amended = next(s for s in store.sessions() if len(s.history) > 1)

    def first(data: Data) -> None:
        doc_of(data, "sessions", amended.id)[1]["history"][0]["data"]["volume_ml"] = 9.5

    edit(clinic, first)
    image.index_path(clinic).unlink(missing_ok=True)
    assert amended.id in export_integrity(clinic, capsys)["failed"]  # type: ignore[operator]


def test_a_journal_entry_edited_without_its_hashes_is_flagged(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import hashlib

    writer = Store.open(clinic, clock=FixedClock())
    patient = writer.add_patient(make_patient(name="In The Journal"), TODAY)
    writer.close(fold=False)  # as if killed: the journal keeps the save
    journal = replay.journal_path(clinic)
    entry = orjson.loads(journal.read_bytes().split(b"\n")[0].partition(b" ")[2])
    entry["w"][0][2]["history"][-1]["data"]["phone"] = "+1 555 0100"
    payload = orjson.dumps(entry)
    journal.write_bytes(hashlib.blake2b(payload, digest_size=16).hexdigest().encode()
                        + b" " + payload + b"\n")
    with Store.open(clinic, readonly=True) as store:  # through the proven index
        assert patient.id in {f.record for f in store.integrity.ledger.findings()}
    code, err = check(clinic, capsys)
    assert code == 1 and patient.id in err


# -- M2: the meta table is sealed; a swapped clinic id is tampering, not a lost key ----------

def test_a_swapped_clinic_id_is_tampering_and_key_new_refuses_it(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def swap(data: Data) -> None:
        data["meta"]["1"]["clinic_id"] = "0" * 32
        data["sessions"].pop(doc_of(data, "sessions", "S-00001-03")[0])

    edit(clinic, swap)
    image.index_path(clinic).unlink(missing_ok=True)
    code, err = check(clinic, capsys)
    assert code == 1 and "another clinic" in err and "S-00001-03: missing" in err
    assert "key new" not in err
    before = clinic.read_bytes()
    code, _out, err = run(capsys, "key", "new", "--db", str(clinic), "--reason", "laptop "
                          "replaced", "--yes")
    assert code == 1 and clinic.read_bytes() == before
    listed, _record = await_banners(clinic)
    assert "S-00001-03" in list_banner(listed) and "INTEGRITY CANNOT BE CHECKED" not in listed


def test_the_reseal_note_cannot_be_deleted(tmp_path: Path, clinic: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(keys.ENV_KEYS, str(tmp_path / "new-laptop-keys"))  # the key truly lost
    code, _out, _err = run(capsys, "key", "new", "--db", str(clinic), "--reason", "stolen",
                           "--yes")
    assert code == 0
    code, out, err = run(capsys, "check", "--db", str(clinic))
    assert code == 0 and "sealed anew" in out, err
    edit(clinic, lambda data: data["meta"]["1"].pop("resealed"))
    image.index_path(clinic).unlink(missing_ok=True)
    code, err = check(clinic, capsys)
    assert code == 1 and "meta" in err


def test_an_edited_restore_note_is_flagged(clinic: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    recovery.restore(clinic, durable.list_backups(clinic)[0])
    assert check(clinic, capsys)[0] == 0
    edit(clinic, lambda data: data["meta"]["1"].pop("restored"))
    image.index_path(clinic).unlink(missing_ok=True)
    code, err = check(clinic, capsys)
    assert code == 1 and "meta" in err


# -- m2: an export never lands in the key folder; a key export never beside the record -----

def test_an_export_onto_the_key_folder_is_refused(clinic: Path, clinic_keys: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(clinic, readonly=True) as store:
        key_file = clinic_keys / f"{store.integrity.clinic}.key"
    held = key_file.read_bytes()
    for target in (key_file, clinic_keys / "paths.json", clinic_keys / "new.csv"):
        code, _out, err = run(capsys, "export", "--db", str(clinic), "--format", "csv",
                              "-o", str(target), "--today", TODAY.isoformat())
        assert code == 1 and "key" in err, target
    assert key_file.read_bytes() == held and not (clinic_keys / "new.csv").exists()
    assert check(clinic, capsys)[0] == 0


def test_a_key_export_into_the_record_folder_is_refused(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = clinic.parent / "clinic.key"
    code, _out, err = run(capsys, "key", "export", "--db", str(clinic), str(target))
    assert code == 1 and "apart" in err and not target.exists()


# -- m3: the high-water mark is per file, not per clinic ------------------------------------

def test_a_save_on_a_copy_raises_no_alarm_on_the_original(
        clinic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "stick" / "clinic.json"
    shutil.copytree(clinic.parent, copy.parent)
    add(copy, "Seen In The Other Room")
    code, err = check(clinic, capsys)
    assert code == 0, err
    add(clinic, "Seen Here")
    assert check(clinic, capsys)[0] == 0 and check(copy, capsys)[0] == 0


# -- m4: two writers after a deleted lock never write the same save number ------------------

def test_two_writers_after_a_deleted_lock_never_write_the_same_save(
        clinic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock file deleted and a second window opened just after the first checked that
    it is still alone, just before its line is written: one of the two saves, the other is
    refused, and the journal never holds two saves numbered alike."""
    import os

    first = Store.open(clinic, clock=FixedClock())
    first.add_patient(make_patient(name="First Writer's Warm-up"), TODAY)
    journal = replay.journal_path(clinic)
    real_write = os.write
    outcome: dict[str, object] = {}
    landed = threading.Event()

    def second_saves(second: Store) -> None:
        try:
            second.add_patient(make_patient(name="Second Writer"), TODAY)
            outcome["second"] = "saved"
        except StaleWriter:
            outcome["second"] = "refused"
        landed.set()

    def racing_write(fd: int, data: bytes) -> int:
        if "thread" not in outcome and threading.current_thread() is threading.main_thread() \
                and os.fstat(fd).st_ino == journal.stat().st_ino:
            (clinic.parent / "clinic.json.lock").unlink()
            outcome["store"] = second = Store.open(clinic, clock=FixedClock())  # a new lock
            outcome["thread"] = thread = threading.Thread(target=second_saves, args=(second,))
            thread.start()
            landed.wait(2)  # the second writer's save lands now, unless it must wait
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", racing_write)
    try:
        first.add_patient(make_patient(name="First Writer"), TODAY)
        outcome["first"] = "saved"
    except StaleWriter:
        outcome["first"] = "refused"
    outcome["thread"].join(10)  # type: ignore[attr-defined]
    monkeypatch.undo()
    assert sorted([outcome["first"], outcome["second"]]) == ["refused", "saved"]
    for opened in (first, outcome["store"]):
        try:
            opened.close(fold=False)  # type: ignore[attr-defined]
        except MesoError:
            pass
    with Store.open(clinic, readonly=True) as store:  # never two saves numbered alike
        names = {p.name for p in store.patients()}
    assert ("First Writer" in names) != ("Second Writer" in names)


# -- m5: another record file's backups are its own ----------------------------------------

def test_backups_of_a_similarly_named_file_are_not_this_files(clinic: Path) -> None:
    other = clinic.with_name("clinic-b.json")
    with Store.open(other, clock=FixedClock()) as opened:
        opened.add_patient(make_patient(name="Other File"), TODAY)
    with Store.open(other, clock=FixedClock()) as opened:
        opened.add_patient(make_patient(name="Other File Again"), TODAY)
    mine = durable.list_backups(clinic)
    assert mine and not any(p.name.startswith("clinic-b") for p in mine), mine
    theirs = durable.list_backups(other)
    assert theirs and not set(theirs) & set(mine)
