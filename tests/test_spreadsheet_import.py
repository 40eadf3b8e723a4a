"""`mesotui import-csv`: a clinic's spreadsheet comes in whole or not at all, with a dry run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mesotui import spreadsheet
from mesotui.cli import main
from mesotui.store import Store
from tests.conftest import TODAY

FOREIGN = (  # another system's export: semicolons, day-first dates, its own headers
    "Patient No;Surname;First name;DOB;Gender;Mobile;Treatment date;Anaesthesia;Volume (mL);"
    "Batch\n"
    "101;Ångström-Núñez;Priya;03/04/1988;F;+44 7700 900123;12/01/2025;topical;1,0;DU25-0788\n"
    "101;Ångström-Núñez;Priya;03/04/1988;F;;14/03/2025;local;1;DU25-0788\n"
    "102;Okafor;Omar;20.11.1979;m;;;;;\n")


def run(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["import-csv", "--db", str(db), "--today", TODAY.isoformat(), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def sheet(tmp_path: Path, text: str = FOREIGN, name: str = "patients.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_headers_are_mapped_forgivingly() -> None:
    header = ["Date of Birth", "SURNAME", "First-Name", "e-mail", "D.O.B.", "Tel."]
    mapped = [spreadsheet._LOOKUP.get("".join(c for c in h.casefold() if c.isalnum()), "")
              for h in header]
    assert mapped == ["date_of_birth", "last_name", "first_name", "email", "date_of_birth",
                      "phone"]


@pytest.mark.parametrize(("text", "order", "expected"), [
    ("1988-03-04", None, (1988, 3, 4)), ("04/03/1988", "day-first", (1988, 3, 4)),
    ("03/04/1988", "month-first", (1988, 3, 4)), ("4.3.88", "day-first", (1988, 3, 4)),
    ("4 Mar 1988", None, (1988, 3, 4)), ("March 4, 1988", None, (1988, 3, 4)),
])
def test_dates_in_the_common_formats(text: str, order: str | None, expected: tuple) -> None:
    day = spreadsheet.parse_day(text, order)
    assert (day.year, day.month, day.day) == expected


def test_a_dry_run_shows_what_would_be_added_and_changes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "clinic.json"
    code, out, _ = run(db, str(sheet(tmp_path)), "--dry-run", capsys=capsys)
    assert code == 0 and not db.exists()
    assert "Would add 2 patients and 2 sessions" in out
    assert "+ patients.csv, row 2  Priya Ångström-Núñez  female  1988-04-03  2 sessions" in out
    assert "+ patients.csv, row 4  Omar Okafor  male  1979-11-20  0 sessions" in out


def test_a_dry_run_shows_no_id_the_import_would_not_give(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Newcomer review 26: the dry run listed `+ P-MY7RCF3E Jane Roe`, and the import then gave
    her P-NRJKJ7C4. The dry run names each patient's row; the import lists the ids it gave."""
    db = tmp_path / "clinic.json"
    _, dry, _ = run(db, str(sheet(tmp_path)), "--dry-run", capsys=capsys)
    assert "P-" not in dry
    code, out, _ = run(db, str(sheet(tmp_path)), capsys=capsys)
    assert code == 0
    with Store.open(db, readonly=True) as store:
        for patient in store.patients():
            assert f"+ {patient.id} (patients.csv, row " in out and patient.name in out


def test_the_import_adds_patients_and_sessions_with_their_own_history_and_schedule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "clinic.json"
    code, out, _ = run(db, str(sheet(tmp_path)), capsys=capsys)
    assert code == 0 and "Added 2 patients and 2 sessions" in out
    with Store.open(db, readonly=True) as store:
        priya = next(p for p in store.patients() if p.name.startswith("Priya"))
        assert priya.phone == "+44 7700 900123" and str(priya.date_of_birth) == "1988-04-03"
        assert priya.history[0].reason == "imported from patients.csv, row 2"
        sessions = store.sessions_for(priya.id)
        assert [s.history[0].reason for s in sessions] == [
            "imported from patients.csv, row 2", "imported from patients.csv, row 3"]
        assert sessions[0].volume_ml == 1.0 and sessions[1].anaesthesia.type.value == "local"
        view = store.outlook(priya, TODAY)
        assert view.sessions_given == 2 and str(view.next_due) == "2025-05-14"  # +2 months
    assert main(["check", "--db", str(db)]) == 0
    code, out, _ = run(db, str(sheet(tmp_path)), capsys=capsys)  # a second run adds nothing
    assert code == 0 and "Added 0 patients and 0 sessions; 3 rows already held" in out


def test_one_bad_row_refuses_the_whole_file_and_names_every_bad_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "clinic.json"
    assert main(["add-patient", "--db", str(db), "--today", TODAY.isoformat(), "--name", "Held",
                 "--sex", "male", "--dob", "1980-01-01"]) == 0
    before = db.read_bytes()
    bad = FOREIGN + "103;Bad;Date;31/02/1990;f;;;;;\n104;No;Sex;01/01/1990;robot;;;;;\n" \
                    "105;Future;Session;01/01/1990;f;;01/01/2027;;;\n"
    code, _, err = run(db, str(sheet(tmp_path, bad)), capsys=capsys)
    assert code == 1 and db.read_bytes() == before
    assert "patients.csv, row 5: date of birth: day is out of range for month" in err
    assert "patients.csv, row 6: sex 'robot' is not female, male or other" in err
    assert "patients.csv, row 7: date: 2027-01-01 is in the future" in err
    assert "nothing was imported" in err


def test_ambiguous_dates_ask_for_the_order_once(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    ambiguous = "Name;DOB;Sex\nAnn Lee;03/04/1988;f\nBo Yu;05/06/1977;m\n"
    db = tmp_path / "clinic.json"
    code, _, err = run(db, str(sheet(tmp_path, ambiguous)), capsys=capsys)
    assert code == 1 and "--dates day-first or --dates month-first" in err
    code, _, _ = run(db, str(sheet(tmp_path, ambiguous)), "--dates", "month-first",
                     capsys=capsys)
    with Store.open(db, readonly=True) as store:
        assert sorted(str(p.date_of_birth) for p in store.patients()) == [
            "1977-05-06", "1988-03-04"]


def test_past_sessions_from_a_second_file_join_their_patients_by_id(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    patients = sheet(tmp_path, "ID,Full name,Date of birth,Sex\n7,Kwame Mensah,1990-05-05,M\n")
    sessions = sheet(tmp_path, "Patient ID,Session date,Lot\n7,2025-06-01,L1\n7,2025-08-01,L1\n",
                     "visits.csv")
    db = tmp_path / "clinic.json"
    code, out, _ = run(db, str(patients), "--sessions", str(sessions), capsys=capsys)
    assert code == 0 and "Added 1 patient and 2 sessions" in out
    with Store.open(db, readonly=True) as store:
        (kwame,) = store.patients()
        assert [s.history[0].reason for s in store.sessions_for(kwame.id)] == [
            "imported from visits.csv, row 2", "imported from visits.csv, row 3"]


def test_the_import_benchmark_runs(tmp_path: Path) -> None:
    """Smoke only: the figures are read from a full-size run by hand (README)."""
    script = Path(__file__).parents[1] / "benchmarks" / "import_csv.py"
    done = subprocess.run([sys.executable, str(script), "--patients", "20", "--sessions", "60",
                           "--json", str(tmp_path / "f.json")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Added 20 patients and 60 sessions" in done.stdout
