"""A long export's progress: what is being written where, and how far it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

if TYPE_CHECKING:
    from mesotui.tui.screens.export_dialog import ExportChoice


class ExportProgress(ModalScreen[None]):
    """Shown while an export that takes a while is written; it closes itself when done."""

    def __init__(self, choice: ExportChoice) -> None:
        super().__init__(classes="dialog-screen")
        self.choice = choice

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Exporting ({self.choice.fmt.upper()}) to "
                         f"{self.choice.request.destination}\u2026", id="question",
                         markup=False)
            yield ProgressBar(id="progress", show_eta=True)
            yield Static("", id="counted", markup=False)

    def show(self, done: int, total: int) -> None:
        if not self.is_mounted:
            self.call_after_refresh(self.show, done, total)
            return
        self.query_one(ProgressBar).update(total=total or None, progress=done)
        if total:
            self.query_one("#counted", Static).update(f"{done:,} of {total:,} patients")
