"""The sync server of this laptop: address, user and password, as `mesotui sync --setup` keeps.

These are the laptop's, not the clinic's (each room has its own user, and the password never
goes into the record file): they are kept in the user's config folder, 0600. Saving checks the
address at once; the password and the database are checked by the first sync, in the
background, which creates the database if the server has none yet (as --setup does) and says
on the title line how it went.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Static

from mesotui.sync import credentials
from mesotui.sync.credentials import SyncSettings
from mesotui.sync.errors import SyncError
from mesotui.tui.screens.form import FormScreen
from mesotui.tui.widgets.field import Field


class SyncSetupScreen(FormScreen[SyncSettings | None]):
    """Collects the server's address, user and password; saving keeps them and starts syncing."""

    TITLE_TEXT = "Sync server of this laptop"

    def __init__(self, current: SyncSettings | None) -> None:
        super().__init__()
        self.current = current

    def compose_fields(self) -> ComposeResult:
        now = self.current
        yield Static("The clinic's CouchDB server, which every room's laptop syncs with. "
                     "Records are encrypted here before they are sent, unless the clinic "
                     "chooses otherwise.", classes="prompt")
        yield Field("Address", Input(now.where if now else "", id="url", compact=True,
                                     placeholder="https://nas.clinic.lan:6984/clinic"),
                    keys=("url",))
        yield Field("User", Input(now.user if now else "", id="user", compact=True),
                    keys=("user",))
        yield Field("Password", Input(now.password if now else "", id="password",
                                      password=True, compact=True), keys=("password",))
        yield Field("Plain http", Checkbox("allow plain http to another machine (unsafe)",
                                           now.allow_plain_http if now else False,
                                           id="plain", compact=True), keys=("plain",))
        yield Field("Encryption", Checkbox("encrypt records before they are sent (the server "
                                           "reads only ciphertext)",
                                           now.encrypt if now else True, id="encrypt",
                                           compact=True), keys=("encrypt",))
        yield Static("", id="encryption-warning", markup=False)

    @on(Checkbox.Changed, "#encrypt")
    def _encryption_changed(self) -> None:
        self._warn()

    def _warn(self) -> None:
        before = self.current
        line = credentials.encryption_change(before, SyncSettings(
            before.url if before else "", before.database if before else "", "", "",
            encrypt=self.query_one("#encrypt", Checkbox).value))
        warning = self.query_one("#encryption-warning", Static)
        warning.update(f"Warning: {line[0].upper()}{line[1:]}." if line else "")
        warning.set_class(bool(line), "-shown")

    def on_mount(self) -> None:
        self.query_one("#url").focus()
        self._warn()
        super().on_mount()

    def collect(self) -> Any:
        url, user = self.text("#url"), self.text("#user")
        password = self.query_one("#password", Input).value
        plain = self.query_one("#plain", Checkbox).value
        encrypt = self.query_one("#encrypt", Checkbox).value
        try:
            credentials.split_url(url, allow_plain_http=plain)
        except SyncError as error:
            self.problems["url"] = str(error)
        if not user or ":" in user:
            self.problems["user"] = "is required, without a colon"
        if not password:
            self.problems["password"] = "is required"
        return (url, user, password, plain, encrypt)

    def submit(self, record: Any) -> SyncSettings | None:
        url, user, password, plain, encrypt = record
        return credentials.setup(url, user, password, allow_plain_http=plain, encrypt=encrypt)
