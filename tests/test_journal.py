"""The write-ahead journal: saves are one fsynced line, folded into the TinyDB file later."""

from __future__ import annotations

from pathlib import Path

import pytest
from tinydb import TinyDB

from mesotui.engine import backend, durable, replay
from mesotui.errors import CorruptRecordFile, WriteFailed
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock, make_patient, make_session


def test_a_save_appends_to_the_journal_and_leaves_the_record_file_alone(tmp_path: Path,
                                                                        clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        patient = opened.add_patient(make_patient(), TODAY)
        checkpoint = path.read_bytes()
        opened.log_session(make_session(patient.id, TODAY), TODAY)
        assert path.read_bytes() == checkpoint
        assert replay.journal_path(path).read_bytes().count(b"\n") == 2
    assert not replay.journal_path(path).exists()  # folded in on close


def test_another_reader_sees_every_save_while_the_app_is_open(tmp_path: Path,
                                                              clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as writer:
        patient = writer.add_patient(make_patient(name="Only in the journal"), TODAY)
        with Store.open(path, readonly=True) as reader:
            assert reader.patient(patient.id).name == "Only in the journal"


def test_plain_tinydb_reads_the_record_file(tmp_path: Path, clock: FixedClock) -> None:
    """The file stays TinyDB's own format: any TinyDB program can read it."""
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        patient = opened.add_patient(make_patient(name="Interop"), TODAY)
        opened.log_session(make_session(patient.id, TODAY), TODAY)
    with TinyDB(path, access_mode="r") as plain:
        assert [doc["id"] for doc in plain.table("patients").all()] == [patient.id]
        assert len(plain.table("sessions")) == 1
        assert plain.table("meta").get(doc_id=1)["schema_version"] == 1


def test_a_torn_last_entry_is_ignored_and_the_rest_replayed(tmp_path: Path,
                                                            clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    opened = Store.open(path, clock=clock)
    patient = opened.add_patient(make_patient(), TODAY)
    opened.close(fold=False)  # as if killed: the journal keeps every save
    with replay.journal_path(path).open("ab") as journal:
        journal.write(b'0123456789abcdef {"seq": 9, "w": [["patie')  # killed mid-append
    with Store.open(path, clock=clock) as again:
        assert again.patient(patient.id).name == "Test Patient"
    assert not replay.journal_path(path).exists()


def test_damage_inside_the_journal_is_corruption_not_silence(tmp_path: Path,
                                                             clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    opened = Store.open(path, clock=clock)
    opened.add_patient(make_patient(name="A"), TODAY)
    opened.add_patient(make_patient(name="B"), TODAY)
    opened.close(fold=False)  # as if killed: the journal keeps every save
    journal = replay.journal_path(path)
    lines = journal.read_bytes().split(b"\n")
    lines[0] = lines[0].replace(b'"A"', b'"Z"')  # edited outside mesotui
    journal.write_bytes(b"\n".join(lines))
    before = journal.read_bytes()
    with pytest.raises(CorruptRecordFile, match="entry 1 is damaged"):
        Store.open(path, clock=clock)
    assert journal.read_bytes() == before


def test_a_failed_append_leaves_the_journal_byte_identical(tmp_path: Path, clock: FixedClock,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        patient = opened.add_patient(make_patient(), TODAY)
        journal = replay.journal_path(path).read_bytes()

        def fail(*args: object) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(durable, "full_fsync", fail)
        with pytest.raises(WriteFailed, match="Input/output error"):
            opened.log_session(make_session(patient.id, TODAY), TODAY)
        assert replay.journal_path(path).read_bytes() == journal
        monkeypatch.undo()


def test_the_journal_is_folded_in_every_so_many_saves(tmp_path: Path, clock: FixedClock,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "CHECKPOINT_EVERY", 3)
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        for n in range(3):
            opened.add_patient(make_patient(name=f"P{n}"), TODAY)
        assert not replay.journal_path(path).exists()
        with TinyDB(path, access_mode="r") as plain:
            assert len(plain.table("patients")) == 3
