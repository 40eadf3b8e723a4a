"""The command line as a clinic reads it: tables within 80 columns, names cut at a word,
plurals right, --demo with any command, and --help that says what the commands do."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from rich.cells import cell_len

from mesotui.cli import main
from mesotui.demo import generate
from mesotui.models import Patient, Session
from mesotui.store import Store
from mesotui.vocab import Sex
from tests.conftest import CONSENTED, TODAY

LONG = "Ana de la Fuente Álvarez-Ångström"


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """The demo clinic, plus a patient with a long name, phone and email on lot DU24-0321."""
    db = tmp_path / "clinic.json"
    with generate(TODAY).load_into(Store.open(db)) as store:
        patient = store.add_patient(Patient(
            id="", name=LONG, sex=Sex.FEMALE, date_of_birth=date(1980, 1, 1),
            phone="+351 912 345 678 ext. 4401", email="ana.de.la.fuente.alvarez@example.org",
            consents=CONSENTED), TODAY)
        store.log_session(Session(id="", patient_id=patient.id, date=date(2025, 11, 20),
                                  volume_ml=1.0, concentration_pct=0.01, lot="DU24-0321",
                                  no_side_effects=True), TODAY)
    return db


@pytest.mark.parametrize("command", [("due", "--within", "60"), ("lot", "DU24-0321"),
                                     ("report", "lot", "DU24-0321"),
                                     ("report", "due-calendar"), ("report", "outcomes"),
                                     ("report", "side-effects")])
def test_command_line_tables_fit_80_columns_with_names_cut_at_a_word(
        clinic: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    assert main(["--db", str(clinic), "--today", TODAY.isoformat(), *command]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(cell_len(line) for line in lines) <= 80, max(lines, key=cell_len)
    shown = [line for line in lines if "Ana de la" in line]
    if command[0] in ("lot", "due") or command[1:2] == ("lot",):
        assert shown
    for line in shown:  # whole, or cut after a word with an ellipsis
        assert LONG in line or re.search(r"Ana de la[^ ]*( [^ ]+)*[ -]?…", line), line
    assert "1 sessions" not in "\n".join(lines) and "1 patients" not in "\n".join(lines)


def test_the_demo_flag_works_with_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "--today", TODAY.isoformat(), "due", "--within", "7"]) == 0
    assert "P-00001    Sofia Brennan" in capsys.readouterr().out


def test_help_says_what_the_commands_write_and_take(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "JSON, FHIR, iCalendar, CSV or JSON lines" in said
    assert "every date option also takes today, yesterday, -3d" in said
    with pytest.raises(SystemExit):
        main(["log", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    for option in ("--lot-expiry", "--no-side-effects", "--no-counselling", "--reason"):
        assert option in said




def test_check_and_a_calendar_export_count_in_words_that_hold(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Review item 31: `mesotui check` said "1 patients"; an ICS export said "Exported 36
    patients and 154 sessions (ICS)", though it wrote due dates, not the sessions given."""
    db = tmp_path / "clinic.json"
    assert main(["--db", str(db), "add-patient", "--name", "Ada Test", "--sex", "female",
                 "--dob", "1980-02-03"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "check"]) == 0
    said = capsys.readouterr().out
    assert "is sound: 1 patient, 0 sessions, 0 evaluations, 1 revision verified" in said
    target = tmp_path / "due.ics"
    assert main(["--db", str(db), "export", "--format", "ics", "-o", str(target)]) == 0
    assert capsys.readouterr().out.startswith("Exported the due sessions of 1 patient (ICS)")


def test_a_refused_log_names_every_problem_on_its_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Review item 25: `cannot log the session: lot_expiry: ... (and 1 more)`, so every
    problem needed a run of its own."""
    db = tmp_path / "demo.json"
    assert main(["demo", str(db), "--today", TODAY.isoformat()]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "--today", TODAY.isoformat(), "log", "P-00006",
                 "--anaesthesia", "none", "--lot-expiry", "2025-12-31",
                 "--no-side-effects"]) == 1
    said = capsys.readouterr().err.strip()
    assert len(said.splitlines()) == 1 and "more)" not in said
    assert "lot:" in said and "lot_expiry:" in said and "counselling" in said
