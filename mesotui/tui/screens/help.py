"""Every key, per screen, read from the screens' own BINDINGS so this list never drifts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mesotui.tui.screens.dialogs import ConfirmDialog
from mesotui.tui.screens.form import FormScreen
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.screens.record import RecordScreen
from mesotui.tui.widgets.patient_list import PatientList

EXTRA = {
    "Everywhere": [("ctrl+p", "Command palette: every action by name")],
    "Patient list": [("double click", "Open")],
    "Patient record": [("up/down", "Move in the session history"),
                       ("enter", "Open the session: full record and revisions")],
    "Forms": [("tab / shift+tab", "Next / previous field (each box is one)"),
              ("enter", "Next field (on a box too: only space ticks it)"),
              ("space", "Tick a box"), ("up/down", "Move between the areas, or the effects"),
              ("enter on a choice", "Open the choice"),
              ("ctrl+q", "Quit; asks first when a form holds unsaved input"),
              ("a date field", "Takes today, yesterday, -3d, +2w, +2m, mon, +fri; shows the "
                               "date meant (-1d \u2192 2026-01-14); \u2192 takes it")],
}


def keys(app: App[object], bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(key, what it does) for each binding, with the keys as the footer shows them."""
    rows = []
    for item in bindings:
        binding = item if isinstance(item, Binding) else Binding(*item)
        shown = ", ".join(app.get_key_display(Binding(k.strip(), binding.action))
                          for k in binding.key.split(","))
        rows.append((shown, binding.description or binding.action))
    return rows


def sections(app: App[object]) -> dict[str, list[tuple[str, str]]]:
    return {
        "Everywhere": keys(app, app.BINDINGS),
        "Patient list": keys(app, PatientsScreen.BINDINGS)
        + keys(app, [b for b in PatientList.BINDINGS if isinstance(b, Binding) and not b.show]),
        "Patient record": keys(app, RecordScreen.BINDINGS),
        "Forms": keys(app, FormScreen.BINDINGS),
        "Questions": keys(app, ConfirmDialog.BINDINGS),
    }


class HelpScreen(ModalScreen[None]):
    """The keys of every screen, the current one first; escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, current: str = "Patient list") -> None:
        super().__init__(classes="form-screen")
        self.current = current

    def compose(self) -> ComposeResult:
        found = sections(self.app)
        order = [self.current] + [name for name in found if name != self.current]
        with Vertical(id="form"):
            yield Static("Keys (escape closes)", id="form-title")
            with VerticalScroll(id="fields"):
                for name in order:
                    yield Static(name, classes="section-title")
                    rows = found.get(name, []) + EXTRA.get(name, [])
                    width = max((len(k) for k, _ in rows), default=0)
                    yield Static("\n".join(f"  {k.ljust(width)}  {what}" for k, what in rows),
                                 markup=False, classes="help-keys")

    def action_close(self) -> None:
        self.dismiss(None)
