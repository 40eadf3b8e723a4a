"""Undo that says what it undid, every time; an undone log shown the same way at once and
after reopening; history in the clinic's words, old → new, with who did it."""

from __future__ import annotations

from dataclasses import replace

from mesotui.models import SideEffectReport
from mesotui.tui.screens.session_detail import SessionDetail
from mesotui.vocab import Severity, SideEffect
from tests.test_tui_support import (
    complete_session,
    demo_app,
    demo_store,
    screen_text,
    until_settled,
)


def detail_text(app) -> str:  # type: ignore[no-untyped-def]
    from textual.widgets import Static

    return "\n".join(str(w.content) for w in app.screen.query(Static))


def said(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]  # noqa: SLF001


async def test_undo_says_what_it_undid_every_time_and_the_log_reads_undone_throughout() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until_settled(pilot)
        await pilot.press("enter", "l")
        await until_settled(pilot)
        await complete_session(pilot)
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        await pilot.press("ctrl+z")
        await until_settled(pilot)
        assert ("Undone: the session of 2026-01-15 logged for Sofia Brennan. It stays in the "
                "record, marked UNDONE.") in said(app)
        row = [line for line in screen_text(app).splitlines() if "2026-01-15  0.1 mg" in line]
        assert row and "UNDONE" in row[0] and "VOIDED" not in row[0]
        await pilot.press("ctrl+z")  # nothing left: it says so
        await until_settled(pilot)
        assert said(app)[-1] == ("Nothing to undo: no change made in this window is left to "
                                 "undo (settings are changed back with s).")
        await pilot.press("escape", "enter")  # reopen the patient
        await until_settled(pilot)
        row = [line for line in screen_text(app).splitlines() if "2026-01-15  0.1 mg" in line]
        assert row and "UNDONE" in row[0]
        await pilot.press("enter")  # the undone session, in full
        await until_settled(pilot)
        assert isinstance(app.screen, SessionDetail)
        text = detail_text(app)  # read from the screen's text, not under the toasts
        assert "[UNDONE (ctrl+z)]" in text and "VOIDED (undone" not in text
        assert "2. 2026-01-15 09:30  undone (ctrl+z) by Dr M. Rahimi" in text


async def test_history_says_what_changed_old_to_new_and_who_changed_it() -> None:
    store = demo_store()
    session = store.sessions_for("P-00002")[-1]
    store.amend_session(replace(session, volume_ml=1.5, no_side_effects=False, side_effects=(
        SideEffectReport(SideEffect.HEADACHE, Severity.MODERATE, "two hours"),)),
        store.clock().date(), reason="reported at the next visit", by="Dr J. Osei")
    app = demo_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("slash", *"P-00002", "enter", "enter", "enter")
        await until_settled(pilot)
        assert isinstance(app.screen, SessionDetail)
        text = screen_text(app)
    assert "amended by Dr J. Osei: reported at the next visit" in text
    before = "none reported" if session.no_side_effects else "Pain"
    assert f"Side effects: {before}" in text
    assert "\u2192 Headache (moderate): two hours" in text
    assert f"Volume: {session.volume_ml:g} mL \u2192 1.5 mL" in text
    assert "changed:" not in text and "no_side_effects" not in text


def test_an_amend_that_only_lists_the_areas_in_another_order_shows_no_area_change() -> None:
    """Newcomer review 26: amending a session's volume showed "Areas: Vertex/crown, Temporal L,
    Occipital, Frontal → Frontal, Vertex/crown, Temporal L, Occipital", a change nobody made
    (the form lists the areas in its own order)."""
    from mesotui.tui.history_text import changes

    before = {"volume_ml": 1.0, "areas": ["vertex", "temporal_left", "occipital", "frontal"]}
    after = {"volume_ml": 1.5, "areas": ["frontal", "vertex", "temporal_left", "occipital"]}
    assert changes(before, after) == ["Volume: 1 mL \u2192 1.5 mL"]
    assert changes(before, {**after, "areas": ["frontal"]})[1].startswith("Areas: ")
