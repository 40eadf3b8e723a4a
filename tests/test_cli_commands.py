"""The scriptable commands: output for people or --json, exit 0/1/2, one clear line on error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mesotui.cli import main
from mesotui.store import Store
from tests.conftest import TODAY

Capsys = pytest.CaptureFixture[str]


def mesotui(db: Path, *argv: str) -> int:
    return main(["--db", str(db), "--today", TODAY.isoformat(), *argv])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "clinic.json"


ANSWERED = ("--lot", "DU25-0412", "--lot-expiry", "2027-06-30", "--no-side-effects",
            "--counselling")
"""What `mesotui log` needs besides its defaults: the lot and expiry, side effects, counselling."""


def log(db: Path, patient_id: str, day: str, *extra: str) -> int:
    """`mesotui log` of a complete routine session (no anaesthesia) on `day`."""
    return mesotui(db, "log", patient_id, "--date", day, "--anaesthesia", "none", *ANSWERED,
                   *extra)


def add(db: Path, capsys: Capsys, name: str = "Ada Test", sex: str = "female",
        consent: bool = True) -> str:
    """Add a patient; with `consent`, their consent to off-label treatment since 2020 too."""
    assert mesotui(db, "add-patient", "--name", name, "--sex", sex, "--dob", "1980-02-03") == 0
    patient_id = capsys.readouterr().out.strip()
    if consent:
        assert mesotui(db, "consent", patient_id, "--date", "2020-01-01", "--form-version",
                       "DUT-MESO v3", "--taken-by", "Dr Test") == 0
        capsys.readouterr()
    return patient_id


def test_add_patient_and_log_print_new_ids_that_are_stored(db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    assert mesotui(db, "log", patient_id, "--date", "2025-12-01", "--anaesthesia", "local",
                   "--lot", "DU-7", "--lot-expiry", "2027-01-31", "--side-effect", "pain:mild",
                   "--side-effect", "headache:moderate", "--dose-notes", "1 cm apart",
                   "--volume-ml", "1.5", "--counselling") == 0
    session_id = capsys.readouterr().out.strip()
    with Store.open(db, readonly=True) as store:
        session = store.session(session_id)
        assert store.patient(patient_id).name == "Ada Test"
    assert session.patient_id == patient_id and session.volume_ml == 1.5
    assert [(e.effect.value, e.severity.value) for e in session.side_effects] == [
        ("pain", "mild"), ("headache", "moderate")]
    assert session.product and session.practitioner == ""  # clinic defaults fill the rest


@pytest.mark.parametrize("argv, code, message", [
    (["log", "{p}", "--anaesthesia", "topical", "--date", "2025-02-30"], 2,
     "not a real calendar date"),
    (["log", "{p}", "--anaesthesia", "topical", "--side-effect", "pain:awful"], 2,
     "is not EFFECT:SEVERITY"),
    (["log", "{p}", "--anaesthesia", "general"], 2, "invalid choice"),
    (["log", "{p}", "--anaesthesia", "topical", "--volume-ml", "lots"], 2, "not a number"),
    (["log", "{p}", "--anaesthesia", "topical", "--date", "2026-03-01"], 1, "in the future"),
    (["log", "{p}", "--anaesthesia", "topical", "--volume-ml", "90"], 1, "volume_ml"),
    (["log", "P-NOPE", "--anaesthesia", "topical"], 1, "no patient has the id 'P-NOPE'"),
    (["log", "{p}", "--anaesthesia", "none", "--lot", "OLD", "--lot-expiry", "2025-01-01"], 1,
     "--confirm-expired-lot"),
    (["add-patient", "--name", "X", "--sex", "female", "--dob", "2030-01-01"], 1,
     "is in the future"),
    (["void", "S-NOPE", "--reason", "x"], 1, "no session has the id"),
    (["course", "{p}", "resume"], 1, "already active"),
    (["due", "--within", "soon"], 2, "not a whole number"),
    (["export", "--since", "someday"], 2, "is not a date"),
])
def test_bad_values_exit_1_or_2_with_a_clear_message_and_no_traceback(
        db: Path, capsys: Capsys, argv: list[str], code: int, message: str) -> None:
    patient_id = add(db, capsys)
    before = db.read_bytes()
    args = [a.replace("{p}", patient_id) for a in argv]
    try:
        result = mesotui(db, *args)
    except SystemExit as usage:  # argparse's own exit
        result = usage.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    assert result == code and message in err and "Traceback" not in err
    if code == 1:
        assert err.count("\n") == 1 and err.startswith("mesotui: ")
    assert db.read_bytes() == before


def test_writers_are_refused_while_the_app_holds_the_file_but_readers_work(
        db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    with Store.open(db):  # the app, in another window
        assert mesotui(db, "add-patient", "--name", "B", "--sex", "male", "--dob",
                       "1970-01-01") == 1
        assert "open in another mesotui window" in capsys.readouterr().err
        for argv in (["export"], ["due"], ["lot", "X"], ["check"]):
            assert mesotui(db, *argv) == 0, argv
        assert patient_id in capsys.readouterr().out


def test_due_lists_overdue_then_due_soon_soonest_first(db: Path, capsys: Capsys) -> None:
    late, soon = add(db, capsys, "Late Patient"), add(db, capsys, "Soon Patient")
    later = add(db, capsys, "Much Later")
    for patient_id, day in ((late, "2025-10-20"), (soon, "2025-11-20"), (later, "2025-12-20")):
        assert log(db, patient_id, day) == 0
    capsys.readouterr()
    assert mesotui(db, "due") == 0
    out = capsys.readouterr().out
    assert out.index("Late Patient") < out.index("Soon Patient") and "Much Later" not in out
    assert "overdue" in out
    assert main(["due", "--within", "60", "--json", "--db", str(db), "--today", "2026-01-15"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["patient_id"] for r in rows] == [late, soon, later]
    assert rows[0]["next_due"] == "2025-12-20" and rows[0]["days"] < 0


def test_lot_finds_every_patient_who_received_it(db: Path, capsys: Capsys) -> None:
    first, second = add(db, capsys, "First"), add(db, capsys, "Second")
    for patient_id, lot in ((first, "DU25-0412"), (second, "DU25-0412"), (first, "OTHER")):
        assert log(db, patient_id, "2025-12-01", "--lot", lot,
                   *(["--reason", "second lot"] if lot == "OTHER" else [])) == 0
    capsys.readouterr()
    assert mesotui(db, "lot", "du25-0412", "--json") == 0
    hits = json.loads(capsys.readouterr().out)
    assert sorted(h["name"] for h in hits) == ["First", "Second"]
    assert mesotui(db, "lot", "NEVER") == 0
    assert "No session received lot NEVER" in capsys.readouterr().out


def test_void_and_course_changes_are_scriptable(db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    assert log(db, patient_id, "2025-12-01") == 0
    session_id = capsys.readouterr().out.strip()
    assert mesotui(db, "void", session_id, "--reason", "logged twice") == 0
    assert mesotui(db, "course", patient_id, "pause", "--reason", "travelling") == 0
    assert capsys.readouterr().out.strip().endswith(f"{patient_id} paused")
    with Store.open(db, readonly=True) as store:
        assert store.session(session_id).void_reason == "logged twice"
        assert store.patient(patient_id).status_event.reason == "travelling"  # type: ignore[union-attr]
    assert mesotui(db, "course", patient_id, "resume", "--json") == 0
    assert json.loads(capsys.readouterr().out)["status"] == "active"


def test_export_to_a_file_then_import_elsewhere(db: Path, tmp_path: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    out = tmp_path / "export.json"
    assert main(["export", "-o", str(out), "--patient", patient_id, "--db", str(db)]) == 0
    assert "Exported 1 patient and 0 sessions" in capsys.readouterr().out
    assert (out.stat().st_mode & 0o777) == 0o600
    other = tmp_path / "other.json"
    assert mesotui(other, "import", str(out)) == 0
    assert ("Added 1 patient, 0 sessions and 0 evaluations; 0 unchanged; 0 conflicts."
            in capsys.readouterr().out)
    assert mesotui(db, "export") == 0
    assert json.loads(capsys.readouterr().out)["patients"][0]["id"] == patient_id


def test_the_installed_command_returns_the_documented_exit_codes(db: Path) -> None:
    script = shutil.which("mesotui") or str(Path(sys.executable).parent / "mesotui")

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([script, "--db", str(db), *argv], capture_output=True, text=True,
                              timeout=60)

    added = run("add-patient", "--name", "Ada", "--sex", "female", "--dob", "1980-02-03")
    assert added.returncode == 0 and added.stdout.startswith("P-")
    assert run("check").returncode == 0
    missing = run("void", "S-NOPE", "--reason", "x")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    usage = run("log", "P-X", "--date", "someday", "--anaesthesia", "none")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_export_says_how_many_patients_and_sessions_it_wrote(tmp_path: Path,
                                                             capsys: Capsys) -> None:
    from mesotui.demo import generate

    db = tmp_path / "clinic.json"
    generate(TODAY).load_into(Store.open(db)).close()
    with Store.open(db, readonly=True) as store:
        patients, sessions = len(store.patients()), len(store.sessions())
    out = tmp_path / "export.json"
    assert main(["export", "-o", str(out), "--db", str(db), "--today", str(TODAY)]) == 0
    said = capsys.readouterr().out
    assert f"Exported {patients} patients and {sessions} sessions (JSON)" in said
    written = json.loads(out.read_text())
    assert sum(len(p["sessions"]) for p in written["patients"]) == sessions > 100
