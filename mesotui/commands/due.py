"""`mesotui due`: the morning list of overdue and due-soon patients, soonest first."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TYPE_CHECKING

from mesotui.commands._common import days_arg, print_json
from mesotui.terminal import safe
from mesotui.textfit import column, shorten

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("due", parents=[common],
                                   help="list overdue and due-soon patients, soonest first")
    parser.add_argument("--within", metavar="DAYS", type=days_arg,
                        help="how far ahead to look (default: the clinic's due-soon window)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    today = context.today
    with context.open_store(readonly=True) as store:
        within = store.settings.due_soon_days if args.within is None else args.within
        # Cards first, whole records (for the phone) only of those due: a big clinic's
        # records are not all read to list the few due this fortnight.
        rows = [(store.patient(card.id), view) for card, view in store.board(today)
                if view.next_due is not None and (view.next_due - today).days <= within]
    rows.sort(key=lambda row: (row[1].next_due, row[0].name.casefold()))
    if args.json:
        print_json([{"patient_id": p.id, "name": p.name, "phone": p.phone,
                     "next_due": v.next_due.isoformat() if v.next_due else None,
                     "days": v.days_until_due, "session": v.next_number,
                     "status": v.status.value} for p, v in rows])
        return 0
    if not rows:
        print(f"Nobody is overdue or due within {within} days of {today}.")
        return 0
    print(f"Due on or before {today + timedelta(days=within)} (today {today}):")
    # One line a patient within 80 columns: a long name is cut at a word, the phone last.
    print(f"  {'Due':<10}  {'When':<13} {'Patient':<10} {'Name':<20} {'#':>3}  Phone")
    for patient, view in rows:
        days = view.days_until_due or 0
        when = f"{-days} d overdue" if days < 0 else ("today" if days == 0 else f"in {days} d")
        print(f"  {view.next_due}  {when:<13} {safe(patient.id):<10} "
              f"{column(safe(patient.name), 20)} {view.next_number:>3}  "
              f"{shorten(safe(patient.phone), 16)}".rstrip())
    return 0
