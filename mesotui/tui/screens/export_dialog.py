"""The export dialog: what to export, in which format, and where; the caller runs the export.

Every format and filter of `mesotui export` is offered (the formats come from the one table
the command line uses). The file proposed is in a folder that exists, under a name no file
has yet; a file that exists is only ever replaced after asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from mesotui.errors import MesoError, ValidationError
from mesotui.export import ExportRequest
from mesotui.interop.formats import DEFAULTS, FORMATS, Options
from mesotui.parse import resolve_date
from mesotui.paths import default_export_dir
from mesotui.tui.widgets.dates import DateInput
from mesotui.tui.widgets.ticks import Tick

ALL, PATIENT, RANGE = "all", "patient", "range"


@dataclass(frozen=True)
class ExportChoice:
    """What the dialog collected: the request (with its file), the format and its options."""

    request: ExportRequest
    fmt: str = "json"
    options: Options = DEFAULTS


def proposed_name(today: date, fmt: str, patient_id: str | None, pseudonymise: bool) -> str:
    scope = f"-{patient_id}" if patient_id else ""
    return (f"mesotui-export-{today.isoformat()}{scope}"
            f"{'-pseudonymised' if pseudonymise else ''}{FORMATS[fmt].suffix}")


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `name` numbered (-2, -3...) so that no file there is replaced."""
    path = folder / name
    suffix = max((f.suffix for f in FORMATS.values() if name.endswith(f.suffix)), key=len,
                 default=Path(name).suffix)
    stem = name[:len(name) - len(suffix)]
    n = 2
    while path.exists():
        path, n = folder / f"{stem}-{n}{suffix}", n + 1
    return path


class ExportDialog(ModalScreen[ExportChoice | None]):
    """Format, records (whole clinic, this patient, a date range), pseudonymised, the file.

    Args:
        today: the clinic's today, for the file's name and relative dates.
        patient_id: offers "this patient" (preselected) when given.
        export_dir: the folder proposed (default: the documents folder, else home).
    """

    CSS_PATH = "../export_dialog.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "export", "Export", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, today: date, patient_id: str | None = None,
                 export_dir: Path | None = None) -> None:
        super().__init__()
        self.today, self.patient_id = today, patient_id
        self.export_dir = export_dir if export_dir is not None else default_export_dir()
        self._proposed = ""

    def compose(self) -> ComposeResult:
        scopes = [("Whole clinic", ALL), ("Sessions in a date range", RANGE)]
        if self.patient_id:
            scopes.insert(1, (f"This patient ({self.patient_id})", PATIENT))
        with Vertical(id="export-dialog"):
            yield Label("Export records", id="title")
            with Horizontal(classes="row"):
                yield Label("Format", classes="label")
                yield Select([(f.label, f.name) for f in FORMATS.values()],
                             value="json", allow_blank=False, id="format", compact=True)
            with Horizontal(classes="row"):
                yield Label("Records", classes="label")
                yield Select(scopes, value=PATIENT if self.patient_id else ALL,
                             allow_blank=False, id="scope", compact=True)
            with Horizontal(id="range", classes="row"):
                yield Label("Sessions", classes="label")
                yield DateInput(placeholder="from (YYYY-MM-DD, -30d\u2026)", id="since")
                yield DateInput(placeholder="to (empty: today)", id="until")
            with Horizontal(id="calendar", classes="row"):
                yield Label("Calendar", classes="label")
                yield Input("6", id="horizon", compact=True, restrict=r"\d{0,2}")
                yield Label("months ahead", classes="unit")
                yield Tick("full names in titles", False, id="with-names", compact=True)
            yield Tick("Pseudonymised (no names, contacts, notes; birth decade only)", False,
                       id="pseudonymise", compact=True)
            with Horizontal(classes="row"):
                yield Label("Save to", classes="label")
                yield Input(id="path", compact=True)
            yield Static("", id="error", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Export (ctrl+s)", id="export", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._options_changed()
        self.query_one("#format", Select).focus()

    @on(Select.Changed)
    @on(Checkbox.Changed, "#pseudonymise")
    def _options_changed(self) -> None:
        """Show the options of the format and scope chosen; rename a file we proposed."""
        fmt, scope = self._choice("#format"), self._choice("#scope")
        self.query_one("#range").display = scope == RANGE
        self.query_one("#calendar").display = "horizon_months" in FORMATS[fmt].options
        path = self.query_one("#path", Input)
        if path.value in ("", self._proposed):  # never a name the practitioner typed
            name = proposed_name(self.today, fmt, self.patient_id if scope == PATIENT else None,
                                 self.query_one("#pseudonymise", Checkbox).value)
            self._proposed = path.value = str(free_path(self.export_dir, name))

    def _choice(self, selector: str) -> str:
        return str(self.query_one(selector, Select).value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#export")
    @on(Input.Submitted)
    def action_export(self) -> None:
        try:
            choice = self.choice()
        except MesoError as error:
            self.query_one("#error", Static).update(str(error))
            return
        destination = choice.request.destination
        assert destination is not None
        if not destination.exists():
            self.dismiss(choice)
            return
        from mesotui.tui.screens.dialogs import ConfirmDialog

        size = destination.stat().st_size
        self.app.push_screen(ConfirmDialog(
            f"{destination} already exists ({size / 1024:,.0f} KB). Replace it with this "
            "export? The file it holds now is lost.", "Replace", "Keep it"),
            lambda yes: self.dismiss(choice) if yes else self.query_one("#path").focus())

    def choice(self) -> ExportChoice:
        """What the form describes; raises MesoError naming what is wrong."""
        fmt, scope = self._choice("#format"), self._choice("#scope")
        since = until = None
        if scope == RANGE:
            since = self._date("#since", "from")
            until = self._date("#until", "to") or self.today
            if since and since > until:
                raise MesoError("the range starts after it ends")
        text = self.query_one("#path", Input).value.strip()
        if not text:
            raise MesoError("choose a file to save to")
        destination = Path(text).expanduser()
        if destination.is_dir():
            raise MesoError(f"{destination} is a folder: add the file's name")
        if not destination.parent.is_dir():
            raise MesoError(f"{destination.parent}: no such folder")
        horizon = self.query_one("#horizon", Input).value or "6"
        return ExportChoice(ExportRequest(
            patient_ids=(self.patient_id,) if scope == PATIENT and self.patient_id else (),
            since=since, until=until,
            pseudonymise=self.query_one("#pseudonymise", Checkbox).value,
            destination=destination), fmt, Options(
                max(1, int(horizon)), self.query_one("#with-names", Checkbox).value))

    def _date(self, selector: str, name: str) -> date | None:
        text = self.query_one(selector, Input).value.strip()
        try:
            return resolve_date(text, name, self.today) if text else None
        except ValidationError as error:
            raise MesoError(str(error)) from None
