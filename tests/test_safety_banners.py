"""The record's safety banner, as a practitioner reads it with the patient in the chair
(newcomer review items 6, 11 and 13; protocol: "Women: avoid pregnancy during treatment and
for 6 months after the last session. Show the date ... record that the counselling was
given.")."""

from __future__ import annotations

from datetime import date

from mesotui.export import build
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.screens.session_form import SessionForm
from mesotui.vocab import CourseStatus
from tests.test_tui_complete_records import open_record
from tests.test_tui_support import TODAY, demo_app, screen_text, until_settled

HANNAH, LEILA, HUGO = "P-00005", "P-00017", "P-00002"
"""Demo patients on TODAY (2026-01-15): Hannah Moreau, female, course active, last session
2025-07-03 (so its 6 months ended 2026-01-03), counselled at session 6 but not at 7; Leila
Petrov, sex other, last session 2025-09-05; Hugo Rossi, male, counselled at his last one."""


def _banner(app) -> tuple[str, frozenset[str]]:  # type: ignore[no-untyped-def]
    banner = app.screen.query_one("#safety")
    return " ".join(str(banner.render()).split()), frozenset(banner.classes)


async def test_a_woman_in_an_active_course_never_gets_a_green_all_clear() -> None:
    """Failed before: Hannah, due for her next session, had a green "✓ Pregnancy-avoid
    period ended on 2026-01-03" banner, on her record and atop the Log session form."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, HANNAH)
        text, classes = _banner(app)
        assert "period ended" not in text and "-ended" not in classes
        assert "-alarm" in classes
        assert ("avoid pregnancy during treatment and for 6 months after the last session "
                "(course active; last session 2025-07-03)") in text
        await pilot.press("l")
        await until_settled(pilot)
        assert isinstance(app.screen, SessionForm)
        form = screen_text(app)
        assert "period ended" not in form
        assert "avoid pregnancy until 2026-07-15 (6 months after this session, 2026-01-15)" in form


async def test_the_period_shows_as_ended_only_once_the_course_is_paused_or_stopped() -> None:
    app = demo_app()
    app.store.set_course_status(HANNAH, CourseStatus.PAUSED, TODAY, reason="travelling")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, HANNAH)
        text, classes = _banner(app)
        assert ("✓ Pregnancy-avoid period ended on 2026-01-03 (6 months after the last "
                "session, 2025-07-03)") in text
        assert "-alarm" not in classes


async def test_sex_other_gets_the_date_until_which_pregnancy_is_avoided() -> None:
    """Failed before: Leila Petrov (X) was told "avoid pregnancy where it applies", no date."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, LEILA)
        text, _ = _banner(app)
        assert ("where pregnancy is possible, avoid pregnancy until 2026-03-05 (6 months after "
                "the last session, 2025-09-05)") in text
    exported = {p["id"]: p for p in build(app.store, TODAY)["patients"]}
    assert exported[LEILA]["pregnancy_avoid_until"] == "2026-03-05"
    assert exported[HUGO]["pregnancy_avoid_until"] is None  # men: contraception, no date


async def test_the_banner_says_when_counselling_was_not_given_at_the_last_session() -> None:
    """Failed before: "counselling recorded, last on 2024-12-26" although her last session
    (2025-07-03) records none: a past date that read as reassurance."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, HANNAH)
        text, _ = _banner(app)
        assert "counselling recorded" not in text
        assert "COUNSELLING NOT RECORDED at the last session (last recorded 2024-12-26)" in text
        await pilot.press("escape")
        await until_settled(pilot)
        await open_record(pilot, LEILA)
        assert "COUNSELLING NOT RECORDED at the last 3 sessions" in _banner(app)[0]
        await pilot.press("escape")
        await until_settled(pilot)
        await open_record(pilot, HUGO)
        assert isinstance(app.screen, RecordScreen)
        assert "counselling recorded at the last session (2025-09-27)" in _banner(app)[0]
    assert date(2025, 9, 27) in {s.date for s in app.store.sessions_for(HUGO)
                                 if s.counselling_given}
