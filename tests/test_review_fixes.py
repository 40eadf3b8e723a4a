"""Defects found in review, each pinned by a test: saves, readers, imports, restores, rules."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from mesotui import recovery
from mesotui.engine import backend, durable, replay
from mesotui.errors import CorruptRecordFile, ValidationError
from mesotui.evaluation import Consent, Evaluation
from mesotui.store import Store
from mesotui.vocab import CourseStatus, Decision
from tests.conftest import TODAY, FixedClock, make_patient, make_session


def test_a_failed_fold_after_a_durable_append_is_still_a_save(
        tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal line is on disk: the save succeeded, and is never written twice."""
    monkeypatch.setattr(backend, "CHECKPOINT_EVERY", 2)
    path = tmp_path / "clinic.json"
    opened = Store.open(path, clock=clock)
    patient = opened.add_patient(make_patient(), TODAY)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(durable, "atomic_write", disk_full)
    session = opened.log_session(make_session(patient.id, TODAY, id="S-FIXED"), TODAY)
    assert opened.session("S-FIXED") == session
    with pytest.raises(ValidationError, match="already in use"):
        opened.log_session(make_session(patient.id, TODAY, id="S-FIXED"), TODAY)
    monkeypatch.undo()
    opened.close()
    data = json.loads(path.read_text())
    assert [d["id"] for d in data["sessions"].values()] == ["S-FIXED"]


def test_a_reader_meeting_a_fold_reads_again_instead_of_returning_stale_data(
        tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    writer = Store.open(path, clock=clock)
    patient = writer.add_patient(make_patient(name="Recall Me"), TODAY)  # in the journal only
    real_read = replay.read_checkpoint
    folded: list[bool] = []

    def read_then_fold(target: Path, *args: object, **options: bool):  # type: ignore[no-untyped-def]
        data = real_read(target, *args, **options)
        if not folded:  # the writer folds right after the reader read the old checkpoint
            folded.append(True)
            writer.close()
        return data

    monkeypatch.setattr(replay, "read_checkpoint", read_then_fold)
    with Store.open(path, readonly=True) as reader:
        assert reader.patient(patient.id).name == "Recall Me"
    assert folded == [True]


def test_a_rejected_bulk_load_leaves_nothing_behind(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        held = opened.add_patient(make_patient(name="Held"), TODAY)
        intruder = replace(opened.patient(held.id), id="P-NEW", name="Should not be saved")
        clash = replace(make_session(held.id, TODAY, id="S-1"))
        opened.log_session(clash, TODAY)
        with pytest.raises(ValidationError, match="already in use"):
            opened.bulk_load([intruder], [opened.session("S-1")])
        orphan = replace(opened.session("S-1"), id="S-2", patient_id="P-NOBODY")
        with pytest.raises(ValidationError, match="P-NOBODY is not a patient"):
            opened.bulk_load([], [orphan])
    with Store.open(path, clock=clock) as again:
        assert [p.name for p in again.patients()] == ["Held"]
        assert [s.id for s in again.sessions()] == ["S-1"]


def test_restore_keeps_the_old_journal_aside_and_the_restored_file_opens(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    for name in ("First", "Second"):
        with Store.open(path) as opened:
            opened.add_patient(make_patient(name=name), TODAY)
    crashed = Store.open(path)
    crashed.add_patient(make_patient(name="Only in the journal"), TODAY)
    crashed.close(fold=False)  # as if killed: the journal keeps every save
    path.write_bytes(path.read_bytes()[:-30])  # and then the record file is damaged
    journal = replay.journal_path(path).read_bytes()
    kept = recovery.restore(path, recovery.sound_backups(path)[0].path)
    assert kept is not None and replay.journal_path(kept).read_bytes() == journal
    with Store.open(path) as restored:
        assert [p.name for p in restored.patients()] == ["First"]


def test_a_course_change_dated_in_the_future_is_refused(store: Store) -> None:
    patient = store.add_patient(make_patient(), TODAY)
    with pytest.raises(ValidationError, match="in the future"):
        store.set_course_status(patient.id, CourseStatus.PAUSED, date(2030, 1, 1), reason="x",
                                today=TODAY)
    assert store.patient(patient.id).status is CourseStatus.ACTIVE


def test_amending_a_session_onto_a_day_without_consent_needs_the_override(store: Store) -> None:
    patient = store.add_patient(make_patient(consents=(Consent(date(2025, 6, 1)),)), TODAY)
    session = store.log_session(make_session(patient.id, date(2025, 7, 1)), TODAY)
    with pytest.raises(ValidationError) as refused:
        store.amend_session(replace(session, date=date(2025, 3, 1)), TODAY, reason="wrong day")
    assert "consent" in refused.value.problems
    moved = store.amend_session(replace(session, date=date(2025, 3, 1), consent_override=True),
                                TODAY, reason="wrong day")
    assert moved.consent_override


def test_two_evaluations_on_one_day_the_later_recorded_decides(store: Store) -> None:
    patient = store.add_patient(make_patient(), TODAY)
    for day in (date(2025, 1, 10), date(2025, 3, 10), date(2025, 5, 10), date(2025, 7, 10)):
        store.log_session(make_session(patient.id, day), TODAY)
    first = Evaluation("", patient.id, date(2025, 7, 10), Decision.MAINTENANCE,
                       maintenance_months=6)
    store.record_evaluation(first, TODAY)
    store.record_evaluation(replace(first, decision=Decision.CONTINUE), TODAY)
    assert store.outlook(store.patient(patient.id), TODAY).next_due == date(2025, 11, 10)


@pytest.mark.parametrize("meta", ['{"1": {"schema_version": 0}}', '{"1": 5}',
                                  '{"1": {"schema_version": "1"}}'])
def test_an_impossible_meta_table_is_corruption_not_a_traceback(tmp_path: Path,
                                                                 meta: str) -> None:
    path = tmp_path / "clinic.json"
    path.write_text(f'{{"meta": {meta}}}')
    with pytest.raises(CorruptRecordFile):
        Store.open(path)
    with pytest.raises(CorruptRecordFile):
        Store.open(path, readonly=True)


def test_consent_dates_in_the_future_are_refused(store: Store) -> None:
    patient = store.add_patient(make_patient(consents=()), TODAY)
    with pytest.raises(ValidationError, match="in the future"):
        store.record_consent(patient.id, Consent(date(9999, 12, 31)), TODAY)
    store.record_consent(patient.id, Consent(date(2025, 1, 1)), TODAY)
    with pytest.raises(ValidationError, match="not between"):
        store.withdraw_consent(patient.id, date(2099, 1, 1), TODAY, reason="moved")
