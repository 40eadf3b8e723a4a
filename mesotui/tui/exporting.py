"""An export from the app: written off the main thread, with progress when it takes a while,
then said in words, with where the file is.

It writes exactly what `mesotui export` writes: the same entry of the format table
(`interop.formats`) and the same `export.write_bytes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesotui import export
from mesotui.errors import MesoError
from mesotui.findings import failed_note
from mesotui.interop import formats, what_was_exported
from mesotui.store import Store

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp
    from mesotui.tui.screens.export_dialog import ExportChoice
    from mesotui.tui.screens.export_progress import ExportProgress

PROGRESS_AFTER = 0.3
"""Seconds an export may take before its progress is shown (a quick one just finishes)."""


class ExportJob:
    """One export: run in a thread worker; the app's thread shows its progress and result."""

    def __init__(self, app: MesoApp, choice: ExportChoice) -> None:
        self.app, self.choice = app, choice
        self.done = self.total = 0
        self.finished = False
        self.screen: ExportProgress | None = None
        self._shown_percent = -1

    def start(self) -> None:
        request = self.choice.request
        if request.pseudonymise:
            try:  # the clinic's pseudonym key is made once, here, where the file is writable
                self.app.store.pseudonym_key()
            except MesoError as error:
                self.app.notify(f"Export failed: {error}", severity="error", markup=False)
                return
        self.app.run_worker(self.run, thread=True, exclusive=True, group="export",
                            exit_on_error=False)
        self.app.set_timer(PROGRESS_AFTER, self.show_progress)

    # -- in the worker thread ------------------------------------------------------------

    def run(self) -> None:
        choice, app = self.choice, self.app
        request, fmt = choice.request, choice.fmt
        try:
            source = (Store.open(app.store.path, readonly=True) if app.store.path
                      else app.store)
            tally = export.Tally()
            pieces = formats.write(fmt, source, app.today, request, choice.options,
                                   progress=self.tick, tally=tally)
            assert request.destination is not None
            export.write_bytes(pieces, request.destination)
        except (MesoError, OSError) as error:
            app.call_from_thread(self.end, f"Export failed: {error}", True)
            return
        kind = "pseudonymised " if request.pseudonymise else ""
        note = failed_note(source.integrity)  # tampered records are named, never hidden
        app.call_from_thread(self.end, (
            f"Exported {what_was_exported(fmt, tally.patients, tally.sessions)} "
            f"({kind}{fmt.upper()}) to "
            f"{request.destination} (readable by you only)."
            + (f" {note[0].upper()}{note[1:]}." if note else "")), False)

    def tick(self, done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != self._shown_percent:  # at most a hundred hops to the app's thread
            self._shown_percent = percent
            self.app.call_from_thread(self.advance, done, total)

    # -- on the app's thread -------------------------------------------------------------

    def advance(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.screen is not None:
            self.screen.show(done, total)

    def show_progress(self) -> None:
        """Still running: show how far it is."""
        if self.finished:
            return
        from mesotui.tui.screens.export_progress import ExportProgress

        self.screen = ExportProgress(self.choice)
        self.app.push_screen(self.screen)
        self.screen.show(self.done, self.total)

    def end(self, message: str, failed: bool) -> None:
        self.finished = True
        if self.screen is not None:
            self.screen.dismiss(None)
            self.screen = None
        self.app.notify(message, severity="error" if failed else "information",
                        timeout=10, markup=False)
