"""The recovery screen: shown instead of a traceback when the record file cannot be read."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mesotui import recovery
from mesotui.errors import MesoError
from mesotui.tui.crash import PlainCrash
from mesotui.tui.widgets.keybar import KeyBar
from mesotui.tui.widgets.titlebar import TitleBar


class RecoveryApp(PlainCrash, App[Path | None]):
    """Explains what is wrong with the record file and offers its newest sound backups.

    Returns the record file's path once a backup has been restored as the working copy,
    or None when the user leaves without restoring.
    """

    CSS_PATH = ["bars.tcss", "recovery.tcss"]
    TITLE = "mesotui: the record file cannot be opened"
    BINDINGS = [Binding("enter", "restore", "Restore selected backup", priority=True),
                Binding("q", "quit_without_restoring", "Quit, change nothing")]

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__()
        self.path = path
        self.problem = problem
        self.backups = recovery.sound_backups(path)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="recovery"):
            yield Static(self.problem, id="problem", markup=False)
            yield Static(f"Record file: {self.path}", id="file", markup=False)
            yield Static("The file is left exactly as it is. Choose a backup to continue from it "
                         "as a new working copy; the unreadable file is kept beside it, renamed, "
                         "for inspection." if self.backups else
                         "No sound backup was found. Nothing has been changed; ask for help "
                         "before touching the file.", id="advice")
            yield OptionList(*[Option(b.describe(), id=str(i)) for i, b in enumerate(self.backups)],
                             id="backups")
            yield Static("", id="outcome", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#backups").display = bool(self.backups)

    @on(OptionList.OptionSelected, "#backups")
    def _chosen(self) -> None:
        self.action_restore()

    def action_restore(self) -> None:
        options = self.query_one("#backups", OptionList)
        if not self.backups or options.highlighted is None:
            return
        chosen = self.backups[options.highlighted]
        try:
            recovery.restore(self.path, chosen.path)
        except (MesoError, OSError) as error:
            self.query_one("#outcome", Static).update(f"Could not restore: {error}")
            return
        self.exit(self.path)

    def action_quit_without_restoring(self) -> None:
        self.exit(None)
