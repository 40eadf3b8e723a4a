"""The home screen: every patient with where they stand, most urgent first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from mesotui.vocab import DueStatus

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

STATUS_STYLE = {DueStatus.OVERDUE: "bold red", DueStatus.DUE_SOON: "bold yellow"}


def due_phrase(days: int | None) -> str:
    if days is None:
        return ""
    if days < 0:
        return f"{-days} d overdue"
    return "today" if days == 0 else f"in {days} d"


class PatientsScreen(Screen[None]):
    """Read-only patient list, sorted by next due date, overdue first."""

    app: MesoApp  # type: ignore[assignment]
    table = getters.query_one("#patients", DataTable)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="empty")
        yield DataTable(id="patients", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.table.add_columns("Name", "Sex/age", "Sessions", "Last session", "Next due",
                               "", "Status")
        today = self.app.today
        rows = self.app.store.overview(today)
        for patient, view in rows:
            style = STATUS_STYLE.get(view.status, "")
            self.table.add_row(
                Text(patient.name), f"{patient.sex.short} {patient.age_on(today)}",
                str(view.sessions_given),
                view.last_session.isoformat() if view.last_session else "-",
                view.next_due.isoformat() if view.next_due else "-",
                due_phrase(view.days_until_due),
                Text(view.status.label, style=style), key=patient.id)
        empty = self.query_one("#empty", Static)
        empty.display = not rows
        empty.update("No patients in this record file yet.")
