"""The store: records in, records out, nothing ever silently changed or lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from mesotui import store as store_module
from mesotui.engine import durable
from mesotui.errors import NotFound, ReadOnlyStore, RecordFileError, ValidationError, WriteFailed
from mesotui.history import verify
from mesotui.models import Patient
from mesotui.settings import Settings
from mesotui.store import Store
from mesotui.vocab import CourseStatus, DueStatus
from tests.conftest import TODAY, FixedClock, make_patient, make_session


def add_with_session(store: Store, day: date = date(2026, 1, 5)) -> tuple[Patient, str]:
    patient = store.add_patient(make_patient(), TODAY)
    session = store.log_session(make_session(patient.id, day, lot="DU25-0412"), TODAY)
    return patient, session.id


def test_added_records_get_stable_string_ids(store: Store) -> None:
    patient, session_id = add_with_session(store)
    assert patient.id.startswith("P-") and session_id.startswith("S-")
    assert store.patient(patient.id).name == "Test Patient"
    assert [s.id for s in store.sessions_for(patient.id)] == [session_id]


def test_ids_and_records_survive_close_and_reopen(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as first:
        patient, session_id = add_with_session(first)
    with Store.open(path, clock=clock) as again:
        assert again.patient(patient.id) == patient
        assert again.session(session_id).lot == "DU25-0412"
        assert again.outlook(again.patient(patient.id), TODAY).next_due == date(2026, 3, 5)


def test_amend_needs_a_reason_and_keeps_the_previous_version(store: Store) -> None:
    patient, session_id = add_with_session(store)
    held = store.session(session_id)
    with pytest.raises(ValidationError, match="reason"):
        store.amend_session(replace(held, volume_ml=2.0), TODAY, reason=" ")
    amended = store.amend_session(replace(held, volume_ml=2.0), TODAY, reason="typo in volume")
    assert amended.volume_ml == 2.0 and amended.amended
    assert [r.action for r in amended.history] == ["create", "amend"]
    assert amended.history[0].data["volume_ml"] == 1.0
    assert amended.history[1].reason == "typo in volume"
    assert amended.history[0].at < amended.history[1].at
    assert verify(amended.history) == []


def test_void_keeps_the_record_but_stops_it_counting(store: Store) -> None:
    patient, first = add_with_session(store, date(2026, 1, 5))
    second = store.log_session(make_session(patient.id, date(2026, 1, 10)), TODAY).id
    assert store.outlook(patient, TODAY).next_due == date(2026, 3, 10)
    voided = store.void_session(second, reason="logged on the wrong patient")
    assert voided.voided and voided.void_reason == "logged on the wrong patient"
    assert [s.id for s in store.sessions_for(patient.id)] == [first, second]
    assert store.outlook(patient, TODAY).next_due == date(2026, 3, 5)
    with pytest.raises(ValidationError):
        store.amend_session(store.session(second), TODAY, reason="late fix")


def test_a_rejected_session_saves_nothing(store: Store) -> None:
    patient = store.add_patient(make_patient(), TODAY)
    with pytest.raises(ValidationError) as raised:
        store.log_session(make_session(patient.id, TODAY, volume_ml=-1.0), TODAY)
    assert "volume_ml" in raised.value.problems
    assert store.sessions_for(patient.id) == []


def test_unknown_ids_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.patient("P-NOPE")
    with pytest.raises(NotFound):
        store.log_session(make_session("P-NOPE", TODAY), TODAY)


def test_sessions_by_lot_answers_a_recall(store: Store) -> None:
    patient, session_id = add_with_session(store)
    store.log_session(make_session(patient.id, date(2026, 1, 12), lot="OTHER-1"), TODAY)
    hits = store.sessions_by_lot(" du25-0412 ")
    assert [(p.id, s.id) for p, s in hits] == [(patient.id, session_id)]
    assert store.recent_lots() == [("OTHER-1", None), ("DU25-0412", None)]


def test_pausing_removes_the_next_due_and_resuming_restores_it(store: Store) -> None:
    patient, _ = add_with_session(store)
    paused = store.set_course_status(patient.id, CourseStatus.PAUSED, TODAY, reason="travel")
    assert store.outlook(paused, TODAY).next_due is None
    assert paused.history[-1].action == "status"
    resumed = store.set_course_status(patient.id, CourseStatus.ACTIVE, TODAY, reason="back")
    assert store.outlook(resumed, TODAY).next_due == date(2026, 3, 5)


def test_archived_patients_leave_the_active_list_but_are_kept(store: Store) -> None:
    patient, _ = add_with_session(store)
    store.set_archived(patient.id, True, reason="moved away")
    assert store.overview(TODAY) == []
    assert [p.id for p, _ in store.overview(TODAY, include_archived=True)] == [patient.id]


def test_patient_edits_keep_history(store: Store) -> None:
    patient = store.add_patient(make_patient(name="Ana Smith"), TODAY)
    edited = store.update_patient(replace(patient, name="Ana Smith-Jones"), TODAY,
                                  reason="married name")
    assert [r.data["name"] for r in edited.history] == ["Ana Smith", "Ana Smith-Jones"]


def test_settings_are_saved_and_read_back(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as first:
        first.save_settings(Settings(due_soon_days=7, practitioners=("Dr A",)))
    with Store.open(path, clock=clock) as again:
        assert again.settings.due_soon_days == 7 and again.settings.practitioners == ("Dr A",)


def test_a_failed_write_leaves_file_and_memory_unchanged(tmp_path: Path, clock: FixedClock,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        patient, _ = add_with_session(opened)
        before = path.read_bytes()

        def disk_full(*args: object, **kwargs: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(durable, "full_fsync", disk_full)
        with pytest.raises(WriteFailed, match="No space left"):
            opened.log_session(make_session(patient.id, date(2026, 1, 10)), TODAY)
        assert path.read_bytes() == before
        assert len(opened.sessions_for(patient.id)) == 1
        assert list(tmp_path.glob(".clinic.json.*.tmp")) == []
        monkeypatch.undo()
        retried = opened.log_session(make_session(patient.id, date(2026, 1, 10)), TODAY)
    with Store.open(path, clock=clock) as again:
        assert [s.id for s in again.sessions_for(patient.id)][-1] == retried.id
        assert len(again.sessions_for(patient.id)) == 2


def test_a_read_only_store_refuses_changes(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as writer:
        add_with_session(writer)
        reader = Store.open(path, readonly=True)
        assert len(reader.patients()) == 1
        with pytest.raises(ReadOnlyStore):
            reader.add_patient(make_patient(), TODAY)


def test_an_older_schema_is_upgraded_through_the_migration_hook(
        tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as version1:
        patient, _ = add_with_session(version1)

    def rename_everyone(data: dict) -> None:
        for doc in data["patients"].values():
            doc["history"][-1]["data"]["notes"] = "migrated"

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(store_module.MIGRATIONS, 1, rename_everyone)
    with Store.open(path, clock=clock) as version2:
        assert version2.patient(patient.id).notes == "migrated"
    assert durable.list_backups(path), "the version 1 file is kept as a backup"
    with Store.open(path, clock=clock) as again:  # already at version 2: no second migration
        assert again.patient(patient.id).notes == "migrated"


def test_a_file_from_a_newer_mesotui_is_refused(tmp_path: Path, clock: FixedClock,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 3)
    Store.open(path, clock=clock).close()
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    before = path.read_bytes()
    with pytest.raises(RecordFileError, match="newer mesotui"):
        Store.open(path, clock=clock)
    assert path.read_bytes() == before


def test_the_demo_clinic_covers_every_state(demo_store: Store) -> None:
    """The demo shows every status, both sexes, amended and voided sessions, an expired lot."""
    rows = demo_store.overview(TODAY, include_archived=True)
    assert {view.status for _, view in rows} == set(DueStatus)
    assert len(rows) >= 30 and {p.sex.value for p, _ in rows} >= {"female", "male"}
    sessions = demo_store.sessions()
    assert any(s.voided for s in sessions) and any(s.amended for s in sessions)
    assert any(s.lot_expired and s.expired_lot_confirmed for s in sessions)
    assert any(p.archived for p, _ in rows)
    assert any(view.evaluation_due for _, view in rows)
