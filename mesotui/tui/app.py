"""MesoApp: wires the store and the clinic's today into the screens."""

from __future__ import annotations

from datetime import date

from textual.app import App

from mesotui.store import Store
from mesotui.tui.screens.patients import PatientsScreen


class MesoApp(App[None]):
    """The clinic's patient list and records, on one record file."""

    CSS_PATH = "app.tcss"
    TITLE = "mesotui"

    def __init__(self, store: Store, today: date, db_label: str = "") -> None:
        super().__init__()
        self.store = store
        self.today = today
        self.db_label = db_label or (str(store.path) if store.path else "in memory")
        self.sub_title = f"{self.db_label} · today {today:%a %d %b %Y}"

    def on_mount(self) -> None:
        self.push_screen(PatientsScreen())
