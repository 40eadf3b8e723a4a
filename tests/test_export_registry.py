"""One table of export formats: the command line's --format and the app's export dialog both
offer what it holds, and write through its entry, so a format is added with one entry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from mesotui import export
from mesotui.cli import build_parser, main
from mesotui.commands.context import Context, demo_store
from mesotui.interop.formats import FORMATS, ExportFormat, Options
from mesotui.store import Store
from mesotui.tui.screens.export_dialog import ExportDialog
from tests.conftest import TODAY
from tests.test_tui_support import demo_app, until_settled


def ids_only(store: Store, today: date, request: export.ExportRequest, options: Options,
             progress: export.Progress | None = None) -> bytes:
    return "".join(f"{p.id}\n" for p, *_ in export.select(store, request)).encode()


IDS = ExportFormat("ids", ".ids.txt", "Patient ids: one a line", "one patient id a line",
                   ids_only)


@pytest.fixture
def with_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FORMATS, "ids", IDS)


def test_the_command_line_offers_every_format_of_the_table(
        with_ids: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    context = Context(tmp_path / "clinic.json", TODAY)
    demo_store(context.db_path, context).close()
    target = tmp_path / "clinic.ids.txt"
    assert main(["export", "--db", str(context.db_path), "--today", TODAY.isoformat(),
                 "--format", "ids", "--patient", "P-00002", "-o", str(target)]) == 0
    assert target.read_text() == "P-00002\n"
    assert f"(IDS) to {target}" in capsys.readouterr().out
    usage = " ".join(_export_help().split())
    assert "ids (one patient id a line)" in usage
    assert all(f"{name} (" in usage for name in FORMATS)


def _export_help() -> str:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")  # noqa: SLF001
    return action.choices["export"].format_help()  # type: ignore[index]


async def test_the_app_offers_and_writes_every_format_of_the_table(
        with_ids: None, tmp_path: Path) -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until_settled(pilot)
        await pilot.press("e")
        await until_settled(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.export_dir = tmp_path
        offered = dialog.query_one("#format", Select)
        labels = [str(label) for label, _value in offered._options]  # noqa: SLF001
        assert labels == [f.label for f in FORMATS.values()] and labels[-1].startswith("Patient")
        offered.value = "ids"
        await until_settled(pilot)
        path = dialog.query_one("#path", Input).value
        assert path.endswith("mesotui-export-2026-01-15.ids.txt"), path
        assert not dialog.query_one("#calendar").display  # its options only for a calendar
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        await app.workers.wait_for_complete()
        await until_settled(pilot)
        said = [n.message for n in app._notifications]  # noqa: SLF001
    assert sorted(Path(path).read_text().splitlines()) == sorted(
        p.id for p in app.store.patients())
    assert any(f"(IDS) to {path}" in m for m in said), said
