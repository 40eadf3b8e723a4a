"""Undo answers a change with a new revision; edits made outside mesotui are detected."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from mesotui.errors import ValidationError
from mesotui.history import verify
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock, make_patient, make_session


def test_undoing_a_logged_session_voids_it(store: Store) -> None:
    patient = store.add_patient(make_patient(), TODAY)
    session = store.log_session(make_session(patient.id, date(2026, 1, 5)), TODAY)
    undone = store.revert(session.id, session.history[-1].hash)
    assert undone.voided and undone.void_reason == "undone"
    assert store.outlook(patient, TODAY).sessions_given == 0


def test_undoing_an_amendment_restores_the_content_as_a_new_revision(store: Store) -> None:
    patient = store.add_patient(make_patient(), TODAY)
    session = store.log_session(make_session(patient.id, date(2026, 1, 5)), TODAY)
    amended = store.amend_session(replace(session, volume_ml=3.0), TODAY, reason="typo")
    undone = store.revert(session.id, amended.history[-1].hash)
    assert undone.volume_ml == 1.0
    assert [r.action for r in undone.history] == ["create", "amend", "undo"]
    assert verify(undone.history) == []


def test_undoing_a_void_restores_the_session(store: Store) -> None:
    patient = store.add_patient(make_patient(), TODAY)
    session = store.log_session(make_session(patient.id, date(2026, 1, 5)), TODAY)
    voided = store.void_session(session.id, reason="wrong patient")
    restored = store.revert(session.id, voided.history[-1].hash)
    assert not restored.voided and restored.history[-1].action == "restore"
    assert store.outlook(patient, TODAY).sessions_given == 1


def test_undoing_a_patient_edit_and_a_new_patient(store: Store) -> None:
    patient = store.add_patient(make_patient(name="Ana"), TODAY)
    edited = store.update_patient(replace(patient, name="Anna"), TODAY, reason="spelling")
    assert store.revert(patient.id, edited.history[-1].hash).name == "Ana"
    again = store.patient(patient.id)
    redone = store.revert(patient.id, again.history[-1].hash)  # undoing the undo
    assert redone.name == "Anna" and not redone.archived
    new = store.add_patient(make_patient(name="Typo Entry"), TODAY)
    assert store.revert(new.id, new.history[-1].hash).archived


def test_undo_refuses_when_the_record_changed_since(store: Store) -> None:
    patient = store.add_patient(make_patient(), TODAY)
    session = store.log_session(make_session(patient.id, date(2026, 1, 5)), TODAY)
    store.amend_session(replace(session, volume_ml=2.0), TODAY, reason="fix")
    with pytest.raises(ValidationError, match="changed since"):
        store.revert(session.id, session.history[-1].hash)
    assert not store.session(session.id).voided


def test_an_edit_made_outside_mesotui_is_detected(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        patient = opened.add_patient(make_patient(), TODAY)
        session = opened.log_session(make_session(patient.id, date(2026, 1, 5), volume_ml=1.0),
                                     TODAY)
        assert opened.altered(session.id) == []
    data = json.loads(path.read_text())
    for doc in data["sessions"].values():
        doc["history"][-1]["data"]["volume_ml"] = 0.5  # a quiet dose change in a text editor
    path.write_text(json.dumps(data))
    with Store.open(path, clock=clock) as reopened:
        assert reopened.session(session.id).volume_ml == 0.5
        assert reopened.altered(session.id)[0] == "revision 1 was altered outside mesotui"
        assert reopened.altered(session.id)[1].startswith("altered outside mesotui")  # sealed
        assert [line.split(":")[0] for line in reopened.altered(patient.id)] == [session.id]


async def test_a_tampered_session_is_flagged_on_the_patient_record(tmp_path: Path,
                                                                   clock: FixedClock) -> None:
    """Like GNU Health's "altered" digest: the record says so, and the session row too."""
    from mesotui.tui.app import MesoApp
    from mesotui.tui.screens.record import RecordScreen
    from tests.test_tui_support import screen_text

    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as opened:
        patient = opened.add_patient(make_patient(name="Tampered With"), TODAY)
        session = opened.log_session(make_session(patient.id, date(2026, 1, 5)), TODAY)
    data = json.loads(path.read_text())
    for doc in data["sessions"].values():
        doc["history"][-1]["data"]["volume_ml"] = 0.5
    path.write_text(json.dumps(data))
    with Store.open(path, clock=clock) as reopened:
        app = MesoApp(store=reopened, today=TODAY)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.push_screen(RecordScreen(patient.id))
            await pilot.pause(0.2)
            text = screen_text(app)
            assert "CHANGED OUTSIDE MESOTUI" in text and session.id in text
            assert "ALTERED" in text
