"""`mesotui report NAME`: the clinic's reports as plain tables, or JSON for scripts."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mesotui import reports
from mesotui.store import Store
from mesotui.terminal import safe
from mesotui.textfit import column, shorten
from mesotui.validation import plural

if TYPE_CHECKING:
    from mesotui.commands.context import Context

NAMES = ("side-effects", "due-calendar", "lot", "outcomes")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("report", parents=[common],
                                   help="print one of the clinic's reports")
    names = parser.add_subparsers(dest="report", metavar="NAME", required=True)
    helps = {"side-effects": "how often each side effect occurred, by severity and session number",
             "due-calendar": "who is due, week by week, over the next weeks",
             "lot": "every patient and session given from a product lot (recall)",
             "outcomes": "patients by sessions completed, evaluations due, stopped courses"}
    for name in NAMES:
        sub = names.add_parser(name, parents=[common], help=helps[name], description=helps[name])
        if name == "lot":
            sub.add_argument("lot", metavar="LOT", help="the lot number (case does not matter)")
        if name == "due-calendar":
            sub.add_argument("--weeks", type=int, default=4, help="how many weeks (default 4)")
        sub.add_argument("--json", action="store_true", help="print JSON for scripts")
        sub.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    with context.open_store(readonly=True) as store:
        facts, lines = BUILDERS[args.report](store, args, context)
    # Each line of a report is one line on screen, whatever a name or reason holds.
    print(json.dumps(facts, indent=2, ensure_ascii=False) if args.json
          else "\n".join(safe(line) for line in lines))
    return 0


Built = tuple[dict[str, Any], list[str]]


def _side_effects(store: Store, args: argparse.Namespace, context: Context) -> Built:
    found = reports.side_effects(store.sessions())
    numbers = [row.number for row in found.by_number]
    facts = {"sessions": found.sessions, "with_effects": found.with_effects,
             "with_none": found.with_none, "not_assessed": found.not_assessed,
             "share_none": round(found.share_none, 4),
             "effects": [{"effect": e.effect.value, "total": e.total,
                          "share": round(reports.share(e.total, found.sessions), 4),
                          "by_severity": {s.value: n for s, n in e.by_severity.items()},
                          "by_session_number": {str(n): c for n, c in e.by_number.items()}}
                         for e in found.effects],
             "by_session_number": [vars(row) for row in found.by_number]}
    none = reports.share(found.with_none, found.sessions)
    lines = [f"Side effects over {found.sessions} sessions (voided sessions not counted)",
             f"  None recorded: {found.with_none} ({none:.0%})"
             f"   with side effects: {found.with_effects}   not yet assessed: {found.not_assessed}",
             "", f"{'Effect':<24}{'Total':>6}{'Share':>6}{'Mild':>5}{'Mod.':>5}{'Sev.':>5}  "
             + "".join(f"{label:>4}" for label, _ in _number_columns(numbers))]
    # Within 80 columns: the effect cut at a word, session numbers past the room summed.
    for e in found.effects:
        sev = "".join(f"{e.by_severity[s]:>5}" for s in e.by_severity)
        part = reports.share(e.total, found.sessions)
        lines.append(f"{shorten(e.effect.label, 23):<24}{e.total:>6}{part:>6.0%}{sev}  "
                     + "".join(f"{sum(e.by_number.get(n, 0) for n in group):>4}"
                               for _, group in _number_columns(numbers)))
    if not found.effects:
        lines.append("  (no side effect recorded)")
    lines += ["", f"{'Session number':<16}{'Sessions':>9}{'With effects':>14}{'None':>6}"]
    lines += [f"{'#' + str(r.number):<16}{r.sessions:>9}{r.with_effects:>14}{r.with_none:>6}"
              for r in found.by_number]
    return facts, lines


def _number_columns(numbers: list[int], room: int = 6) -> list[tuple[str, list[int]]]:
    """Session-number columns that fit: #1 ... #5, then '#6+' for the rest."""
    if len(numbers) <= room:
        return [(f"#{n}", [n]) for n in numbers]
    return [(f"#{n}", [n]) for n in numbers[:room - 1]] + [
        (f"#{numbers[room - 1]}+", numbers[room - 1:])]


def _entry(entry: reports.DueEntry) -> dict[str, Any]:
    return {"patient_id": entry.patient.id, "name": entry.patient.name, "session": entry.number,
            "due": entry.due.isoformat(), "status": entry.status.value}


def _due_line(entry: reports.DueEntry) -> str:
    return (f"  {entry.due:%a %d %b}  {entry.patient.id:<10}  {column(entry.patient.name, 24)}  "
            f"session {entry.number}")


def _due_calendar(store: Store, args: argparse.Namespace, context: Context) -> Built:
    found = reports.due_calendar(store, context.today, max(1, args.weeks))
    facts = {"today": found.today.isoformat(), "overdue": [_entry(e) for e in found.overdue],
             "weeks": [{"start": w.start.isoformat(), "end": w.end.isoformat(),
                        "due": [_entry(e) for e in w.entries]} for w in found.weeks]}
    lines = [f"Due calendar from {found.weeks[0].start:%a %d %b %Y} "
             f"(today {found.today:%a %d %b %Y}): {found.due} due, "
             f"{len(found.overdue)} overdue", ""]
    if found.overdue:
        lines.append(f"Overdue ({len(found.overdue)})")
        lines += [f"{_due_line(e)}  ({(found.today - e.due).days} d overdue)"
                  for e in found.overdue]
    for week in found.weeks:
        heading = f"Week of {week.start:%a %d %b} to {week.end:%a %d %b}"
        lines.append(f"{heading} ({len(week.entries)})" if week.entries
                     else f"{heading}: nobody due")
        lines += [_due_line(e) for e in week.entries]
    return facts, lines


def _lot(store: Store, args: argparse.Namespace, context: Context) -> Built:
    found = reports.lot_recall(store, args.lot)
    facts = {"lot": found.lot, "sessions": found.sessions, "patients": len(found.patients),
             "rows": [{"patient_id": r.patient.id, "name": r.patient.name, "phone": r.patient.phone,
                       "email": r.patient.email, "session_id": r.session.id,
                       "session_number": r.number, "date": r.session.date.isoformat(),
                       "lot_expiry": r.session.lot_expiry.isoformat() if r.session.lot_expiry
                       else None, "voided": r.session.voided} for r in found.rows]}
    if not found.rows:
        return facts, [f"No session was given from lot {found.lot}."]
    voided = len(found.rows) - found.sessions
    lines = [f"Lot {found.lot}: {plural(found.sessions, 'session', count=True)} given to "
             f"{plural(len(found.patients), 'patient', count=True)}"
             + (f" ({voided} voided {'entry' if voided == 1 else 'entries'} listed, not counted)"
                if voided else ""), "",
             f"{'Date':<11} {'Session':<10} {'#':>2}  {'Patient':<10}  {'Name':<22}  Contact"]
    # Within 80 columns: a long name is cut at a word; the email, if any, on a line below.
    for r in found.rows:
        number = "-" if r.number is None else str(r.number)
        contact = "(voided entry)" if r.session.voided else shorten(r.patient.phone, 16)
        lines.append(f"{r.session.date.isoformat():<11} {r.session.id:<10} {number:>2}  "
                     f"{r.patient.id:<10}  {column(r.patient.name, 22)}  {contact}".rstrip())
        if r.patient.email and not r.session.voided:
            lines.append(f"{'':<39}{shorten(r.patient.email, 41)}")
    return facts, lines


def _outcomes(store: Store, args: argparse.Namespace, context: Context) -> Built:
    found = reports.course_outcomes(store, context.today)
    halted = {"stopped": found.stopped, "paused": found.paused}
    facts = {"patients": found.patients,
             "by_sessions_completed": {str(n): c for n, c in found.by_sessions.items()},
             "evaluations_due": [{"patient_id": p.id, "name": p.name, "sessions": n,
                                  "overdue": p in found.evaluations_overdue}
                                 for p, n in found.evaluations_due],
             **{key: [{"patient_id": p.id, "name": p.name, "on": on.isoformat(), "reason": why}
                      for p, on, why in rows] for key, rows in halted.items()}}
    lines = [f"Course outcomes for {found.patients} patients (archived left out)", "",
             "Sessions completed  Patients"]
    lines += [f"{n:>18}  {c:>8}" for n, c in found.by_sessions.items()]
    lines += ["", f"Evaluation due ({len(found.evaluations_due)})"]
    lines += [f"  {p.id:<10}  {column(p.name, 24)}  {plural(n, 'session', count=True)}"
              + ("  (past the protocol's limit)" if p in found.evaluations_overdue else "")
              for p, n in found.evaluations_due]
    for key, rows in halted.items():
        lines += ["", f"Courses {key} ({len(rows)})"]
        lines += [f"  {on.isoformat()}  {p.id:<10}  {column(p.name, 22)}  "
                  f"{shorten(why or '(no reason given)', 28)}" for p, on, why in rows]
    return facts, lines


BUILDERS: dict[str, Callable[[Store, argparse.Namespace, Context], Built]] = {
    "side-effects": _side_effects, "due-calendar": _due_calendar, "lot": _lot,
    "outcomes": _outcomes}
