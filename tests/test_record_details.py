"""The record's Details say the plan that really schedules the patient (review item 19: after
a maintenance decision they still named the clinic's default, 2, 2, 2, 4, 4 months)."""

from __future__ import annotations

from tests.test_tui_complete_records import open_record
from tests.test_tui_support import demo_app, screen_text

TOMAS = "P-00004"
"""Demo: Tomas Brennan, evaluated 2025-04-21 with a decision of maintenance every 4 months."""


async def test_details_name_the_maintenance_decision_that_plans_the_sessions() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, TOMAS)
        text = " ".join(screen_text(app).split())
    assert ("Protocol: maintenance every 4 months, as decided at the evaluation of 2025-04-21 "
            "(before it, clinic default: every 2, 2, 2, 4, 4 months") in text
