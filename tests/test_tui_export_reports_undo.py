"""The app's e (export), r (reports) and ctrl+z (undo) keys, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input

from mesotui.tui.screens.export_dialog import ExportDialog
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.screens.reports import ReportsScreen
from mesotui.tui.widgets.patient_list import PatientList
from tests.test_tui_support import TODAY, complete_session, demo_app, demo_store, screen_text


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.pause(0.1)


async def test_e_exports_the_open_patient_without_freezing_the_screen(tmp_path: Path) -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        patient = app.screen.query_one(PatientList).current.patient  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ExportDialog)
        target = tmp_path / "handover.json"
        app.screen.query_one("#path", Input).value = str(target)
        app.screen.query_one("#export").press()  # type: ignore[attr-defined]
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        exported = json.loads(target.read_text(encoding="utf-8"))
        assert [p["id"] for p in exported["patients"]] == [patient.id]
        assert (target.stat().st_mode & 0o777) == 0o600
        sessions = len(app.store.sessions_for(patient.id))
        said = f"Exported 1 patient and {sessions} sessions (JSON) to {target}"
        assert any(said in n.message for n in app._notifications)  # noqa: SLF001


async def test_r_opens_the_reports_and_escape_returns() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        assert "Side effects" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)


async def test_ctrl_z_undoes_the_last_logged_session_as_a_new_revision() -> None:
    store = demo_store()
    app = demo_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = app.screen.query_one(PatientList).current
        assert first is not None
        before = store.outlook(first.patient, TODAY).next_due
        await pilot.press("l")
        await settle(pilot)
        await complete_session(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        logged = store.sessions_for(first.patient.id)[-1]
        assert logged.date == TODAY and not logged.voided
        await pilot.press("ctrl+z")
        await settle(pilot)
        undone = store.session(logged.id)
        assert undone.voided and [r.action for r in undone.history] == ["create", "void"]
        assert store.outlook(store.patient(first.patient.id), TODAY).next_due == before
        row = app.screen.query_one(PatientList).current
        assert row is not None and row.view.next_due == before
        await pilot.press("ctrl+z")  # nothing else was changed in this window
        await settle(pilot)
        assert store.session(logged.id).voided


async def test_a_pseudonymised_export_from_the_app_works_on_a_new_record_file(
        tmp_path: Path) -> None:
    """The clinic's pseudonym key is made on first use, before the export runs in its worker."""
    from textual.widgets import Checkbox

    from mesotui.commands.context import Context
    from mesotui.commands.context import demo_store as make_demo
    from mesotui.tui.app import MesoApp

    context = Context(tmp_path / "clinic.json", TODAY)
    with make_demo(context.db_path, context) as store:
        assert store.pseudonym_key(create=False) is None
        app = MesoApp(store=store, today=TODAY)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
            app.screen.query_one("#pseudonymise", Checkbox).value = True
            target = tmp_path / "research.json"
            app.screen.query_one("#path", Input).value = str(target)
            app.screen.query_one("#export").press()  # type: ignore[attr-defined]
            await settle(pilot)
            await app.workers.wait_for_complete()
            await settle(pilot)
        exported = json.loads(target.read_text(encoding="utf-8"))
        assert exported["pseudonymised"] is True
        assert all(p["name"] == "" for p in exported["patients"])
