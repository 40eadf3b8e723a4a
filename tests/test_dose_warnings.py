"""A concentration that contradicts the product's name, or a dose far above the patient's
usual, is not logged without a question (newcomer review item 10: 0.05 % typed for the
clinic's "Dutasteride 0.01% solution" gave 5 times the dose, saved without a word)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from mesotui.cli import main
from mesotui.tui.screens.dialogs import ReasonQuestion
from mesotui.tui.screens.record import RecordScreen
from tests.conftest import TODAY
from tests.test_tui_complete_records import log_form
from tests.test_tui_support import complete_session, demo_app, screen_text, until_settled

SOFIA = "P-00001"
"""Demo: 40 days overdue on TODAY, so a session today asks nothing else."""


async def test_the_log_form_asks_before_saving_five_times_the_products_strength() -> None:
    app = demo_app()
    before = len(app.store.sessions_for(SOFIA))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await log_form(pilot, SOFIA)
        await complete_session(pilot)
        form.query_one("#concentration", Input).value = "0.05"
        form.query_one("#volume", Input).value = "0.5"
        await until_settled(pilot)
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, ReasonQuestion)
        assert ("The product is named 0.01 % but the concentration entered is 0.05 %: 5 times "
                "its strength (the dose is 0.25 mg).") in app.screen.question
        assert "The product is named 0.01 %" in screen_text(app)  # shown, not only held
        assert len(app.store.sessions_for(SOFIA)) == before  # nothing saved while it asks
        await pilot.press(*"compounded at 0.05% for this patient", "ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, RecordScreen)
    saved = app.store.sessions_for(SOFIA)[-1]
    assert saved.concentration_pct == 0.05
    assert saved.history[0].reason == "compounded at 0.05% for this patient"


def _log(db: Path, patient_id: str, *extra: str) -> int:
    return main(["--db", str(db), "--today", TODAY.isoformat(), "log", patient_id,
                 "--anaesthesia", "none", "--lot", "DU25-0412", "--lot-expiry", "2027-06-30",
                 "--no-side-effects", "--counselling", *extra])


def test_the_command_line_wants_a_reason_for_such_a_dose(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.json"
    assert main(["demo", str(db), "--today", TODAY.isoformat()]) == 0
    capsys.readouterr()
    assert _log(db, SOFIA, "--concentration-pct", "0.05", "--volume-ml", "0.5") == 1
    said = capsys.readouterr().err
    assert "dose: The product is named 0.01 % but the concentration entered is 0.05 %" in said
    assert "Give --reason" in said
    assert _log(db, SOFIA, "--volume-ml", "4") == 1  # 0.4 mg: she has had 0.1 to 0.15 mg
    assert "at least twice the most this patient was given before" in capsys.readouterr().err
    assert _log(db, SOFIA, "--volume-ml", "1.2") == 0  # her usual dose: no question
