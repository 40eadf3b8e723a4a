"""Withdrawn consent takes the patient off the morning list, the due list and the calendar
(newcomer review item 7): reception must not call back a patient who withdrew consent."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar
import pytest

from mesotui.cli import main
from mesotui.store import Store
from mesotui.tui.screens.record import RecordScreen
from mesotui.vocab import CourseStatus, DueStatus
from tests.conftest import TODAY
from tests.test_tui_complete_records import open_record
from tests.test_tui_support import demo_app, screen_text, until_settled

SOFIA = "P-00001"
"""Demo: Sofia Brennan, course active, 40 days overdue on TODAY: top of the morning list."""


def _cli(db: Path, *argv: str) -> int:
    return main(["--db", str(db), "--today", TODAY.isoformat(), *argv])


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "demo.json"
    assert main(["demo", str(db), "--today", TODAY.isoformat()]) == 0
    return db


def _due(db: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert _cli(db, "due", "--within", "7", "--json") == 0
    return [row["patient_id"] for row in json.loads(capsys.readouterr().out)]


def test_withdrawing_consent_on_the_command_line_takes_her_off_the_due_list(
        demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Failed before: `mesotui due --within 7` still listed her first, 40 d overdue, and the
    calendar still had her next session CONFIRMED."""
    assert _due(demo_db, capsys)[0] == SOFIA
    assert _cli(demo_db, "consent", SOFIA, "--withdraw", "--reason",
                "worried about sexual side effects") == 0
    said = capsys.readouterr().out
    assert "P-00001 consent not in force" in said and "course paused from 2026-01-15" in said
    assert SOFIA not in _due(demo_db, capsys)
    assert _cli(demo_db, "export", "--format", "ics", "--patient", SOFIA) == 0
    calendar = icalendar.Calendar.from_ical(capsys.readouterr().out)
    events = list(calendar.walk("VEVENT"))
    assert events and all(str(e["STATUS"]) == "CANCELLED" for e in events)
    with Store.open(demo_db, readonly=True) as store:
        patient = store.patient(SOFIA)
        assert patient.status is CourseStatus.PAUSED
        assert patient.course[-1].reason == "consent withdrawn: worried about sexual side effects"
        assert store.outlook(patient, TODAY).next_due is None


async def test_withdrawing_consent_in_the_app_pauses_the_course_and_says_so() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_record(pilot, SOFIA)
        assert "Course active · Overdue" in screen_text(app)
        app.store.withdraw_consent(SOFIA, TODAY, TODAY, reason="moving abroad")
        app.screen.refresh_record()  # type: ignore[attr-defined]
        await until_settled(pilot)
        assert isinstance(app.screen, RecordScreen)
        text = screen_text(app)
        assert "CONSENT WITHDRAWN on 2026-01-15" in text
        assert "Course paused since 2026-01-15 (consent withdrawn: moving abroad)" in text
        assert "next: session" not in text
    board = {card.id: view for card, view in app.store.board(TODAY)}
    assert board[SOFIA].status is DueStatus.PAUSED
