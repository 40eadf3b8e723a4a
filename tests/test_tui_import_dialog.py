"""The app's spreadsheet import: the palette opens it, a check comes first, then one save."""

from __future__ import annotations

from pathlib import Path

from mesotui.store import Store
from mesotui.tui.app import MesoApp
from mesotui.tui.screens.import_dialog import ImportDialog
from tests.conftest import TODAY


async def test_importing_a_spreadsheet_from_the_app_checks_first_then_adds_the_rows(
        tmp_path: Path) -> None:
    sheet = tmp_path / "clinic.csv"
    sheet.write_text("Surname,First name,Date of birth,Sex,Treatment date\n"
                     "Walsh,Grace,1980-05-05,F,2025-12-01\nBad,Row,1980-02-30,F,\n",
                     encoding="utf-8")
    store = Store.in_memory()
    app = MesoApp(store=store, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.action_import_spreadsheet()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ImportDialog)
        dialog.query_one("#path").value = str(sheet)
        await pilot.click("#check")
        await pilot.pause()
        outcome = str(dialog.query_one("#outcome").content)
        assert "Would add 1 patient and 1 session" in outcome and "row 3" in outcome
        assert dialog.query_one("#import").disabled  # a bad row: nothing may be imported
        sheet.write_text(sheet.read_text(encoding="utf-8").replace("1980-02-30", "1980-02-28"),
                         encoding="utf-8")
        dialog.query_one("#path").focus()
        await pilot.press("enter")  # enter in the file name checks again
        await pilot.pause()
        assert not dialog.query_one("#import").disabled, str(dialog.query_one("#outcome").content)
        assert store.patients() == []
        await pilot.click("#import")
        await pilot.pause()
        assert sorted(p.name for p in store.patients()) == ["Grace Walsh", "Row Bad"]
        assert len(store.sessions()) == 1
