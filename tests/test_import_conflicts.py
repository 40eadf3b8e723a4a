"""A patient whose own record conflicts is reported whole: nothing is attached to them.

Issue 13, case 6: an export from another clinic, whose P-00001 is another person.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from mesotui import cli, export
from mesotui.evaluation import Evaluation
from mesotui.models import Patient
from mesotui.store import Store
from mesotui.vocab import Decision, Sex
from tests.conftest import CONSENTED, TODAY, FixedClock, make_session


def other_clinics_export(path: Path) -> Path:
    """Another clinic's file: its P-00001 is a man born in 1950, with 4 sessions, 1 evaluation."""
    store = Store.in_memory(clock=FixedClock())
    stranger = store.add_patient(Patient("P-00001", "Another Person", Sex.MALE, date(1950, 3, 3),
                                         consents=CONSENTED), TODAY)
    for n in range(4):
        store.log_session(make_session(stranger.id, TODAY - timedelta(days=60 * (4 - n))), TODAY)
    store.record_evaluation(Evaluation("", stranger.id, TODAY, Decision.CONTINUE), TODAY)
    newcomer = store.add_patient(Patient("", "New Here", Sex.FEMALE, date(1990, 1, 1),
                                         consents=CONSENTED), TODAY)
    store.log_session(make_session(newcomer.id, TODAY), TODAY)
    path.write_bytes(export.to_json(export.build(store, TODAY)))
    return path


def test_another_persons_records_are_never_attached_to_a_conflicting_patient(
        demo_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = demo_store.path
    assert path is not None
    sofia = demo_store.patient("P-00001")
    sessions = [s.id for s in demo_store.sessions_for("P-00001")]
    evaluations = [e.id for e in demo_store.evaluations_for("P-00001")]
    demo_store.close()
    file = other_clinics_export(tmp_path / "other.json")
    assert cli.main(["--db", str(path), "--today", TODAY.isoformat(), "import", str(file),
                     "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    with Store.open(path, readonly=True) as after:
        assert after.patient("P-00001") == sofia
        assert [s.id for s in after.sessions_for("P-00001")] == sessions
        assert [e.id for e in after.evaluations_for("P-00001")] == evaluations
        assert any(p.name == "New Here" for p in after.patients())  # the rest is imported
    assert summary["added_patients"] == 1 and summary["added_sessions"] == 1
    assert summary["added_evaluations"] == 0
    conflict = next(c for c in summary["conflicts"] if c.startswith("P-00001"))
    assert "4 sessions" in conflict and "1 evaluation" in conflict


def test_the_conflict_line_says_what_was_held_back(
        demo_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = demo_store.path
    demo_store.close()
    file = other_clinics_export(tmp_path / "other.json")
    assert cli.main(["--db", str(path), "--today", TODAY.isoformat(), "import", str(file),
                     "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Would add 1 patient, 1 session and 0 evaluations" in out
    line = next(x for x in out.splitlines() if "P-00001" in x)
    assert "not imported" in line and "Another Person" not in line
