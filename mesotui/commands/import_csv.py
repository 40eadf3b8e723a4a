"""`mesotui import-csv`: patients, and their past sessions, from a spreadsheet (CSV)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mesotui import spreadsheet
from mesotui.commands._common import print_json
from mesotui.errors import MesoError
from mesotui.store import Store
from mesotui.validation import plural

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "import-csv", parents=[common],
        help="add patients (and their past sessions) from a spreadsheet saved as CSV")
    parser.add_argument("file", metavar="FILE", type=Path,
                        help="CSV with a header row: one row per patient, or per session")
    parser.add_argument("--sessions", metavar="FILE", type=Path, action="append", default=[],
                        help="another CSV of past sessions (patient id, or name and date of "
                             "birth, on each row)")
    parser.add_argument("--dates", choices=spreadsheet.ORDERS,
                        help="how dates like 03/04/1988 are written (asked when needed)")
    parser.add_argument("--dry-run", action="store_true",
                        help="show what would be added and every row that cannot be; change "
                             "nothing")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    files = []
    for path in (args.file, *args.sessions):
        try:
            files.append((path.name, spreadsheet.read(path)[1]))
        except OSError as error:
            raise MesoError(f"{path}: cannot be read ({error.strerror or error})") from None
    order = args.dates or spreadsheet.date_order(row for _, rows in files for row in rows)
    if order is None:
        order = _ask_order()
    now = datetime.now(UTC) if context.today == datetime.now(UTC).date() else context.clock()
    with _open(context, args.dry_run) as store:
        found = spreadsheet.plan(files, store.patients(), context.today, order or None, now)
        if not args.dry_run and not found.problems and (found.patients or found.sessions):
            store.bulk_load(found.patients, found.sessions)
    return _report(args, found)


def _open(context: Context, dry_run: bool) -> Store:
    if dry_run and not context.db_path.exists():
        return Store.in_memory(clock=context.clock)  # a dry run creates no file
    return context.open_store(readonly=dry_run)


def _ask_order() -> str:
    question = ("Dates such as 03/04/1988 appear: is that 3 April (day first) or March 4 "
                "(month first)? [d/m] ")
    if not sys.stdin.isatty():
        raise MesoError("dates such as 03/04/1988 could be day or month first: give "
                        "--dates day-first or --dates month-first")
    answer = input(question).strip().casefold()
    if answer not in ("d", "m", "day-first", "month-first"):
        raise MesoError("no date order given; nothing was imported")
    return "day-first" if answer.startswith("d") else "month-first"


def _report(args: argparse.Namespace, found: spreadsheet.Plan) -> int:
    refused = bool(found.problems)
    if args.json:
        print_json({"dry_run": args.dry_run, "patients": len(found.patients),
                    "sessions": len(found.sessions), "already_held": found.held,
                    "problems": [str(p) for p in found.problems],
                    "imported": not args.dry_run and not refused})
        return 1 if refused else 0
    verb = "Would add" if args.dry_run or refused else "Added"
    print(f"{found.describe(verb)}; {plural(len(found.problems), 'row', count=True)} "
          "cannot be imported.")
    if not refused:
        sessions: dict[str, int] = {}
        for session in found.sessions:
            sessions[session.patient_id] = sessions.get(session.patient_id, 0) + 1
        for patient in found.patients:
            where = patient.history[0].reason.removeprefix("imported from ")
            # A dry run names the row: the ids are given when the import is made.
            said = where if args.dry_run else f"{patient.id} ({where})"
            print(f"  + {said}  {patient.name}  {patient.sex.value}  {patient.date_of_birth}"
                  f"  {plural(sessions.get(patient.id, 0), 'session', count=True)}")
    for line in found.held:
        print(f"  = {line}")
    for problem in found.problems:
        print(f"  ! {problem}", file=sys.stderr)
    if refused:
        print("mesotui: nothing was imported: fix the rows above (the import is all or "
              "nothing)", file=sys.stderr)
        return 1
    return 0
