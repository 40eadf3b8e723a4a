"""MesoApp: wires the store and the clinic's today into the screens."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from mesotui.store import Store
from mesotui.tui import flows
from mesotui.tui.screens.help import HelpScreen
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.screens.record import RecordScreen

HELP_SECTION = {PatientsScreen: "Patient list", RecordScreen: "Patient record"}


class MesoApp(App[None]):
    """The clinic's patient list and records, on one record file."""

    CSS_PATH = "app.tcss"
    TITLE = "mesotui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(self, store: Store, today: date, db_label: str = "") -> None:
        super().__init__()
        self.store = store
        self.today = today
        self.db_label = db_label or (str(store.path) if store.path else "in memory")
        self.sub_title = f"{self.db_label} · today {today:%a %d %b %Y}"

    def on_mount(self) -> None:
        self.push_screen(PatientsScreen())

    @property
    def home(self) -> PatientsScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, PatientsScreen)), None)

    def patient_changed(self, patient_id: str) -> None:
        """A save touched this patient: refresh their row on the list beneath."""
        if self.home:
            self.home.refresh_patient(patient_id)

    def settings_changed(self) -> None:
        """The protocol or due-soon window may have changed: recompute every row."""
        if self.home:
            self.home.reload()
        if isinstance(self.screen, RecordScreen):
            self.screen.refresh_record()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            section = next((name for kind, name in HELP_SECTION.items()
                            if isinstance(self.screen, kind)), "Forms")
            self.push_screen(HelpScreen(section))

    def _say(self, message: str) -> None:
        self.notify(message, markup=False)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Keys", "Every key, per screen (?)", self.action_help)
        yield SystemCommand("Settings", "Clinic default protocol, due-soon window, product, "
                            "practitioners", lambda: flows.edit_settings(self, self._say))
        if isinstance(screen, PatientsScreen):
            yield SystemCommand("New patient", "Add a patient (n)", screen.action_new)
            yield SystemCommand("Filter", "Filter the list by name or id (/)", screen.action_filter)
            if screen.patients.current:
                name = screen.patients.current.patient.name
                yield SystemCommand(f"Log session: {name}", "For the highlighted patient (l)",
                                    screen.action_log)
            for key, (label, _) in flows.QUICK_FILTERS.items():
                yield SystemCommand(f"Show: {label}", "Quick filter of the patient list",
                                    lambda key=key: screen.action_quick(key))  # type: ignore[misc]
        if isinstance(screen, RecordScreen):
            for title, help_text, action in (
                    ("Log session", "For this patient (l)", screen.action_log),
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
