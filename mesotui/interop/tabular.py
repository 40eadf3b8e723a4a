"""One row per session: CSV for spreadsheets and JSON Lines for log pipelines."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from mesotui.interop import Pseudonym, Records, patient_key
from mesotui.models import Patient, Session
from mesotui.schedule import in_course_order
from mesotui.terminal import safe

COLUMNS = ("session_id", "patient_id", "patient_name", "sex", "session_number", "date",
           "voided", "void_reason", "amended", "anaesthesia", "anaesthesia_agent",
           "anaesthesia_amount", "product", "concentration_pct", "volume_ml", "dose_mg", "lot",
           "lot_expiry", "lot_expired", "areas", "injection_points", "needle", "duration_min",
           "side_effects", "no_side_effects", "counselling_given", "pregnancy_avoid_until",
           "practitioner", "dose_notes")
PRIVATE = frozenset({"patient_name", "void_reason", "anaesthesia_agent", "anaesthesia_amount",
                     "product", "needle", "practitioner", "dose_notes", "lot_expiry"})
"""Columns left out of a pseudonymised export: names, free text, and the lot's expiry (a date
known from the vial, which would give back the patient's date shift)."""
AvoidUntil = Callable[[Patient], date | None]
"""A patient's date until which pregnancy is avoided (schedule.Outlook), if any."""
BOM = "\ufeff"
"""Starts every CSV export: Excel needs it to read UTF-8 at all, and LibreOffice then opens the
file as UTF-8 with its default options; pandas, Python's csv ("utf-8-sig") and R skip it."""
_FORMULA = re.compile(r"(^|[,;\t\r\n])([\s\"']*)(?=[=+\-@\uff1d\uff0b\uff0d\uff20])")
"""A character a spreadsheet reads as the start of a formula (and its full-width forms), at
the start of the text or after anything a spreadsheet might take as a field separator."""


def columns(pseudonym: Pseudonym | None = None) -> list[str]:
    return [c for c in COLUMNS if not (pseudonym and c in PRIVATE)]


def rows(records: Records, pseudonym: Pseudonym | None = None,
         avoid_until: AvoidUntil | None = None) -> Iterator[dict[str, Any]]:
    """Each session as a flat record of typed values, in patient then course order.

    `avoid_until` gives the patient's date until which pregnancy is avoided (the last
    session + 6 months; none for men), repeated on each of their rows, as the protocol
    wants it in every export.
    """
    keep = columns(pseudonym)
    for patient, sessions, counted in records:
        until = avoid_until(patient) if avoid_until else None
        for session in in_course_order(sessions):
            row = _row(patient, session, counted.get(session.id), pseudonym)
            row["pregnancy_avoid_until"] = until.isoformat() if until else None
            yield {key: row[key] for key in keep}


def _row(patient: Patient, s: Session, number: int | None,
         pseudonym: Pseudonym | None) -> dict[str, Any]:
    return {
        "session_id": s.id, "patient_id": patient_key(patient, pseudonym),
        "patient_name": patient.name, "sex": patient.sex.value, "session_number": number,
        "date": s.date.isoformat(), "voided": s.voided, "void_reason": s.void_reason,
        "amended": s.amended, "anaesthesia": s.anaesthesia.type.value,
        "anaesthesia_agent": s.anaesthesia.agent, "anaesthesia_amount": s.anaesthesia.amount,
        "product": s.product, "concentration_pct": s.concentration_pct,
        "volume_ml": s.volume_ml, "dose_mg": s.dose_mg, "lot": s.lot,
        "lot_expiry": s.lot_expiry.isoformat() if s.lot_expiry else None,
        "lot_expired": s.lot_expired, "areas": [a.value for a in s.areas],
        "injection_points": s.injection_points, "needle": s.needle,
        "duration_min": s.duration_min,
        "side_effects": [{"effect": e.effect.value, "severity": e.severity.value,
                          **({} if pseudonym else {"note": e.note})} for e in s.side_effects],
        "no_side_effects": s.no_side_effects, "counselling_given": s.counselling_given,
        "practitioner": s.practitioner, "dose_notes": s.dose_notes,
    }


def jsonl_lines(records: Records, pseudonym: Pseudonym | None = None,
                avoid_until: AvoidUntil | None = None) -> Iterator[str]:
    """One JSON object per session, without the newline (the caller joins or writes them)."""
    for row in rows(records, pseudonym, avoid_until):
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def csv_text(records: Records, pseudonym: Pseudonym | None = None,
             avoid_until: AvoidUntil | None = None) -> str:
    """A byte-order mark, a header row, then one row per session, every field quoted.

    Lists become `a;b`, side effects `effect:severity[:note];...`; a voided session's number
    is 0 (it does not count), so the column stays whole numbers.
    """
    out = io.StringIO()
    out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=columns(pseudonym), lineterminator="\r\n",
                            quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for row in rows(records, pseudonym, avoid_until):
        writer.writerow({key: _cell(key, value) for key, value in row.items()})
    return out.getvalue()


def _cell(key: str, value: Any) -> str:
    if key == "session_number" and value is None:
        return "0"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "areas":
        return ";".join(value)
    if key == "side_effects":
        value = ";".join(":".join(part for part in (e["effect"], e["severity"], e.get("note"))
                                  if part) for e in value)
    if isinstance(value, str):
        return defuse(safe(value, one_line=False))  # line breaks stay, controls are shown
    return str(value)


def defuse(text: str) -> str:
    """Put a `'` before anything a spreadsheet would run as a formula (CSV injection), at the
    start and after every `,`, `;`, tab or line break: a file read with another separator than
    it was written with must not turn `routine;=1+1` into a formula cell."""
    return _FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'", text)
