"""`mesotui report NAME` prints the seeded clinic's known numbers as tables, or as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from mesotui import cli
from mesotui.commands import report
from mesotui.commands.context import Context, demo_store
from mesotui.store import Store
from tests.report_clinic import TODAY, clock, fill


@pytest.fixture
def context(tmp_path: Path) -> Context:
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as store:
        fill(store)
    return Context(path, TODAY)


def run(context: Context, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    parser = argparse.ArgumentParser()
    report.register(parser.add_subparsers(), cli.global_options(suppress=True))
    args = parser.parse_args(["report", *argv])
    assert args.handler(args, context) == 0
    return capsys.readouterr().out


def test_side_effects_table_shows_counts_shares_and_none(
        context: Context, capsys: pytest.CaptureFixture[str]) -> None:
    out = run(context, capsys, "side-effects")
    assert "Side effects over 14 sessions" in out
    assert "None recorded: 7 (50%)" in out and "not yet assessed: 4" in out
    pain = next(line for line in out.splitlines() if line.startswith("Pain/discomfort"))
    assert pain.split()[1:] == ["2", "14%", "1", "1", "0", "1", "0", "1", "0"]
    assert "Erythema" not in out  # only on the voided duplicate


def test_side_effects_json_for_scripts(context: Context,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    facts = json.loads(run(context, capsys, "side-effects", "--json"))
    assert facts["share_none"] == 0.5
    assert facts["effects"][0] == {"effect": "pain", "total": 2, "share": 0.1429,
                                   "by_severity": {"mild": 1, "moderate": 1, "severe": 0},
                                   "by_session_number": {"1": 1, "3": 1}}


def test_due_calendar_week_by_week(context: Context,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = run(context, capsys, "due-calendar")
    assert "3 due, 1 overdue" in out
    assert "Sat 03 Jan  P-A" in out and "(12 d overdue)" in out
    assert "Week of Mon 12 Jan to Sun 18 Jan: nobody due" in out
    week = out.split("Week of Mon 19 Jan to Sun 25 Jan (2)")[1].split("Week of")[0]
    assert "Chloe Moreau" in week and "Nora Haddad" in week and "Omar Okafor" not in week
    facts = json.loads(run(context, capsys, "due-calendar", "--json", "--weeks", "2"))
    assert [len(w["due"]) for w in facts["weeks"]] == [0, 2]


def test_lot_recall_lists_patients_with_contact_and_flags_voided(
        context: Context, capsys: pytest.CaptureFixture[str]) -> None:
    out = run(context, capsys, "lot", "lot-a")
    assert out.startswith("Lot LOT-A: 13 sessions given to 5 patients (1 voided entry listed")
    phone = out.index("+44 7700 900001")  # the email on the line below, within 80 columns
    assert out[phone:].split("\n")[1].strip() == "amelia@example.org"
    assert "(voided entry)" in out
    facts = json.loads(run(context, capsys, "lot", "LOT-B", "--json"))
    assert [(r["session_id"], r["session_number"]) for r in facts["rows"]] == [("S-A3", 3)]
    assert "No session was given from lot NOPE." in run(context, capsys, "lot", "NOPE")


def test_outcomes_by_sessions_evaluations_and_reasons(context: Context,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    facts = json.loads(run(context, capsys, "outcomes", "--json"))
    assert facts["by_sessions_completed"] == {"0": 1, "1": 1, "2": 1, "3": 1, "4": 2}
    assert [e["patient_id"] for e in facts["evaluations_due"]] == ["P-E"]
    assert facts["stopped"] == [{"patient_id": "P-D", "name": "Hugo Petrov", "on": "2025-08-01",
                                 "reason": "moved away"}]
    out = run(context, capsys, "outcomes")
    assert "Courses paused (1)" in out and "travelling" in out


def test_report_needs_a_name(context: Context) -> None:
    parser = argparse.ArgumentParser()
    report.register(parser.add_subparsers(), cli.global_options(suppress=True))
    with pytest.raises(SystemExit):
        parser.parse_args(["report"])


def test_demo_clinic_report_counts_every_given_session(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    demo = Context(tmp_path / "demo.json", TODAY)
    demo_store(demo.db_path, demo).close()
    out = run(demo, capsys, "side-effects", "--db", str(demo.db_path))
    assert "Side effects over 147 sessions" in out
    assert next(line for line in out.splitlines()
                if line.startswith("Pain/discomfort")).split()[1] == "64"
