"""Where `mesotui sync --setup URL` keeps the sync server's address, user and password.

In the user's config folder (platformdirs; `$MESOTUI_SYNC_CONFIG` names another folder, for
tests), never in the record folder: a copied or backed-up record folder carries no password.
The folder is 0700 and the file 0600, written whole or not at all (a temporary file, fsynced,
then renamed over the old one), so a crash never leaves half a password. On Windows the file
lives in the user's own profile, which other users cannot read.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mesotui.engine.keys import moved_out_of_the_record_folder
from mesotui.sync.client import checked_url
from mesotui.sync.errors import SyncError
from mesotui.terminal import safe

ENV = "MESOTUI_SYNC_CONFIG"
FILENAME = "sync.json"
FORMAT = "mesotui-sync-settings"


@dataclass(frozen=True)
class SyncSettings:
    """How this laptop reaches the clinic's CouchDB."""

    url: str
    """The server's address, without the database (https://nas.clinic.lan:6984)."""
    database: str
    user: str
    password: str = field(repr=False)
    allow_plain_http: bool = False
    """Plain http to another machine, which sends the password unencrypted: only if asked."""
    ca_file: str | None = None
    """A clinic's own certificate authority, for a server with a self-made certificate."""
    encrypt: bool = True
    """Records are encrypted before they leave this laptop; False only when the clinic has
    chosen to let the server read them (codec.py: sealed with the clinic key all the same)."""

    @property
    def where(self) -> str:
        return f"{self.url}/{self.database}"


def folder() -> Path:
    chosen = os.environ.get(ENV)
    return Path(chosen) if chosen else moved_out_of_the_record_folder(FILENAME).parent


def path() -> Path:
    return folder() / FILENAME


def split_url(url: str, *, allow_plain_http: bool = False) -> tuple[str, str]:
    """(server address, database) of a database's URL such as https://nas:6984/clinic."""
    base = checked_url(url, allow_plain_http=allow_plain_http)
    parts = urlsplit(base)
    prefix, _, database = parts.path.rpartition("/")
    database = unquote(database)
    if not database:
        raise SyncError("refused", f"{safe(url)} names no database: add it to the address "
                        "(https://server:6984/clinic)")
    if not (database[0].islower() and all(c.islower() or c.isdigit() or c in "_$()+-"
                                          for c in database)):
        raise SyncError("refused", f"{safe(database)} is not a CouchDB database name (lower "
                        "case letters, digits and _$()+-, starting with a letter)")
    return f"{parts.scheme}://{parts.netloc}{prefix}", database


def setup(url: str, user: str, password: str, *, allow_plain_http: bool = False,
          ca_file: str | None = None, encrypt: bool = True) -> SyncSettings:
    """Check and keep the sync settings (replacing any kept before)."""
    server, database = split_url(url, allow_plain_http=allow_plain_http)
    if not user or ":" in user:
        raise SyncError("refused", "the sync user name must be given, without a colon")
    settings = SyncSettings(server, database, user, password, allow_plain_http, ca_file,
                            encrypt)
    _write(path(), {"format": FORMAT, "version": 1, "url": server, "database": database,
                    "user": user, "password": password, "allow_plain_http": allow_plain_http,
                    "ca_file": ca_file, "encrypt": encrypt})
    return settings


def load() -> SyncSettings | None:
    """The sync settings kept here, or None when sync was never set up on this laptop."""
    where = path()
    try:
        data = json.loads(where.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise SyncError("refused", f"the sync settings in {where} cannot be read ({error}); "
                        "run mesotui sync --setup again") from None
    if os.name == "posix" and stat.S_IMODE(where.stat().st_mode) & 0o077:
        os.chmod(where, 0o600)  # copied in by hand with a looser mode: close it again
    try:
        assert data["format"] == FORMAT
        return SyncSettings(str(data["url"]), str(data["database"]), str(data["user"]),
                            str(data["password"]), bool(data.get("allow_plain_http")),
                            data.get("ca_file"), data.get("encrypt", True) is not False)
    except (AssertionError, KeyError, TypeError):
        raise SyncError("refused", f"{where} is not mesotui's sync settings; run mesotui "
                        "sync --setup again") from None


def kept() -> SyncSettings | None:
    """The settings kept here, None when there are none or they cannot be read."""
    try:
        return load()
    except SyncError:
        return None


def encryption_change(before: SyncSettings | None, now: SyncSettings) -> str:
    """What the encryption setting means as it now stands, in one line ("" when on, as ever).

    A revision's id does not depend on the body's form, so a revision already on the server
    is never sent again: what is there stays in the form it arrived in until the record
    changes. Every room reads both forms (both are sealed with the clinic key)."""
    was = before.encrypt if before is not None and before.where == now.where else True
    if not now.encrypt:
        return ("encryption is off: whoever administers the sync server can read every record "
                "this laptop sends from now on (names, dates of birth, notes); records already "
                "on the server stay as they were sent")
    if not was:
        return ("encryption is on again: records this laptop sent in clear stay readable on "
                "the server until they change; to take them off it, set up a new database "
                "and delete the old one")
    return ""


def forget() -> bool:
    """Remove the sync settings (the password with them); whether there were any."""
    try:
        path().unlink()
    except FileNotFoundError:
        return False
    return True


def _write(target: Path, data: dict[str, object]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(target.parent, 0o700)
    fd, scratch = tempfile.mkstemp(prefix=".sync-", dir=target.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(scratch, target)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
