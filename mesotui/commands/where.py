"""`mesotui where`: the record file, its backups folder, and whether it exists."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from mesotui.engine.durable import backup_dir, list_backups
from mesotui.store import record_path

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("where", parents=[common],
                                   help="show where the record file and its backups are")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    path = record_path(context.db_path)  # a symlink: where the record really is
    backups = list_backups(path)
    facts = {"record_file": str(path), "exists": path.exists(),
             "backups_folder": str(backup_dir(path)), "backups": len(backups),
             "newest_backup": str(backups[0]) if backups else None}
    if args.json:
        print(json.dumps(facts, indent=2))
        return 0
    print(f"Record file:    {path}{'' if path.exists() else '  (not created yet)'}")
    print(f"Backups folder: {backup_dir(path)}  ({len(backups)} kept)")
    return 0
