"""The export dialog: collects what to export and where; the caller runs the export."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from mesotui.errors import MesoError
from mesotui.export import ExportRequest
from mesotui.parse import parse_date
from mesotui.paths import default_export_dir


def default_name(today: date, pseudonymise: bool) -> str:
    return f"mesotui-export-{today.isoformat()}{'-pseudonymised' if pseudonymise else ''}.json"


class ExportDialog(ModalScreen[ExportRequest | None]):
    """Scope (whole clinic, this patient, a date range), pseudonymised or not, and the file.

    Args:
        today: the clinic's today, for the default file name.
        patient_id: offers "this patient" (preselected) when given.
        export_dir: the folder proposed for the file (default: the user's documents folder).
    """

    CSS_PATH = "../export_dialog.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, today: date, patient_id: str | None = None,
                 export_dir: Path | None = None) -> None:
        super().__init__()
        self.today, self.patient_id = today, patient_id
        self.export_dir = export_dir if export_dir is not None else default_export_dir()

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label("Export records as JSON", id="title")
            with RadioSet(id="scope"):
                yield RadioButton("Whole clinic", id="scope-all", value=not self.patient_id)
                if self.patient_id:
                    yield RadioButton(f"This patient ({self.patient_id})", id="scope-patient",
                                      value=True)
                yield RadioButton("Sessions in a date range", id="scope-range")
            with Horizontal(id="range"):
                yield Input(placeholder="from YYYY-MM-DD", id="since", compact=True)
                yield Input(placeholder="to YYYY-MM-DD", id="until", compact=True)
            yield Checkbox("Pseudonymised (no names, contacts, notes; birth year only)",
                           id="pseudonymise")
            yield Label("Save to")
            yield Input(str(self.export_dir / default_name(self.today, False)), id="path",
                        compact=True)
            yield Static("", id="error", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Export", id="export", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._show_range(False)
        self.query_one("#scope", RadioSet).focus()

    @on(RadioSet.Changed, "#scope")
    def _scope_changed(self, event: RadioSet.Changed) -> None:
        self._show_range(event.pressed.id == "scope-range")

    @on(Checkbox.Changed, "#pseudonymise")
    def _rename_for_pseudonymised(self, event: Checkbox.Changed) -> None:
        path = self.query_one("#path", Input)
        old = str(Path(path.value).parent / default_name(self.today, not event.value))
        if path.value == old:  # only a name we proposed, never one the user typed
            path.value = str(Path(path.value).parent / default_name(self.today, event.value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#export")
    @on(Input.Submitted)
    def _export(self) -> None:
        try:
            request = self.request()
        except MesoError as error:
            self.query_one("#error", Static).update(str(error))
            return
        self.dismiss(request)

    def request(self) -> ExportRequest:
        """The request the form describes; raises MesoError naming the field that is wrong."""
        pressed = self.query_one("#scope", RadioSet).pressed_button
        scope = pressed.id if pressed else "scope-all"
        since = until = None
        if scope == "scope-range":
            since = self._date("#since", "from")
            until = self._date("#until", "to")
            if since and until and since > until:
                raise MesoError("the range starts after it ends")
        text = self.query_one("#path", Input).value.strip()
        if not text:
            raise MesoError("choose a file to save to")
        return ExportRequest(
            patient_ids=(self.patient_id,) if scope == "scope-patient" and self.patient_id else (),
            since=since, until=until,
            pseudonymise=self.query_one("#pseudonymise", Checkbox).value,
            destination=Path(text).expanduser())

    def _date(self, selector: str, name: str) -> date | None:
        text = self.query_one(selector, Input).value.strip()
        return parse_date(text, name) if text else None

    def _show_range(self, shown: bool) -> None:
        self.query_one("#range").set_class(not shown, "-hidden")
