"""Snapshots of every screen and dialog on the demo clinic at 2026-01-15."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Input

from tests.test_tui_support import demo_app, empty_app, until_settled

Steps = Callable[[Any], Any]


ANSWERED = {"#lot": "DU25-0412", "#expiry": "2027-06-30", "#no-effects": True,
            "#counselling": True}
"""What a new session needs besides its defaults (set in this order: a lot sets its expiry)."""


def steps(*keys: str, typed: dict[str, Any] | None = None) -> Steps:
    """A run_before that settles, presses `keys` (pausing after each), then sets the `typed`
    widgets' values (inputs, choices, ticks) in order."""

    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            await pilot.pause()
        for selector, value in (typed or {}).items():
            pilot.app.screen.query_one(selector).value = value
            await pilot.pause()
        await until_settled(pilot)  # every handler run, on a loaded machine too
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # the cursor drawn the same whenever the shot is taken
        await pilot.pause()

    return run_before


CASES: dict[str, tuple[Steps, tuple[int, int]]] = {
    "patients": (steps(), (120, 40)),
    "patients_80x24": (steps(), (80, 24)),
    "patients_filtered": (steps("slash", *"nov"), (120, 40)),
    "patients_overdue": (steps("3"), (120, 40)),
    "record_female": (steps("enter"), (120, 40)),
    "record_male_80x24": (steps("down", "down", "down", "down", "down", "down", "enter"), (80, 24)),
    "session_form": (steps("l"), (120, 40)),
    "session_form_errors": (steps("l", typed={"#volume": "abc", "#date": "2026-02-30"}),
                            (120, 40)),
    "session_form_expired_lot": (steps("l", typed={"#expiry": "2025-12-01"}), (120, 40)),
    "session_form_80x24": (steps("l"), (80, 24)),
    "discard_confirmation": (steps("l", typed={"#volume": "3"}), (120, 40)),
    "session_detail": (steps("enter", "enter"), (120, 40)),
    "amend_form": (steps("enter", "a"), (120, 40)),
    "void_dialog": (steps("enter", "v"), (120, 40)),
    "patient_form": (steps("n"), (120, 40)),
    "edit_patient_form": (steps("enter", "d"), (120, 40)),
    "course_dialog": (steps("enter", "c"), (120, 40)),
    "settings": (steps("s"), (120, 40)),
    "help": (steps("question_mark"), (120, 40)),
    "record_outcome_chart": (steps("slash", *"P-00004", "enter", "enter"), (120, 40)),
    "evaluation_form": (steps("enter", "E"), (120, 40)),
    "evaluation_form_errors": (steps("enter", "E", typed={"#hair-count": "5000"}),
                                    (120, 40)),
    "consent_dialog": (steps("enter", "k"), (120, 40)),
    "consent_override_prompt": (steps("slash", *"P-00008", "enter", "enter", "l",
                                      typed=ANSWERED), (120, 40)),
    "session_form_unanswered": (steps("l"), (120, 40)),
    "session_form_early_reason": (steps("slash", *"P-00003", "enter", "enter", "l",
                                        typed=ANSWERED), (120, 40)),
    "evaluation_decision_required": (steps("slash", *"P-00004", "enter", "enter", "E"),
                                     (120, 40)),
    "settings_practitioners_read": (steps("s", typed={
        "#practitioners": "Dr A. Lima, Nurse B. Cole"}), (120, 40)),
    "record_pregnancy_course_active": (steps("slash", *"P-00005", "enter", "enter"), (120, 40)),
}
AFTER = {"session_form_errors": ("ctrl+s",), "discard_confirmation": ("escape",),
         "evaluation_form_errors": ("ctrl+s",), "consent_override_prompt": ("ctrl+s",),
         "session_form_unanswered": ("ctrl+s",), "session_form_early_reason": ("ctrl+s",),
         "evaluation_decision_required": ("ctrl+s",)}


@pytest.mark.parametrize("case", list(CASES))
def test_screen(snap_compare: Any, case: str) -> None:
    run_before, size = CASES[case]
    assert snap_compare(demo_app(), terminal_size=size, run_before=run_before,
                        press=AFTER.get(case, ()))


def test_empty_clinic(snap_compare: Any) -> None:
    assert snap_compare(empty_app(), terminal_size=(80, 24), run_before=steps())
