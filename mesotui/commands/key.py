"""`mesotui key`: show, export and import the clinic key that seals the record file."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mesotui.engine import durable, keys
from mesotui.errors import MesoError
from mesotui.store import Store, record_path

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "key", parents=[common],
        help="the clinic key that seals the record file: show, export or import it")
    actions = parser.add_subparsers(dest="key_action", metavar="ACTION", required=True)
    actions.add_parser("show", parents=[common],
                       help="which clinic the record file is, and whether its key is here")
    out = actions.add_parser("export", parents=[common],
                             help="copy the clinic key to FILE (0600), to take to a new laptop")
    out.add_argument("file", metavar="FILE", type=Path)
    into = actions.add_parser("import", parents=[common],
                              help="keep a clinic key exported from another machine")
    into.add_argument("file", metavar="FILE", type=Path)
    new = actions.add_parser(
        "new", parents=[common],
        help="seal the record file with a new key when its own key is lost for good")
    new.add_argument("--reason", required=True, metavar="TEXT",
                     help="why the old key cannot be brought here (recorded in the file)")
    new.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    if args.key_action == "import":
        return _import(args.file)
    if args.key_action == "new":
        return _new(context, args.reason, confirmed=args.yes)
    clinic = _clinic_of(context.db_path)
    key = keys.load(clinic) if clinic else None
    if args.key_action == "show":
        print(f"Record file:  {record_path(context.db_path)}")
        if clinic is None:
            print("Clinic:       not sealed yet (mesotui seals it when it next opens it to write)")
            return 0
        print(f"Clinic:       {clinic}")
        print(f"Key folder:   {keys.keys_dir()}")
        print(f"Key:          {'here, fingerprint ' + key.fingerprint if key else 'NOT HERE'}")
        return 0 if key else 1
    if key is None:
        raise MesoError(f"{context.db_path.name}: its clinic key is not on this machine, so it "
                        "cannot be exported from here")
    destination = args.file.expanduser()
    if destination.exists():
        raise MesoError(f"{destination}: already exists; choose a new file (nothing written)")
    record = record_path(context.db_path)
    if record.parent in Path(os.path.realpath(destination.absolute())).parents:
        raise MesoError(f"{destination}: is inside the record's folder; keep the key apart "
                        "from the record (another disk or a password manager), or it seals "
                        "nothing against whoever holds the folder (nothing written)")
    high = keys.HighWater(clinic, record)
    seen, mac = high.read()
    high.close()
    payload = (json.dumps({**key.to_data(), "seen": [seen, mac]}, indent=2) + "\n").encode()
    try:
        durable.atomic_write(destination, payload, keep_backup=False)
    except OSError as error:
        raise MesoError(f"{destination}: could not be written ({error.strerror or error})"
                        ) from None
    print(f"Exported the key of clinic {clinic} (fingerprint {key.fingerprint}) to "
          f"{destination}.\nIt unlocks the seals of every copy of this record: keep it apart "
          "from them, and import it on the new laptop with `mesotui key import FILE`.")
    return 0


def _import(file: Path) -> int:
    try:
        data = json.loads(file.expanduser().read_text("utf-8"))
        key = keys.parse(data)
    except OSError as error:
        raise MesoError(f"{file}: cannot be read ({error.strerror or error})") from None
    except (ValueError, MesoError):
        raise MesoError(f"{file}: is not a mesotui clinic key file") from None
    keys.save(key)
    seen = data.get("seen")
    if isinstance(seen, list) and len(seen) == 2 and isinstance(seen[0], int):
        keys.raise_floor(key.clinic, seen[0], str(seen[1]))  # the old laptop's newest save
    print(f"The key of clinic {key.clinic} (fingerprint {key.fingerprint}) is kept in "
          f"{keys.keys_dir()}: this machine can now check and save its record file.")
    return 0


def _clinic_of(path: Path) -> str | None:
    with Store.open(path, readonly=True) as store:
        return store.integrity.clinic or None


def _new(context: Context, reason: str, *, confirmed: bool) -> int:
    """A new clinic key for a record file whose own key is lost: sealed anew as it stands."""
    with context.open_store() as store:
        if store.integrity.ledger.found:
            raise MesoError(f"{store.path.name if store.path else 'the record'}: it was "
                            "changed outside mesotui (see mesotui check), and a new key would "
                            "seal those changes as sound; restore a sound backup (mesotui "
                            "restore), or bring the clinic key (nothing was changed)")
        if store.integrity.status != "no-key":
            raise MesoError(f"{store.path.name if store.path else 'the record'}: its clinic key "
                            "is on this machine (or it is not sealed yet), so it needs no new "
                            "key; nothing was changed")
        print(f"Seal {store.path} with a new clinic key?\n"
              "Do this only when the old key is lost for good: with it, `mesotui key import "
              "FILE` keeps every\nseal. From now on changes made outside mesotui are detected "
              "again, but those made before now\ncan no longer be, and `mesotui check` will say "
              "so.")
        if not confirmed:
            if not sys.stdin.isatty():
                print("mesotui: a new key needs a confirmation: run it in a terminal or pass "
                      "--yes", file=sys.stderr)
                return 2
            if input("Type 'yes' to make a new key: ").strip().lower() != "yes":
                print("Nothing was changed.")
                return 1
        fingerprint = store.reseal(reason)
        print(f"Sealed anew with the key of clinic {store.integrity.clinic} (fingerprint "
              f"{fingerprint}), kept in {keys.keys_dir()}.\nKeep a copy apart from the "
              "record: mesotui key export FILE.")
    return 0
