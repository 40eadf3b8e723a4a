"""The export dialog collects scope, pseudonymisation and destination, and returns them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.app import App
from textual.widgets import Input, Static

from mesotui.export import ExportRequest
from mesotui.tui.screens.export_dialog import ExportDialog
from tests.conftest import TODAY


class Host(App[None]):
    def __init__(self, dialog: ExportDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[ExportRequest | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


async def test_the_dialog_returns_a_pseudonymised_date_range_request(tmp_path: Path) -> None:
    app = Host(ExportDialog(TODAY, patient_id="P-00001", export_dir=tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        path = dialog.query_one("#path", Input)
        assert path.value == str(tmp_path / "mesotui-export-2026-01-15.json")
        await pilot.click("#scope-range")
        await pilot.click("#pseudonymise")
        await pilot.pause()
        assert path.value.endswith("-pseudonymised.json")
        dialog.query_one("#since", Input).value = "2025-12-01"
        dialog.query_one("#until", Input).value = "2025-11-01"
        await pilot.click("#export")
        await pilot.pause()
        assert "starts after it ends" in str(dialog.query_one("#error", Static).content)
        assert app.results == []
        dialog.query_one("#until", Input).value = "2026-01-15"
        path.focus()
        await pilot.press("enter")  # enter in a field exports too
        await pilot.pause()
    assert app.results == [ExportRequest(
        patient_ids=(), since=date(2025, 12, 1), until=TODAY, pseudonymise=True,
        destination=tmp_path / "mesotui-export-2026-01-15-pseudonymised.json")]


async def test_escape_cancels_and_this_patient_is_the_default_scope(tmp_path: Path) -> None:
    app = Host(ExportDialog(TODAY, patient_id="P-00001", export_dir=tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.dialog.request().patient_ids == ("P-00001",)
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
