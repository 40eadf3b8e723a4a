"""The command palette's entries (ctrl+p): every action by name, for the screen shown.

A view-only window offers none that would change the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from mesotui.tui import flows
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.widgets.patient_list import QUICK_FILTERS

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

READS = {"Keys", "Export", "Reports", "Filter", "Set aside from the sync server"}
"""What a view-only window offers (with the quick filters): nothing that writes."""


def commands(app: MesoApp, screen: Screen[object]) -> Iterable[SystemCommand]:
    for command in _all(app, screen):
        if not app.view_only or command.title in READS or command.title.startswith("Show:"):
            yield command


def _all(app: MesoApp, screen: Screen[object]) -> Iterable[SystemCommand]:
    from mesotui.tui.screens.record import RecordScreen

    yield SystemCommand("Keys", "Every key, per screen (?)", app.action_help)
    yield SystemCommand("Export", "Records as JSON, FHIR, a calendar or CSV (e)",
                        app.action_export)
    yield SystemCommand("Import a spreadsheet", "Patients and past sessions from a CSV "
                        "file, checked first", app.action_import_spreadsheet)
    yield SystemCommand("Reports", "Side effects, due calendar, lot recall, outcomes (r)",
                        app.action_reports)
    if app.undo_list.changes:
        yield SystemCommand("Undo", f"Undo: {app.undo_list.changes[-1].summary} (ctrl+z)",
                            app.action_undo)
    if app.sync:
        from mesotui.tui import syncing as background

        yield SystemCommand("Sync server", "This laptop's CouchDB server: address, user, "
                            "password", lambda: background.set_up(app))
    if (syncing := app.syncing) is not None:
        for record_id in syncing.conflicts():
            yield SystemCommand(f"Two versions: {record_id}", "Two rooms changed it while "
                                "apart: compare the versions, keep one or merge them",
                                lambda r=record_id: syncing.compare(r))  # type: ignore[misc]
    from mesotui.tui.screens import quarantine

    if n := len(quarantine.held(app)):
        yield SystemCommand("Set aside from the sync server", f"{n} document"
                            f"{'s' if n != 1 else ''} that did not verify with the clinic key: "
                            "what they are, who to ask", lambda: quarantine.show(app))
    yield SystemCommand("Settings", "Clinic default protocol, due-soon window, product, "
                        "practitioners", lambda: flows.edit_settings(app, app._say))
    if isinstance(screen, PatientsScreen):
        yield SystemCommand("New patient", "Add a patient (n)", screen.action_new)
        yield SystemCommand("Filter", "Filter the list by name or id (/)", screen.action_filter)
        if screen.patients.current:
            name = screen.patients.current.patient.name
            yield SystemCommand(f"Log session: {name}", "For the highlighted patient (l)",
                                screen.action_log)
        for key, (label, _) in QUICK_FILTERS.items():
            yield SystemCommand(f"Show: {label}", "Quick filter of the patient list",
                                lambda key=key: screen.action_quick(key))  # type: ignore[misc]
    if isinstance(screen, RecordScreen):
        for title, help_text, action in (
                ("Log session", "For this patient (l)", screen.action_log),
                ("Record evaluation", "Outcome measures, photos and the decision (E)",
                 screen.action_evaluate),
                ("Consent", "Record or withdraw consent to off-label treatment (k)",
                 screen.action_consent),
                ("Amend evaluation", "The highlighted evaluation, with a reason",
                 lambda: screen.act_on_evaluation("amend")),
                ("Void evaluation", "The highlighted evaluation, with a reason",
                 lambda: screen.act_on_evaluation("void")),
                ("Amend session", "The highlighted session, with a reason (a)",
                 screen.action_amend),
                ("Void session", "The highlighted session, with a reason (v)",
                 screen.action_void),
                ("Edit patient details", "(d)", screen.action_edit),
                ("Pause, stop or resume the course", "With date and reason (c)",
                 screen.action_course),
                ("Archive or unarchive the patient", "Never deleted (x)",
                 screen.action_archive)):
            yield SystemCommand(title, help_text, action)


