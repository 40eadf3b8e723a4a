"""The Reports screen shows the seeded clinic's known numbers, and finds a lot typed by the user."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from textual.app import App
from textual.widgets import DataTable, Input, Static, TabbedContent

from mesotui.store import Store
from mesotui.tui.screens.reports import ReportsScreen
from tests.report_clinic import TODAY, small_clinic


class ReportsApp(App[None]):
    """A stand-in for MesoApp: the screen relies only on `.store` and `.today`."""

    def __init__(self, store: Store, today: date) -> None:
        super().__init__()
        self.store = store
        self.today = today

    def on_mount(self) -> None:
        self.push_screen(ReportsScreen())


def text(screen: ReportsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def test_side_effects_tab_shows_counts_and_shares_as_bars() -> None:
    app = ReportsApp(small_clinic(), TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        assert "14 sessions (voided not counted): none recorded in 7 (50%)" in text(
            screen, "#effects-summary")
        bars = text(screen, "#effects-bars").splitlines()
        pain = next(line for line in bars if line.startswith("Pain/discomfort"))
        assert pain.rstrip().endswith("2   14%") and "█" in pain
        assert not any(line.startswith("Erythema") for line in bars)  # voided duplicate only
        assert "7   50%" in bars[-1] and bars[-1].startswith("None (on enquiry)")
        numbers = text(screen, "#numbers-bars").splitlines()
        assert numbers[0].startswith("Session 1") and numbers[0].endswith("1 /   3 /   1 of 5")


async def test_due_calendar_shows_overdue_then_each_week() -> None:
    app = ReportsApp(small_clinic(), TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#reports", TabbedContent).active = "due"
        await pilot.pause()
        columns = [str(s.content) for s in app.screen.query(".due-list").results(Static)]
        assert len(columns) == 5
        assert "Amelia Fletcher" in columns[0] and "Sat 03 Jan · #4" in columns[0]
        assert columns[1] == "nobody"
        assert "Chloe Moreau" in columns[2] and "Nora Haddad" in columns[2]
        assert "Omar Okafor" in columns[3] and columns[4] == "nobody"
        assert "3 due in the next 4 weeks, 1 overdue" in text(app.screen, "#due-summary")


async def test_lot_recall_finds_the_lot_typed_in() -> None:
    app = ReportsApp(small_clinic(), TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#reports", TabbedContent).active = "lot"
        await pilot.pause()
        assert "Recent lots: LOT-A, LOT-B" in text(app.screen, "#lot-summary")
        app.screen.query_one("#lot-input", Input).focus()
        await pilot.press(*"lot-a", "enter")
        await pilot.pause()
        table = app.screen.query_one("#lot-table", DataTable)
        assert table.row_count == 14
        assert "Lot LOT-A: 13 sessions given to 5 patients, 1 voided listed" in text(
            app.screen, "#lot-summary")
        app.screen.query_one("#lot-input", Input).value = "nope"
        await pilot.press("enter")
        await pilot.pause()
        assert table.row_count == 0


async def test_outcomes_tab_lists_evaluations_and_stopped_courses() -> None:
    app = ReportsApp(small_clinic(), TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#reports", TabbedContent).active = "outcomes"
        await pilot.pause()
        bars = text(app.screen, "#outcome-bars").splitlines()
        assert bars[4].startswith("4 sessions") and bars[4].endswith("2 patients")
        evaluations = app.screen.query_one("#evaluations", DataTable)
        assert [str(c) for c in evaluations.get_row_at(0)[:3]] == ["P-E", "Nora Haddad", "4"]
        halted = app.screen.query_one("#halted", DataTable)
        assert [str(halted.get_row_at(n)[4]) for n in range(halted.row_count)] == [
            "moved away", "travelling"]


async def test_names_are_shown_as_typed_not_read_as_markup() -> None:
    store = small_clinic()
    store.update_patient(replace(store.patient("P-B"), name="[b]Omar[/b] Okafor"), TODAY,
                         reason="name typed with brackets")
    app = ReportsApp(store, TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#reports", TabbedContent).active = "due"
        await pilot.pause()
        columns = [str(s.content) for s in app.screen.query(".due-list").results(Static)]
        assert "[b]Omar[/b] Okafor" in columns[3]


async def test_the_lot_tab_takes_the_lot_typed_at_once() -> None:
    """Review item 16: r, Right Right, then the lot and Enter did nothing: the tabs kept the
    focus and the typing went nowhere."""
    from tests.test_tui_support import demo_app, until_settled

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("r")
        await until_settled(pilot)
        assert isinstance(app.screen, ReportsScreen)
        await pilot.press("right", "right")
        await until_settled(pilot)
        await pilot.press(*"du25-0412", "enter")
        await until_settled(pilot)
        summary = text(app.screen, "#lot-summary")
    assert summary.startswith("Lot DU25-0412: ") and "sessions given to" in summary


async def test_the_side_effects_report_gives_each_severity_in_numbers() -> None:
    """Review item 14: whether the one case of depression was severe showed only as a red
    cell; the command line had Mild/Mod./Sev. columns, the app none."""
    from mesotui import reports
    from mesotui.vocab import Severity
    from tests.test_tui_support import demo_app, until_settled

    app = demo_app()
    found = {e.effect: e for e in reports.side_effects(app.store.sessions()).effects}
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("r")
        await until_settled(pilot)
        table = text(app.screen, "#severity-table").splitlines()
    assert table[0].split() == ["By", "severity", "(sessions)", "Mild", "Moderate", "Severe"]
    for effect, counted in found.items():
        [line] = [t for t in table if t.startswith(effect.label)]
        assert line.split()[-3:] == [str(counted.by_severity[s]) for s in Severity]
