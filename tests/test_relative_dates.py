"""Relative dates (today, -1d, +2m, mon...) in every date field and option, shown resolved."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input

from mesotui.errors import ValidationError
from mesotui.parse import resolve_date, resolved_text
from mesotui.store import Store
from mesotui.tui.screens.session_form import SessionForm
from tests.test_cli_commands import Capsys, add, db, log, mesotui  # noqa: F401  (db: fixture)
from tests.test_tui_support import TODAY, complete_session, demo_app, screen_text, until_settled

TUESDAY = date(2026, 12, 1)


@pytest.mark.parametrize("text, expected", [
    ("today", TUESDAY), ("yesterday", date(2026, 11, 30)), ("tomorrow", date(2026, 12, 2)),
    ("-1d", date(2026, 11, 30)), ("+10", date(2026, 12, 11)), ("-2w", date(2026, 11, 17)),
    ("+2m", date(2027, 2, 1)), ("-1y", date(2025, 12, 1)), ("mon", date(2026, 11, 30)),
    ("Tue", TUESDAY), ("+tue", date(2026, 12, 8)), ("+fri", date(2026, 12, 4)),
    ("sunday", date(2026, 11, 29)), ("2026-02-28", date(2026, 2, 28)),
])
def test_relative_dates_resolve_against_today(text: str, expected: date) -> None:
    assert resolve_date(text, "date", TUESDAY) == expected


def test_months_clamp_to_the_months_end_and_bad_text_names_the_forms() -> None:
    assert resolve_date("+1m", "date", date(2026, 1, 31)) == date(2026, 2, 28)
    with pytest.raises(ValidationError, match="not a real calendar date"):
        resolve_date("2026-02-30", "date", TUESDAY)
    with pytest.raises(ValidationError, match=r"is not a date \(YYYY-MM-DD, today"):
        resolve_date("someday", "date", TUESDAY)
    assert resolved_text("-1d", TUESDAY) == "-1d \u2192 2026-11-30"
    assert resolved_text("2026-11-30", TUESDAY) is None


def test_every_command_date_option_takes_a_relative_date_and_says_what_it_read(
        db: Path, capsys: Capsys) -> None:
    patient_id = add(db, capsys)
    assert log(db, patient_id, "-1d") == 0  # --date -1d, no "=" needed
    session_id = capsys.readouterr().out.strip()
    assert log(db, patient_id, "yesterday", "--reason", "second") == 0
    said = capsys.readouterr().err
    assert "--date yesterday \u2192 2026-01-14" in said
    assert mesotui(db, "export", "--since", "-30d", "--until", "today") == 0
    assert "--since -30d \u2192 2025-12-16" in capsys.readouterr().err
    with Store.open(db, readonly=True) as store:
        assert store.session(session_id).date == date(2026, 1, 14)


async def test_a_relative_date_typed_in_a_form_is_shown_resolved_before_saving() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("l")
        await until_settled(pilot)
        assert isinstance(app.screen, SessionForm)
        field = app.screen.query_one("#date", Input)
        field.focus()
        field.value = ""
        await pilot.press(*"-1d")
        await until_settled(pilot)
        assert "-1d \u2192 2026-01-14" in screen_text(app)  # while typing
        await pilot.press("tab")
        await until_settled(pilot)
        assert field.value == "2026-01-14"  # once the field is left: the date itself
        await complete_session(pilot)
        await pilot.press("ctrl+s")
        await until_settled(pilot)
    # the list's first row is Sofia Brennan (P-00001); today is 2026-01-15
    assert TODAY == date(2026, 1, 15)
    assert any(s.date == date(2026, 1, 14) for s in app.store.sessions_for("P-00001"))
