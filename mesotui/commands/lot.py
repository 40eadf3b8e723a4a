"""`mesotui lot`: every patient and session that received a product lot (for a recall)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mesotui.commands._common import print_json
from mesotui.terminal import safe
from mesotui.textfit import column, shorten
from mesotui.validation import plural

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("lot", parents=[common],
                                   help="list every session given from a product lot")
    parser.add_argument("lot", metavar="LOT", help="the lot number (case does not matter)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    with context.open_store(readonly=True) as store:
        hits = store.sessions_by_lot(args.lot)
    if args.json:
        print_json([{"patient_id": p.id, "name": p.name, "phone": p.phone, "email": p.email,
                     "session_id": s.id, "date": s.date.isoformat(), "lot": s.lot,
                     "lot_expiry": s.lot_expiry.isoformat() if s.lot_expiry else None,
                     "voided": s.voided} for p, s in hits])
        return 0
    if not hits:
        print(f"No session received lot {safe(args.lot)}.")
        return 0
    patients = len({p.id for p, _ in hits})
    print(f"Lot {safe(args.lot)}: {plural(len(hits), 'session', count=True)}, "
          f"{plural(patients, 'patient', count=True)}")
    # One line a session within 80 columns: a long name is cut at a word, the phone last.
    for patient, session in hits:
        contact = "(voided)" if session.voided else shorten(safe(patient.phone), 16)
        print(f"  {session.date}  {safe(session.id):<10}  {safe(patient.id):<10}  "
              f"{column(safe(patient.name), 20)}  {contact}".rstrip())
    return 0
