"""The sidecar index: a start reads only what the list shows, and never trusts a stale index."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from tinydb import TinyDB

from mesotui.demo import generate
from mesotui.engine import backend, durable, image, index, replay
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock, make_session

LATER = TODAY.replace(month=6)


def board(store: Store) -> list[tuple[str, str, object, object, int]]:
    """What the patient list shows, as plain values."""
    return [(card.id, card.name, view.status, view.next_due, view.sessions_given)
            for card, view in store.board(LATER, include_archived=True)]


def everything(store: Store) -> tuple[object, ...]:
    return (board(store), [(p, p.history) for p in store.patients()],
            sorted((s.id, s, s.history) for s in store.sessions()), store.recent_lots(),
            store.sessions_by_lot("DU25-0788"))


@pytest.fixture
def clinic(tmp_path: Path, clock: FixedClock) -> Path:
    path = tmp_path / "clinic.json"
    generate(TODAY, 40).load_into(Store.open(path, clock=clock)).close()
    return path


def read_whole(path: Path) -> Store:
    """The record as it is without any index: the checkpoint parsed whole."""
    copy = path.parent / "whole" / path.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, copy)
    return Store.open(copy, readonly=True)


def test_a_start_with_the_index_shows_what_reading_the_whole_file_shows(clinic: Path) -> None:
    assert image.index_path(clinic).exists()
    with Store.open(clinic, readonly=True) as indexed, read_whole(clinic) as whole:
        assert not indexed.read_whole and whole.read_whole
        assert not indexed.records.patients  # nothing parsed yet: the list needs only the cards
        assert everything(indexed) == everything(whole)


def test_the_checkpoint_is_byte_for_byte_what_tinydb_data_dumped_whole_would_be(
        clinic: Path) -> None:
    raw = clinic.read_bytes()
    assert orjson.dumps(TinyDB(clinic).storage.read()) == raw


def test_saves_after_the_checkpoint_are_replayed_over_the_index_and_change_the_list(
        clinic: Path, clock: FixedClock) -> None:
    writer = Store.open(clinic, clock=clock)
    patient = next(p for p in writer.patients() if writer.outlook(p, LATER).sessions_given)
    before = writer.outlook(patient, LATER)
    session = writer.log_session(make_session(patient.id, TODAY), TODAY)
    renamed = writer.update_patient(replace(patient, name="Renamed Since"), TODAY, reason="typo")
    # The writer is killed here: its saves are in the journal only, over an indexed checkpoint.
    writer.close(fold=False)  # as if killed: the journal keeps every save
    with Store.open(clinic, readonly=True) as reader:
        assert not reader.read_whole
        after = reader.outlook(reader.patient(patient.id), LATER)
        assert after.sessions_given == before.sessions_given + 1
        assert after.last_session == TODAY
        assert reader.session(session.id).patient_id == patient.id
        assert [c.name for c in reader.cards() if c.id == patient.id] == [renamed.name]


def test_an_index_for_another_checkpoint_is_ignored(clinic: Path, clock: FixedClock) -> None:
    stale = image.index_path(clinic).read_bytes()
    with Store.open(clinic, clock=clock) as writer:
        patient = writer.patients()[0]
        writer.update_patient(replace(patient, name="Changed After"), TODAY, reason="typo")
    image.index_path(clinic).write_bytes(stale)  # say a crash came between the two writes
    with Store.open(clinic, readonly=True) as reader:
        assert reader.read_whole  # read whole instead
        assert reader.patient(patient.id).name == "Changed After"


def test_a_file_changed_by_another_tinydb_program_is_read_whole(clinic: Path) -> None:
    db = TinyDB(clinic)
    db.table("patients").update({"seen_by": "another program"}, doc_ids=[1])  # rewrites it all
    db.close()
    with Store.open(clinic, readonly=True) as reader, read_whole(clinic) as whole:
        assert reader.read_whole
        assert reader.engine.doc("patients", "1")["seen_by"] == "another program"
        assert everything(reader) == everything(whole)


def test_a_failed_index_write_loses_nothing(clinic: Path, clock: FixedClock,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = durable.atomic_write

    def no_index(path: Path, payload: bytes, **kwargs: object) -> object:
        if path.name.endswith(".index"):
            raise OSError(28, "No space left on device")
        return real_write(path, payload, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(durable, "atomic_write", no_index)
    with Store.open(clinic, clock=clock) as writer:
        patient = writer.patients()[0]
        writer.update_patient(replace(patient, name="Saved Anyway"), TODAY, reason="typo")
    assert not image.index_path(clinic).exists()
    assert not replay.journal_path(clinic).exists()
    monkeypatch.undo()
    with Store.open(clinic, readonly=True) as reader:
        assert reader.patient(patient.id).name == "Saved Anyway"


def test_a_fold_in_the_middle_of_a_session_writes_an_index_that_holds_the_latest_save(
        clinic: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "CHECKPOINT_EVERY", 2)
    with Store.open(clinic, clock=clock) as writer:
        patient = writer.patients()[0]
        first = writer.log_session(make_session(patient.id, TODAY), TODAY)
        second = writer.log_session(make_session(patient.id, TODAY), TODAY)  # folds here
        assert not replay.journal_path(clinic).exists()
        with Store.open(clinic, readonly=True) as reader:
            assert not reader.read_whole
            assert {first.id, second.id} <= {s.id for s in reader.sessions_for(patient.id)}


def test_sessions_read_in_steps_are_finished_at_once_by_a_save(
        clinic: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "CHUNK", 10)
    Store.open(clinic, clock=clock).close()  # rewrites the index in chunks of ten rows
    with Store.open(clinic, clock=clock) as writer, read_whole(clinic) as whole:
        steps = writer.prepare()
        next(steps)
        assert not writer.records.known  # paused between chunks, as between keystrokes
        patient = writer.patients()[0]
        logged = writer.log_session(make_session(patient.id, TODAY), TODAY)  # needs them all
        assert writer.records.known and list(steps) == []
        assert logged.id in {s.id for s in writer.sessions_for(patient.id)}
        assert len(writer.sessions()) == len(whole.sessions()) + 1


def test_a_checkpoint_read_in_the_background_is_the_file_byte_for_byte(tmp_path: Path) -> None:
    from mesotui.clinic.rows import LAYOUT
    from mesotui.demo import generate
    from mesotui.engine.checkpoint import read_checkpoint

    path = tmp_path / "clinic.json"
    clinic = generate(TODAY, 40)
    with Store.open(path) as store:
        store.bulk_load(clinic.patients, clinic.sessions, clinic.settings)
    image = read_checkpoint(path, LAYOUT)
    assert image is not None and image.catalogue is not None  # read through its index
    assert image.raw == path.read_bytes()
    image.source.close()


def test_a_failed_background_read_is_raised_where_the_bytes_are_needed(tmp_path: Path) -> None:
    from mesotui.engine.source import FileSource
    from mesotui.errors import RecordFileError

    path = tmp_path / "clinic.json"
    path.write_bytes(b"{}" * 50)
    source = FileSource(path, path.open("rb"), 200, prove=lambda digest: None)  # cut short
    with pytest.raises(RecordFileError, match="changed while it was being read"):
        source.why_not()
    source.close()


def test_reads_by_place_are_the_files_own_bytes(tmp_path: Path) -> None:
    """Spans in file order and close together are read in one go, others one by one: in
    every order and size they give the file's bytes, a read past its end is refused, and the
    file replaced and opened again is read anew."""
    import random

    from mesotui.engine.source import GAP, FileSource
    from mesotui.errors import RecordFileError

    path = tmp_path / "clinic.json"
    raw = random.Random(7).randbytes(3 * GAP + 123)
    path.write_bytes(raw)
    source = FileSource(path, path.open("rb"), len(raw))
    near = [(1000 + 500 * n, 1300 + 500 * n) for n in range(40)]  # in file order, close
    apart = [(0, 10), (2 * GAP, 2 * GAP + 10), (20, 30)]
    for group in (near, apart, near[::-1], [], [(5, 900)], [(0, len(raw))]):
        assert source.reads(group) == [raw[start:end] for start, end in group]
    with pytest.raises(RecordFileError, match="changed while it was being read"):
        source.read(len(raw) - 10, len(raw) + 10)
    source.close()
    path.write_bytes(raw[::-1])  # another file at the path, of the same size
    assert source.reads(near[:3]) == [raw[::-1][start:end] for start, end in near[:3]]
    source.close()


def test_a_file_rewritten_in_place_while_read_is_refused_not_mixed(tmp_path: Path) -> None:
    import io
    import threading

    from mesotui.clinic.rows import LAYOUT
    from mesotui.engine import checkpoint
    from mesotui.errors import RecordFileError

    path = tmp_path / "clinic.json"
    clinic = generate(TODAY, 10)
    with Store.open(path) as store:
        store.bulk_load(clinic.patients, clinic.sessions, clinic.settings)
    raw = path.read_bytes()
    token = orjson.loads(raw)["meta"]["1"]["checkpoint"].encode()

    class RewrittenMeanwhile(io.BytesIO):
        """Reads the tables first as they were, then (the proof's reads, on its thread) the
        file as rewritten in place, same size."""

        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            if threading.current_thread() is threading.main_thread():
                return data
            return data.replace(token, b"f" * len(token))

    image = checkpoint._from_index(path, RewrittenMeanwhile(raw), len(raw), LAYOUT)  # type: ignore[arg-type]
    assert image is not None
    with pytest.raises(RecordFileError, match="changed while it was being read"):
        image.unproven()


def test_opening_one_patient_reads_only_their_own_rows_of_the_index(
        clinic: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A group's first record opened must not wait for every session of the clinic (issue
    19: open p95 ≤ 50 ms at 20,000 patients): the index keeps each patient's rows together
    and their place in the patient's row."""
    monkeypatch.setattr(index, "CHUNK", 10)
    image.index_path(clinic).unlink()
    Store.open(clinic, clock=clock).close()  # writes the index anew, in lines of ten rows
    with Store.open(clinic, readonly=True) as reader, read_whole(clinic) as whole:
        patient = next(p for p in whole.patients() if len(whole.sessions_for(p.id)) > 3)
        opened = reader.sessions_for(patient.id)
        assert not reader.records.known  # the rest of the clinic is still unread
        catalogue = reader.engine.image.catalogue
        assert catalogue is not None
        lines = -(-len(whole.sessions()) // 10)
        assert catalogue.left >= lines - 2  # one line read, or two when theirs straddle
        assert [(s, s.history) for s in opened] == [(s, s.history)
                                                    for s in whole.sessions_for(patient.id)]
        assert reader.outlook(reader.patient(patient.id), LATER) == \
            whole.outlook(whole.patient(patient.id), LATER)
        assert everything(reader) == everything(whole)  # and the rest, once asked for


def test_a_patient_opened_after_saves_in_the_journal_shows_them_over_the_index(
        clinic: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "CHUNK", 10)
    image.index_path(clinic).unlink()
    Store.open(clinic, clock=clock).close()  # writes the index anew, in lines of ten rows
    writer = Store.open(clinic, clock=clock)
    patient = next(p for p in writer.patients() if len(writer.sessions_for(p.id)) > 3)
    held = writer.sessions_for(patient.id)[1]
    writer.void_session(held.id, reason="wrong patient")
    logged = writer.log_session(make_session(patient.id, TODAY), TODAY)
    writer.close(fold=False)  # as if killed: the saves are in the journal only
    (clinic.parent / "whole").mkdir()
    shutil.copyfile(replay.journal_path(clinic), replay.journal_path(
        clinic.parent / "whole" / clinic.name))  # read whole, with the same journal
    with Store.open(clinic, readonly=True) as reader, read_whole(clinic) as whole:
        opened = {s.id: s for s in reader.sessions_for(patient.id)}
        assert not reader.records.known
        assert opened[held.id].voided and logged.id in opened
        assert reader.outlook(reader.patient(patient.id), LATER) == \
            whole.outlook(whole.patient(patient.id), LATER)
        list(reader.prepare())  # the rows read later never put the older version back
        assert reader.session(held.id).voided
        assert everything(reader) == everything(whole)
