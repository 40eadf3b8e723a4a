"""`mesotui sync`: replicate this laptop's record file with the clinic's CouchDB server.

`mesotui sync --setup URL` checks the server, creates the database if it has none yet, and
keeps the address, user and password outside the record folder (0600); the password is asked
in the terminal, without echo (or read from standard input with --password-stdin), never
taken from the command line, where shell history and `ps` would keep it. `mesotui sync`
then pushes and pulls once and says what it did in one line; a failure is one line, exit 1,
and leaves the record file as it was. The sync code is imported only here: with no server set
up, mesotui opens no network connection at all.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from mesotui.errors import MesoError

if TYPE_CHECKING:
    from mesotui.commands.context import Context
    from mesotui.store import Store


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "sync", parents=[common],
        help="replicate the record with the clinic's CouchDB server (set it up first with "
             "--setup URL)",
        description="Send this laptop's changes to the clinic's sync server and bring the "
                    "other rooms' changes here, once. Records are encrypted with a key derived "
                    "from the clinic key before they leave the laptop, unless the clinic set "
                    "it up with --no-encryption.")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--setup", metavar="URL",
                      help="set up the server and its database, e.g. "
                           "https://nas.clinic.lan:6984/clinic (created if missing), then sync")
    what.add_argument("--forget", action="store_true",
                      help="remove the server settings and password from this laptop")
    parser.add_argument("--user", metavar="NAME", help="the server's user name (asked if "
                        "not given)")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input instead of asking")
    parser.add_argument("--allow-plain-http", action="store_true",
                        help="allow plain http to another machine (the password and the "
                             "encrypted records travel unprotected by TLS)")
    parser.add_argument("--ca-file", metavar="FILE",
                        help="the clinic's own certificate authority, for a server with a "
                             "self-made certificate")
    parser.add_argument("--no-encryption", action="store_true",
                        help="with --setup: send records in clear, so that whoever administers "
                             "the server can read them (they are still sealed with the clinic "
                             "key); the default encrypts them on this laptop")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    from mesotui.sync import credentials

    if context.demo:
        raise MesoError("a demo clinic is never sent to the clinic's sync server; nothing "
                        "was sent")
    if args.forget:
        removed = credentials.forget()
        print("The sync settings and password were removed from this laptop." if removed
              else "No sync server was set up on this laptop.")
        return 0
    if args.setup:
        return _setup(args, context)
    if args.no_encryption:
        raise MesoError("--no-encryption is kept with the server's settings: give it with "
                        "--setup URL")
    settings = credentials.load()
    if settings is None:
        raise MesoError("no sync server is set up on this laptop: run mesotui sync --setup "
                        "URL first")
    with context.open_store() as store:
        return _sync(store, settings, create=False)


def _setup(args: argparse.Namespace, context: Context) -> int:
    from mesotui.sync import credentials, room
    from mesotui.sync.credentials import SyncSettings

    server, database = credentials.split_url(args.setup,
                                             allow_plain_http=args.allow_plain_http)
    user = args.user if args.user is not None else _ask("User name on the sync server: ")
    password = _password(args, f"Password of {user} at {server}: ")
    encrypt = not args.no_encryption
    settings = SyncSettings(server, database, user, password, args.allow_plain_http,
                            args.ca_file, encrypt)
    with _open_or_join(context) as store:
        room.clinic_keys(store.engine)  # no key here: say so before anything is kept
        connection = room.client(settings)
        try:
            from mesotui.sync.remote import RemoteDB

            RemoteDB(connection).ensure(create=True)  # checks the address and password too
        finally:
            connection.close()
        before = credentials.kept()
        credentials.setup(args.setup, user, password, allow_plain_http=args.allow_plain_http,
                          ca_file=args.ca_file, encrypt=encrypt)
        print(f"Sync set up with {settings.where} as {user}; the password is kept in "
              f"{credentials.path()} (readable by you alone).")
        if warning := credentials.encryption_change(before, settings):
            print(f"mesotui: warning: {warning}", file=sys.stderr)
        return _sync(store, settings, create=False)


def _sync(store: Store, settings: object, *, create: bool) -> int:
    from mesotui.sync import room
    from mesotui.sync.credentials import SyncSettings

    assert isinstance(settings, SyncSettings)
    report = room.sync(store.engine, settings, create=create)
    print(room.summary(report, settings, room.standing(store.engine, settings)))
    return 0


def _open_or_join(context: Context) -> Store:
    """The record file; on a laptop that has none yet, a new one that joins the clinic whose
    key was imported here (the second room), so what it pulls verifies."""
    from mesotui.engine import keys
    from mesotui.store import Store, record_path

    if record_path(context.db_path).exists():
        return context.open_store()
    held = sorted(keys.keys_dir().glob("*.key")) if keys.keys_dir().is_dir() else []
    found = [key for key in (keys.load(p.stem) for p in held) if key is not None]
    if len(found) != 1:
        raise MesoError(f"{context.db_path}: no record file here yet; to make this laptop "
                        "another room of a clinic, import that clinic's key first (mesotui key "
                        "import FILE; only one clinic's key may be here)" if not found else
                        f"{context.db_path}: no record file here yet, and this laptop holds "
                        f"the keys of {len(found)} clinics; open the record file once with "
                        "the app, or keep only the key of the clinic it joins")
    print(f"Making {context.db_path} a new room of clinic {found[0].clinic}.")
    return Store.open(context.db_path, clock=context.clock, clinic=found[0])


def _ask(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise MesoError("the sync user name is asked in a terminal: give it with --user NAME")
    return input(prompt).strip()


def _password(args: argparse.Namespace, prompt: str) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise MesoError("the sync password is asked in a terminal, or read from standard "
                        "input with --password-stdin; it is never given on the command line")
    return getpass.getpass(prompt)
