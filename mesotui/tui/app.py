"""MesoApp: wires the store and the clinic's today into the screens."""

from __future__ import annotations

import gc
import getpass
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from mesotui.errors import MesoError
from mesotui.store import Saved, Store
from mesotui.tui import safe_text
from mesotui.tui.background import Background
from mesotui.tui.crash import PlainCrash
from mesotui.tui.folding import IdleFold
from mesotui.tui.keygate import KeyGate
from mesotui.tui.messages import RecordSaved
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.undo import UndoList
from mesotui.tui.widgets.keybar import MORE_KEY, KeyBar

if TYPE_CHECKING:
    from mesotui.spreadsheet import Plan
    from mesotui.tui.screens.export_dialog import ExportChoice
    from mesotui.tui.screens.record import RecordScreen
    from mesotui.tui.syncing import BackgroundSync



class MesoApp(PlainCrash, App[None]):
    """The clinic's patient list and records, on one record file."""

    CSS_PATH = ["bars.tcss", "app.tcss"]
    TITLE = "mesotui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("e", "export", "Export"),
        Binding("r", "reports", "Reports"),
        Binding("ctrl+z", "undo", "Undo"),
        Binding(MORE_KEY, "more_keys", "More keys", show=False),
    ]

    def __init__(self, store: Store, today: date, db_label: str = "", *,
                 view_only: bool = False, sync: bool = False) -> None:
        safe_text.install()  # every text drawn shows control characters escaped
        super().__init__()
        self.store = store
        self.today = today
        self.view_only = view_only
        """A second window on a file open for changes elsewhere: it shows, never writes."""
        self.db_label = db_label or (str(store.path) if store.path else "in memory")
        self.sub_title = (("VIEW ONLY · " if view_only else "")
                          + f"{self.db_label} · today {today:%a %d %b %Y}")
        self.set_class(view_only, "-view-only")
        self.undo_list = UndoList(store)
        store.listeners.append(self.announce)
        self.keys = KeyGate(self)
        self.folder = IdleFold(self)
        self.sync = sync and not view_only
        """Sync in the background with the server set up on this laptop, if one is."""
        self.syncing: BackgroundSync | None = None
        self.failed: MesoError | None = None
        """Why the record file could not be used after all (`give_up`): raised once the app
        has ended, so a damaged file opens the recovery screen (`cli.run_app`)."""

    async def on_event(self, event: events.Event) -> None:
        """Keys go through the gate: each is handled to the end before the next is handed on,
        so type-ahead lands in the field (or screen) that has focus by then."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            self.folder.key()
            if self.keys.admit(event):
                await super().on_event(event)
                self.keys.handled()
            return
        await super().on_event(event)

    def on_mount(self) -> None:
        self.push_screen(PatientsScreen())
        self.call_after_refresh(self._started)
        if self.view_only:
            from mesotui.tui.viewonly import Follower

            self.follower = Follower(self)
            self.follower.start()

    def _started(self) -> None:
        """The list is on screen."""
        if not gc.isenabled():
            # `mesotui` paused the collector to start (cli.run_app): what was built so far
            # lives as long as the app, so take it out of the collector's sight, then resume.
            gc.freeze()
            gc.enable()
        _record_screen_class()  # import it now, so the first record opens as quick as the rest
        self.folder.key()  # the quiet that background work waits for counts from now
        Background(self).start()  # the file's proof, then the work done while nobody types

    def give_up(self, error: MesoError) -> None:
        """The record file cannot be used (found while the list was being shown): end."""
        self.failed = error
        self.exit()

    def on_idle(self) -> None:
        """Pass the app's idle prompt on to the screen shown.

        Textual drops a screen's repaint asked for while a batch update runs (a footer
        recomposing, say) and, when the batch ends, prompts only the app. The record screen is
        kept between openings, so its footer can be mid-recompose as the list comes back;
        without this the list would stay unpainted until the next key. While the app closes
        there may be no screen left: nothing to prompt then.
        """
        if self.screen_stack:
            self.screen.check_idle()

    @property
    def shown_record(self) -> RecordScreen | None:
        """The record screen, when it is the screen shown."""
        screen = self.screen
        return screen if isinstance(screen, _record_screen_class()) else None

    @property
    def home(self) -> PatientsScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, PatientsScreen)), None)

    def announce(self, saved: Saved) -> None:
        """The store's one signal of a save (or, view-only, a new reading of the file): every
        screen open hears of it as one message, and refreshes what it shows from it."""
        if not (saved.records or saved.settings or saved.everyone):
            return  # nothing shown changed (the clinic's pseudonym key, say)
        for screen in self.screen_stack:
            screen.post_message(RecordSaved(saved))
        self.refresh_bindings()  # undo may have become available, or not

    async def action_quit(self) -> None:
        """Quit; with a form holding unsaved input, first ask (as escape does)."""
        from mesotui.tui.screens.dialogs import ConfirmDialog
        from mesotui.tui.screens.form import FormScreen

        if isinstance(self.screen, ConfirmDialog) and getattr(self.screen, "quitting", False):
            self.exit()  # ctrl+q again on the question: quit, as asked twice
            return
        forms = [s for s in self.screen_stack if isinstance(s, FormScreen) and s.dirty]
        if not forms:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        question = ConfirmDialog(f"Quit mesotui? {forms[-1].TITLE_TEXT or 'The form'} has "
                                 "input that is not saved: it will be lost.",
                                 "Quit, discard it", "Keep editing")
        question.quitting = True  # type: ignore[attr-defined]
        self.push_screen(question, answered)

    def action_more_keys(self) -> None:
        """The bottom line's next page of keys (when they do not all fit its width)."""
        bars = [bar for bar in self.screen.query(KeyBar) if len(bar.pages()) > 1]
        for bar in bars:
            bar.next_page()
        if not bars:
            self.bell()  # every key is shown already

    def allows(self, action: str) -> bool:
        """Whether `action` may run here: nothing that changes the record in view-only."""
        from mesotui.tui.viewonly import WRITES

        return not (self.view_only and action in WRITES)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Export, reports and undo act from the list and the record, never under a form."""
        if not self.allows(action):
            return False
        if action == "help" and self._in_form:
            return None  # a form's help is F1: `?` is typed into its fields
        if action in ("export", "reports", "undo"):
            if not isinstance(self.screen, PatientsScreen) and not self.shown_record:
                return False
        return True

    @property
    def user(self) -> str:
        """Who works in this window, for the history: the clinic's default practitioner, else
        the computer's login name."""
        if self.store.settings.default_practitioner:
            return self.store.settings.default_practitioner
        try:
            return getpass.getuser()
        except (OSError, KeyError, ImportError):  # no login name to be had
            return ""

    def action_undo(self) -> None:
        """Undo the newest change made in this window, and say what was undone, every time;
        on a record, a change to another patient is undone only once the user says so."""
        change = self.undo_list.newest()
        if change is None:
            self._say("Nothing to undo: no change made in this window is left to undo "
                      "(settings are changed back with s).")
            return
        record = self.shown_record
        if record is not None and change.patient_id != record.patient_id:
            from mesotui.tui.screens.dialogs import ConfirmDialog

            here = self.store.patient(record.patient_id).name
            self.push_screen(ConfirmDialog(
                f"The last change made in this window is not {here}'s: {change.summary}. "
                "Undo it?", yes="Undo it", no="Keep it"),
                lambda yes: self._undo() if yes else None)
            return
        self._undo()

    def _undo(self) -> None:
        try:
            change = self.undo_list.undo(by=self.user)
        except MesoError:
            held = self.undo_list.changes[-1].summary if self.undo_list.changes else "it"
            self.notify(f"Nothing was undone: {held} was changed again since (in another "
                        "window, or by a sync).", severity="error", markup=False)
            return
        if change is None:
            return
        kept = ("It stays in the record, marked UNDONE." if " logged" in change.summary
                or " recorded" in change.summary else "The record keeps both versions.")
        following = self.undo_list.newest()  # only a promise it can keep
        more = f" ctrl+z again undoes {following.summary}." if following else ""
        self._say(f"Undone: {change.summary}. {kept}{more}")

    # Screens other than the list and the record are imported when first opened, so that
    # starting the app pays only for what it shows first.

    def action_reports(self) -> None:
        from mesotui.tui.screens.reports import ReportsScreen

        self.push_screen(ReportsScreen())

    def action_export(self) -> None:
        from mesotui.tui.screens.export_dialog import ExportDialog

        patient_id = record.patient_id if (record := self.shown_record) else None
        self.push_screen(ExportDialog(self.today, patient_id), self._export)

    def _export(self, choice: ExportChoice | None) -> None:
        if choice is not None:
            from mesotui.tui.exporting import ExportJob

            ExportJob(self, choice).start()

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """The palette's Screenshot: saved where exports go (a folder that exists), readable
        by this user only (it shows patient data), and the app says where."""
        from mesotui import export
        from mesotui.paths import default_export_dir

        name = filename or f"mesotui-screenshot-{datetime.now():%Y-%m-%d-%H%M%S}.svg"
        target = Path(path) if path else default_export_dir()
        try:
            export.write_bytes(self.export_screenshot().encode("utf-8"), target / name)
        except MesoError as error:
            self.notify(f"Screenshot not saved: {error}", severity="error", markup=False)
            return None
        self.notify(f"Screenshot saved to {target / name} (readable by you only: it shows "
                    "patient data).", title="Screenshot", timeout=10, markup=False)
        return str(target / name)

    def action_import_spreadsheet(self) -> None:
        from mesotui.tui.screens.import_dialog import ImportDialog

        def write(found: Plan | None) -> None:
            if found is None:
                return
            try:
                self.store.bulk_load(found.patients, found.sessions)  # one save, all or nothing
            except MesoError as error:
                self.notify(f"Nothing was imported: {error}", severity="error", markup=False)
                return
            self.notify(f"Imported {len(found.patients)} patients and {len(found.sessions)} "
                        "sessions.", markup=False)

        self.push_screen(ImportDialog(self.today, self.store.patients()), write)

    @property
    def _in_form(self) -> bool:
        from mesotui.tui.screens.form import FormScreen

        return isinstance(self.screen, FormScreen)

    def action_help(self) -> None:
        from mesotui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            section = ("Patient list" if isinstance(self.screen, PatientsScreen) else
                       "Patient record" if self.shown_record else "Forms")
            self.push_screen(HelpScreen(section))

    def _say(self, message: str) -> None:
        self.notify(message, markup=False)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        from mesotui.tui.palette import commands

        yield from commands(self, screen)
        for command in super().get_system_commands(screen):
            # Textual's own, less two: the app's "Keys" lists every key, per screen, and no
            # part of a clinic's screens is worth maximizing
            if command.title not in ("Keys", "Maximize", "Minimize"):
                yield command


def _record_screen_class() -> type[RecordScreen]:
    """The record screen's class, imported when first needed: not before the list shows."""
    from mesotui.tui.screens.record import RecordScreen

    return RecordScreen
