"""80x24 that fits, and the wording fixes: what a practitioner reads on a small terminal."""

from __future__ import annotations

import re
from datetime import date

from textual.widgets import Input, TabbedContent

from mesotui.models import Session
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.screens.session_detail import product_text
from mesotui.vocab import SideEffect
from tests.test_tui_support import demo_app, demo_store, screen_text, until_settled


async def test_a_record_at_80x24_shows_its_first_sessions_above_the_fold() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until_settled(pilot)
        await pilot.press("slash", *"P-00006", "enter", "enter")
        await until_settled(pilot)
        assert isinstance(app.screen, RecordScreen)
        text = screen_text(app)
        assert re.search(r"3 +2025-11-15", text) and re.search(r"1 +2025-07-15", text)
        assert "3 sessions given" in text and "session(s)" not in text


async def test_the_due_calendar_at_80x24_has_whole_headers_and_names_cut_at_a_word() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until_settled(pilot)
        await pilot.press("r")
        await until_settled(pilot)
        app.screen.query_one(TabbedContent).active = "due"
        await until_settled(pilot)
        text = screen_text(app)
        assert "12 Jan\u201318 Jan" in text and "3 due" in text and "6 patients" in text
        names = {p.name for p in app.store.patients()}
        for cell in re.findall(r"│([^│]+)│", text):
            word = cell.strip()
            if word and not word[0].isdigit() and word not in ("nobody", "Overdue"):
                assert word in names or (word.endswith("\u2026") and any(
                    n.startswith(word[:-1]) for n in names)), word


async def test_a_long_name_on_the_list_is_cut_at_a_word_with_an_ellipsis() -> None:
    app = demo_app()
    async with app.run_test(size=(60, 24)) as pilot:
        await until_settled(pilot)
        await pilot.press("slash", *"ngstr", "enter")
        await until_settled(pilot)
        text = screen_text(app)
    assert "Priya Ångström-…" in text or "Priya…" in text or "Priya Ångström-Núñez" in text
    assert not re.search(r"Ångström-Nú[^ñ]", text)


async def test_wording_fixes_severity_beside_its_effect_and_course_choices_whole() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until_settled(pilot)
        await pilot.press("l")
        await until_settled(pilot)
        app.screen.query_one("#effects").select(SideEffect.PAIN)  # type: ignore[attr-defined]
        await until_settled(pilot)
        app.screen.query_one(".effect-row").scroll_visible(animate=False)
        await until_settled(pilot)
        assert "Pain/discomfortseverity" not in screen_text(app)
        assert re.search(r"Pain/discomfort +severity\?", screen_text(app))
        app.screen.query_one("#product", Input).scroll_visible(animate=False)
        await until_settled(pilot)
        assert "Dutasteride 0.01% solution " in screen_text(app)  # not "solutio"
        await pilot.press("escape", "y", "enter", "c")
        await until_settled(pilot)
        assert "Pause the course" in screen_text(app)


def test_the_product_and_its_concentration_are_said_once() -> None:
    session = Session(id="", patient_id="P", date=date(2026, 1, 15),
                      product="Dutasteride 0.01% solution", concentration_pct=0.01)
    assert product_text(session) == "Dutasteride 0.01% solution"
    assert product_text(Session(id="", patient_id="P", date=date(2026, 1, 15),
                                product="Dutasteride solution", concentration_pct=0.05)) == (
        "Dutasteride solution at 0.05 %")


async def test_lot_recall_and_timeline_read_right() -> None:
    store = demo_store()
    app = demo_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("slash", *"P-00006", "enter", "enter")
        await until_settled(pilot)
        timeline = app.screen.query_one("#timeline")
        labels = screen_text(app).splitlines()[timeline.region.y + 2]
        months = re.findall(r"[A-Z][a-z]{2}", labels)
        order = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                 "Dec"]
        pairs = zip(months, months[1:], strict=False)
        steps = {(order.index(b) - order.index(a)) % 12 for a, b in pairs}
        assert len(steps) == 1, labels  # a label every n months, n the same throughout
        await pilot.press("escape", "r")
        await until_settled(pilot)
        app.screen.query_one(TabbedContent).active = "lot"
        await until_settled(pilot)
        lot = app.screen.query_one("#lot-input", Input)
        lot.focus()
        lot.value = store.sessions_for("P-00006")[0].lot
        await pilot.press("enter")
        await until_settled(pilot)
        assert re.search(r"Lot \S+: \d+ sessions? given to \d+ patients?", screen_text(app))
        assert not re.search(r"\b1 (sessions|patients)\b", screen_text(app))


async def test_the_evaluation_table_at_80x24_has_whole_headers_and_values_cut_at_a_word(
        ) -> None:
    app = demo_app()
    evaluated = next(p for p in app.store.patients() if app.store.evaluations_for(p.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await until_settled(pilot)
        await pilot.press("slash", *evaluated.id, "enter", "enter")
        await until_settled(pilot)
        table = app.screen.query_one("#evaluations")
        table.scroll_visible(animate=False)
        await until_settled(pilot)
        text = screen_text(app)
    header = next(line for line in text.splitlines() if "Hair/cm²" in line)
    assert header.split() == ["Date", "Decision", "Hair/cm²", "Score", "Self", "Pull",
                              "Photos", "By", "State"], header
    assert "Decis…" not in text and "conti…" not in text
    for evaluation in app.store.evaluations_for(evaluated.id):
        shown = [w for w in evaluation.practitioner.split() if w in text]
        assert shown, evaluation.practitioner  # cut after a whole word, if at all
        assert not re.search(re.escape(evaluation.practitioner[:6]) + r"[^ …]…", text)


async def test_an_evaluation_made_today_shows_beside_todays_mark() -> None:
    """Newcomer review 34: an evaluation on today's date was hidden under "▲ today"."""
    from textual.app import App, ComposeResult

    from mesotui.tui.widgets.timeline import Timeline

    today = date(2026, 1, 15)

    class Shown(App[None]):
        def compose(self) -> ComposeResult:
            yield Timeline(id="timeline")

    app = Shown()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one(Timeline).show([(1, date(2025, 7, 15)), (2, today)],
                                     [(3, date(2026, 5, 15))], today, [(today, "maint")])
        await pilot.pause()
        marks = screen_text(app).splitlines()[3]
        assert "\u25b2 today" in marks and "\u25a0" in marks, marks


async def test_an_overdue_course_plans_nothing_before_today_on_its_timeline() -> None:
    """Newcomer review 26: for an overdue patient the timeline drew the sessions after the
    overdue one before today (as if it had been given when due); the calendar export plans
    them from today. Only the overdue session itself may lie in the past."""
    from mesotui.tui.widgets.timeline import Timeline
    from tests.conftest import make_patient, make_session

    store = demo_store()
    away = store.add_patient(make_patient(name="Long Away"), date(2025, 1, 10))
    store.log_session(make_session(away.id, date(2025, 1, 10), lot="DU25-0001",
                                   lot_expiry=date(2027, 1, 1), counselling_given=True),
                      date(2025, 1, 10))  # next due March 2025, ten months overdue
    app = demo_app(store)
    overdue = [card.id for card, view in store.board(app.today)
               if view.next_due is not None and view.next_due < app.today
               and view.last_session is not None]
    assert len(overdue) >= 3
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        for patient_id in overdue:
            await pilot.press("slash", *patient_id, "enter", "enter")
            await until_settled(pilot)
            (first, due), *later = app.screen.query_one(Timeline).planned
            assert due < app.today and later, patient_id
            assert all(day > app.today for _, day in later), (patient_id, later)
            await pilot.press("escape", "escape")
            await until_settled(pilot)
