"""`mesotui restore`: list sound backups, or restore one (after a confirmation)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mesotui import recovery
from mesotui.errors import MesoError, RecordFileError
from mesotui.store import Store

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "restore", parents=[common],
        help="restore the record file from a backup (the replaced file is kept beside it)")
    parser.add_argument("backup", nargs="?", metavar="BACKUP",
                        help="the backup file to restore; without it, list the sound backups")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    path = context.db_path.absolute()
    if args.backup is None:
        backups = recovery.sound_backups(path, limit=20)
        if not backups:
            print(f"No sound backup of {path} was found.")
            return 1
        print(f"Sound backups of {path}, newest first:")
        for backup in backups:
            print(f"  {backup.describe()}\n    {backup.path}")
        return 0
    backup = Path(args.backup).expanduser()
    if not backup.is_file():
        raise RecordFileError(backup, "does not exist")
    try:
        held = Store.open(backup, readonly=True)
    except MesoError as error:
        raise RecordFileError(backup, f"is not a sound backup ({error})") from None
    print(f"Restore {backup}\n"
          f"  ({len(held.patients())} patients, {len(held.sessions())} sessions)\n"
          f"as the record file {path}?")
    if path.exists():
        print("The current record file will be kept beside it, renamed, byte for byte.")
    if not args.yes:
        if not sys.stdin.isatty():
            print("mesotui: restore needs a confirmation: run it in a terminal or pass --yes",
                  file=sys.stderr)
            return 2
        if input("Type 'yes' to restore: ").strip().lower() != "yes":
            print("Nothing was changed.")
            return 1
    kept = recovery.restore(path, backup)
    print(f"Restored. {path} now holds the backup." +
          (f" The replaced file is kept as {kept}." if kept else ""))
    return 0
