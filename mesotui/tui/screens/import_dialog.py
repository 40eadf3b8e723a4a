"""The spreadsheet import dialog: a file and its date order, checked first (a dry run).

It returns the checked plan; the caller writes it (all of it, in one save) and says so.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from mesotui import spreadsheet
from mesotui.errors import MesoError
from mesotui.models import Patient
from mesotui.tui.widgets.field import Field
from mesotui.tui.widgets.keybar import KeyBar


class ImportDialog(ModalScreen[spreadsheet.Plan | None]):
    """Pick a CSV, check it (what would be added, every row that cannot be), then import."""

    CSS_PATH = "../import_dialog.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, today: date, held: list[Patient]) -> None:
        super().__init__(classes="form-screen")
        self.today = today
        self.held = held
        self.checked: spreadsheet.Plan | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):  # laid out as every other form: label, field, its hint
            yield Static("Import patients from a spreadsheet (CSV)", id="form-title")
            with VerticalScroll(id="fields"):
                yield Field("File", Input(placeholder="/path/to/patients.csv", id="path",
                                          compact=True),
                            hint="enter checks the file (nothing is imported yet)",
                            classes="-hint-always")
                yield Field("Dates", Select(
                    [("as the file shows", ""), ("day first (31/12/1980)", "day-first"),
                     ("month first (12/31/1980)", "month-first")],
                    value="", allow_blank=False, id="order", compact=True, classes="scale"))
                yield Static("", id="outcome", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Check", id="check", variant="primary", compact=True)
                yield Button("Import", id="import", disabled=True, compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Changed)
    @on(Select.Changed)
    def _forget_check(self) -> None:
        self.checked = None
        self.query_one("#import", Button).disabled = True

    @on(Input.Submitted)
    @on(Button.Pressed, "#check")
    def check_file(self) -> None:
        outcome = self.query_one("#outcome", Static)
        path = Path(self.query_one("#path", Input).value.strip()).expanduser()
        order = self.query_one("#order", Select).value or None
        try:
            rows = spreadsheet.read(path)[1]
            order = order or spreadsheet.date_order(rows) or None
            found = spreadsheet.plan([(path.name, rows)], self.held, self.today,
                                     order if isinstance(order, str) else None,
                                     datetime.now(UTC))
        except spreadsheet.DateOrderNeeded:
            outcome.update("Dates such as 03/04/1988 appear: choose day first or month first.")
            return
        except (OSError, MesoError) as error:
            outcome.update(f"{path}: {getattr(error, 'strerror', None) or error}")
            return
        lines = [found.describe("Would add") + "."]
        lines += [f"Cannot import: {problem}" for problem in found.problems[:8]]
        if len(found.problems) > 8:
            lines.append(f"... and {len(found.problems) - 8} more rows")
        if found.problems:
            lines.append("Nothing will be imported until every row is right.")
        outcome.update("\n".join(lines))
        self.checked = found
        self.query_one("#import", Button).disabled = bool(found.problems) or not (
            found.patients or found.sessions)

    @on(Button.Pressed, "#import")
    def import_checked(self) -> None:
        self.dismiss(self.checked)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
