"""The home screen: every patient with where they stand, most urgent first, filtered as you type."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static

from mesotui import findings
from mesotui.errors import MesoError
from mesotui.models import Patient
from mesotui.tui import flows
from mesotui.tui.messages import RecordSaved
from mesotui.tui.widgets.keybar import KeyBar
from mesotui.tui.widgets.patient_list import QUICK_FILTERS, QUICK_SHORT, PatientList
from mesotui.tui.widgets.quickbar import QuickBar
from mesotui.tui.widgets.titlebar import TitleBar, ViewOnlyBanner

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp


class PatientsScreen(Screen[None]):
    """The morning list; `/` filters by name or id, 1-6 pick a quick filter."""

    app: MesoApp  # type: ignore[assignment]
    BINDINGS: ClassVar[list[BindingType]] = [
        # Help first, so it stays in the footer even at 80 columns.
        Binding("question_mark", "app.help", "Help"),
        Binding("enter", "open", "Open"),
        Binding("n", "new", "New patient"),
        Binding("l", "log", "Log session"),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("s", "settings", "Settings"),
        *[Binding(str(n), f"quick('{key}')", label, show=False)
          for n, (key, (label, _)) in enumerate(QUICK_FILTERS.items(), start=1)],
    ]
    patients = getters.query_one("#patients", PatientList)
    search = getters.query_one("#filter", Input)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield ViewOnlyBanner()
        yield Static(id="tamper", markup=False)
        yield Input(placeholder="Filter by name or id (enter: go to the list, escape: clear)",
                    id="filter", compact=True)
        yield QuickBar({key: (label, QUICK_SHORT[key])
                        for key, (label, _test) in QUICK_FILTERS.items()}, id="quick")
        yield PatientList(id="patients")
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A view-only window offers nothing that changes the record."""
        return self.app.allows(action)

    def on_mount(self) -> None:
        self.search.display = False
        # Filter as the value changes, not on Input.Changed: the message comes a turn later,
        # often after the typed key was painted, and the list would then wait a frame for it.
        self.watch(self.search, "value", self._filter_typed, init=False)
        self.reload()
        self.patients.focus()

    def reload(self) -> None:
        """Place every patient anew (start-up, settings changed): only the rows drawn are made.

        At start-up the list is placed from the start-up index while a thread still proves
        it (mesotui/engine/source.py), and shown once its MAC holds and the file has the
        stamp it recorded (the digest is checked on, see `tui/background.py`): if not, the
        file was read whole, and it is placed again from what it holds.
        """
        store, today = self.app.store, self.app.today
        listing = store.listing(today)
        try:
            if store.prove(quick=True):
                listing = store.listing(today)
        except MesoError as error:  # the file read whole is damaged: the recovery screen
            self.app.give_up(error)
            return
        self.patients.set_listing(listing)
        self._after_change()

    @on(RecordSaved)
    def _saved(self, event: RecordSaved) -> None:
        """A save (here, or a new reading of the file): the rows it may have changed."""
        if event.everyone:
            self.reload()
            return
        for patient_id in sorted(event.saved.patients):
            self.refresh_patient(patient_id)

    def refresh_patient(self, patient_id: str) -> None:
        """One patient changed: recompute their row only, so a save stays instant."""
        self.patients.refresh_patient(patient_id)
        self._after_change()

    def _after_change(self) -> None:
        self.query_one("#quick", QuickBar).show_counts(self.patients.counts())
        self._explain_empty()
        text, kind = findings.banner(self.app.store.integrity)  # tampering: never missed
        banner = self.query_one("#tamper", Static)
        banner.update(text)
        banner.set_class(bool(kind), "-shown")
        banner.set_class(kind == "unchecked", "-unchecked")

    def _explain_empty(self) -> None:
        quick_label = QUICK_FILTERS[self.patients.quick][0]
        if not self.patients.all_rows:
            lines = ["No patients in this record file yet.", "",
                     "Press n to add the first patient.",
                     "Press ? for every key, ctrl+p for all commands."]
        elif self.patients.needle:
            lines = [f"No patient matches \u201c{self.search.value.strip()}\u201d in "
                     f"\u201c{quick_label}\u201d.", "Press escape to clear the filter."]
        else:
            lines = [f"No patients under \u201c{quick_label}\u201d. Press 1 to see all."]
        self.patients.empty_lines = lines
        self.patients.refresh()

    # -- filtering ------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.patients.prepare_search()  # here, so the first key typed is not the one to wait
        self.search.display = True
        self.search.focus()

    def _filter_typed(self, value: str) -> None:
        self.patients.filter(needle=value)
        self._explain_empty()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.patients.focus()

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        if key == "down" and self.search.has_focus:
            self.patients.focus()

    def action_clear_filter(self) -> None:
        if self.search.value:
            self.search.value = ""
        self.search.display = False
        self.patients.focus()

    def action_quick(self, key: str) -> None:
        self.query_one("#quick", QuickBar).active = key

    @on(QuickBar.Chosen, "#quick")
    def _quick_chosen(self, event: QuickBar.Chosen) -> None:
        self.patients.filter(quick=event.key)
        self._explain_empty()

    # -- actions --------------------------------------------------------------------------

    def action_open(self) -> None:
        self.patients.action_open()

    @on(PatientList.Opened)
    def open_record(self, event: PatientList.Opened) -> None:
        try:  # the first record opened waits for the record file's bytes: they may fail
            self.app.store.patient(event.patient_id)
        except MesoError as error:
            self.notify(f"The record could not be opened: {error}", severity="error",
                        markup=False)
            return
        self.app.push_screen(self._record(event.patient_id))

    def action_new(self) -> None:
        def added(patient: Patient) -> None:
            self.notify(f"Added {patient.name} ({patient.id}).", markup=False)
            self.app.push_screen(self._record(patient.id))

        flows.add_patient(self.app, added)

    def build_record(self) -> None:
        """Build the record screen ahead, while nobody types (the app asks once the list is
        idle): composing and styling its widgets was most of the first opening's time."""
        row = self.patients.current
        if row is None or self.app.is_screen_installed("record"):
            return
        self._record(row.patient.id)
        self.app._get_screen("record")  # noqa: SLF001 - mounted off the stack, as once closed

    def _record(self, patient_id: str) -> Screen[None]:
        """The record screen, showing `patient_id`.

        One record screen is built once and kept (installed), then shown again for each
        patient: building and styling its widgets is most of the time opening a record takes.
        """
        from mesotui.tui.screens.record import RecordScreen

        if not self.app.is_screen_installed("record"):
            self.app.install_screen(RecordScreen(patient_id), "record")
        screen = self.app.get_screen("record")
        assert isinstance(screen, RecordScreen)
        if screen in self.app.screen_stack:  # already open (under a form): a new one
            return RecordScreen(patient_id)
        screen.show(patient_id)
        return screen

    def action_log(self) -> None:
        row = self.patients.current
        if row is None:
            self.notify("No patient highlighted.", severity="warning")
            return
        flows.log_session(self.app, row.patient.id, lambda message: self.notify(
            message, markup=False))

    def action_settings(self) -> None:
        flows.edit_settings(self.app, lambda message: self.notify(message, markup=False))
