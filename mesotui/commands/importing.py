"""`mesotui import`: validate a whole export file, then add what is new; never overwrite."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mesotui import importer
from mesotui.commands._common import print_json, progress_bar
from mesotui.store import Store
from mesotui.terminal import safe
from mesotui.validation import plural

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("import", parents=[common],
                                   help="merge an export file into the record file by id")
    parser.add_argument("file", metavar="FILE", type=Path, help="a mesotui export (JSON)")
    parser.add_argument("--dry-run", action="store_true",
                        help="validate and report what would change; change nothing")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    size = args.file.stat().st_size if args.file.is_file() else 0
    with progress_bar("Validating", size // 2000, to_file=True) as tick:
        # Judged against this computer's clock, not --today: nothing can be exported later.
        contents = importer.load(args.file, context.today, tick, now=datetime.now(UTC))
    store = _open(context, args.dry_run)
    with store:
        merge = importer.plan(store, contents)
        if not args.dry_run:
            importer.apply(store, merge)
    if args.json:
        print_json({**merge.summary(), "dry_run": args.dry_run})
        return 0
    would = "Would add" if args.dry_run else "Added"
    print(f"{would} {plural(len(merge.patients), 'patient', count=True)}, "
          f"{plural(len(merge.sessions), 'session', count=True)} and "
          f"{plural(len(merge.evaluations), 'evaluation', count=True)}; "
          f"{merge.unchanged:,} unchanged; {plural(len(merge.conflicts), 'conflict', count=True)}.")
    for conflict in merge.conflicts:
        print(f"  conflict, not overwritten: {safe(conflict)}")
    return 0


def _open(context: Context, dry_run: bool) -> Store:
    if not dry_run:
        return context.open_store()
    if not context.db_path.exists():
        return Store.in_memory(clock=context.clock)  # a dry run creates no file
    return context.open_store(readonly=True)
