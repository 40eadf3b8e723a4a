"""Export from the app: every format the command line has, to a file the practitioner can
change, in a folder that exists, never replacing a file without asking, with progress."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input, Select, Static

from mesotui.export import ExportRequest
from mesotui.interop.formats import FORMATS
from mesotui.paths import default_export_dir
from mesotui.tui.screens.dialogs import ConfirmDialog
from mesotui.tui.screens.export_dialog import ExportChoice, ExportDialog
from mesotui.tui.screens.export_progress import ExportProgress
from tests.conftest import TODAY
from tests.test_tui_support import demo_app, until_settled


class Host(App[None]):
    def __init__(self, dialog: ExportDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[ExportChoice | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


async def test_the_dialog_returns_a_pseudonymised_date_range_request(tmp_path: Path) -> None:
    app = Host(ExportDialog(TODAY, patient_id="P-00001", export_dir=tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        path = dialog.query_one("#path", Input)
        assert path.value == str(tmp_path / "mesotui-export-2026-01-15-P-00001.json")
        dialog.query_one("#scope", Select).value = "range"
        dialog.query_one("#pseudonymise").value = True  # type: ignore[attr-defined]
        await pilot.pause()
        assert path.value == str(tmp_path / "mesotui-export-2026-01-15-pseudonymised.json")
        dialog.query_one("#since", Input).value = "2025-12-01"
        dialog.query_one("#until", Input).value = "2025-11-01"
        await pilot.click("#export")
        await pilot.pause()
        assert "starts after it ends" in str(dialog.query_one("#error", Static).content)
        assert app.results == []
        dialog.query_one("#until", Input).value = "today"
        path.focus()
        await pilot.press("enter")  # enter in a field exports too
        await pilot.pause()
    assert app.results == [ExportChoice(ExportRequest(
        patient_ids=(), since=date(2025, 12, 1), until=TODAY, pseudonymise=True,
        destination=tmp_path / "mesotui-export-2026-01-15-pseudonymised.json"))]


async def test_the_option_shown_is_the_option_chosen(tmp_path: Path) -> None:
    """"This patient" is what the scope shows and what the request holds (no highlight that
    says "Whole clinic" while another option is chosen)."""
    app = Host(ExportDialog(TODAY, patient_id="P-00001", export_dir=tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        scope = app.dialog.query_one("#scope", Select)
        assert scope.value == "patient"
        assert "This patient (P-00001)" in str(scope.query_one("SelectCurrent Static").content)
        assert app.dialog.choice().request.patient_ids == ("P-00001",)
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_each_format_proposes_its_own_name_and_a_name_typed_is_kept(tmp_path: Path) -> None:
    app = Host(ExportDialog(TODAY, export_dir=tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        fmt, path = app.dialog.query_one("#format", Select), app.dialog.query_one("#path", Input)
        for name, suffix in (("fhir", ".fhir.json"), ("ics", ".ics"), ("csv", ".csv"),
                             ("jsonl", ".jsonl")):
            fmt.value = name
            await pilot.pause()
            assert path.value == str(tmp_path / f"mesotui-export-2026-01-15{suffix}")
        assert app.dialog.query_one("#calendar").display is False  # ics options hidden...
        fmt.value = "ics"
        await pilot.pause()
        assert app.dialog.query_one("#calendar").display is True  # ...shown for ics
        path.value = str(tmp_path / "for-reception.ics")
        fmt.value = "csv"
        await pilot.pause()
        assert path.value == str(tmp_path / "for-reception.ics")


async def test_the_proposed_file_never_replaces_one_already_there(tmp_path: Path) -> None:
    (tmp_path / "mesotui-export-2026-01-15.json").write_text("{}")
    app = Host(ExportDialog(TODAY, export_dir=tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.dialog.query_one("#path", Input).value == str(
            tmp_path / "mesotui-export-2026-01-15-2.json")


def test_the_default_folder_exists_even_without_a_documents_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(tmp_path / "Documents"))
    assert default_export_dir() == tmp_path  # no Documents: the home folder
    (tmp_path / "Documents").mkdir()
    assert default_export_dir() == tmp_path / "Documents"


@pytest.mark.parametrize("fmt", FORMATS)
async def test_every_format_of_the_command_line_exports_from_the_app(
        tmp_path: Path, fmt: str) -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until_settled(pilot)
        await pilot.press("e")
        await until_settled(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#format", Select).value = fmt
        target = tmp_path / f"clinic.{fmt}"
        dialog.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        await app.workers.wait_for_complete()
        await until_settled(pilot)
        said = [n.message for n in app._notifications]  # noqa: SLF001
    text = target.read_text(encoding="utf-8-sig")
    first = {"json": lambda: json.loads(text)["format"],
             "fhir": lambda: json.loads(text)["resourceType"],
             "ics": lambda: text.splitlines()[0], "csv": lambda: text.split(",")[0].strip('"'),
             "jsonl": lambda: json.loads(text.splitlines()[0])["session_id"][:2]}[fmt]()
    assert first == {"json": "mesotui-export", "fhir": "Bundle", "ics": "BEGIN:VCALENDAR",
                     "csv": "session_id", "jsonl": "S-"}[fmt]
    assert (target.stat().st_mode & 0o777) == 0o600
    assert any(f"({fmt.upper()}) to {target} (readable by you only)" in m for m in said), said


async def test_an_existing_file_is_replaced_only_after_asking(tmp_path: Path) -> None:
    target = tmp_path / "clinic.json"
    target.write_text("the whole clinic, 549 KB")
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("enter", "e")
        await until_settled(pilot)
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "already exists" in str(app.screen.query_one("#question", Static).content)
        await pilot.press("n")
        await until_settled(pilot)
        assert isinstance(app.screen, ExportDialog)
        assert target.read_text() == "the whole clinic, 549 KB"
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        await pilot.press("y")
        await until_settled(pilot)
        await app.workers.wait_for_complete()
        await until_settled(pilot)
    assert json.loads(target.read_text())["patients"][0]["id"] == "P-00001"


async def test_a_long_export_shows_its_progress(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from mesotui import export

    release = threading.Event()
    written = export.write_bytes

    def slow_write(payload, path):  # type: ignore[no-untyped-def]
        data = b"".join([payload] if isinstance(payload, bytes) else payload)
        release.wait(10)  # the export "takes a while" until the test has seen its progress
        written(data, path)

    monkeypatch.setattr(export, "write_bytes", slow_write)
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await pilot.press("e")
        await until_settled(pilot)
        app.screen.query_one("#path", Input).value = str(tmp_path / "all.json")
        await pilot.press("ctrl+s")
        counted = ""
        for _ in range(100):  # up to 10 s: on a loaded machine the screen takes a while
            await pilot.pause(0.1)
            if isinstance(app.screen, ExportProgress) and app.screen.is_mounted:
                counted = str(app.screen.query_one("#counted", Static).content)
                if "36 of 36 patients" in counted:  # the whole clinic read, the file not yet
                    break
        assert isinstance(app.screen, ExportProgress)
        assert "36 of 36 patients" in counted
        release.set()
        await app.workers.wait_for_complete()
        await until_settled(pilot)
        assert not isinstance(app.screen, ExportProgress)
    assert (tmp_path / "all.json").exists()


async def test_a_screenshot_goes_to_a_folder_that_exists_and_the_app_says_where(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no Downloads, no Documents
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(tmp_path / "Documents"))
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until_settled(pilot)
        app.deliver_screenshot()  # what the palette's Screenshot runs
        await until_settled(pilot)
        said = [n.message for n in app._notifications]  # noqa: SLF001
    [shot] = list(tmp_path.glob("mesotui-screenshot-*.svg"))
    assert any(f"Screenshot saved to {shot}" in m for m in said), said
    assert (shot.stat().st_mode & 0o777) == 0o600 and "<svg" in shot.read_text()
    assert os.environ["HOME"] == str(tmp_path)
