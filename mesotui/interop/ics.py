"""Next due and planned sessions as an RFC 5545 iCalendar file of all-day events, by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from mesotui.interop import Pseudonym, Records, initials, patient_key
from mesotui.models import Patient, Protocol
from mesotui.schedule import Outlook, add_months, plan
from mesotui.vocab import CourseStatus

PRODID = "-//mesotui//mesotui due sessions//EN"


def calendar(records: Records, *, today: date, protocol_for: Callable[[Patient], Protocol],
             outlook_for: Callable[[Patient], Outlook], horizon_months: int = 6,
             with_names: bool = False, pseudonym: Pseudonym | None = None,
             clinic_name: str = "", stamp: datetime | None = None) -> str:
    """One all-day event per patient's next due session, and the planned ones after it.

    Args:
        records: the selection; only patients whose course is active get events.
        today: the first day of the horizon; an overdue next session is still listed.
        protocol_for: the protocol in force for a patient.
        outlook_for: where a patient stands today (next session number and due date).
        horizon_months: planned sessions after the next one are listed up to this far ahead.
        with_names: put full names in titles (initials otherwise); ignored with a pseudonym.
        pseudonym: titles and ids carry the pseudonym only, never names or initials.
        clinic_name: the calendar's display name.
        stamp: when the file was made (DTSTAMP); midnight UTC of `today` by default.
    """
    stamp = stamp or datetime.combine(today, time(0), tzinfo=UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(clinic_name or 'mesotui sessions due')}"]
    horizon = add_months(today, horizon_months)
    for patient, _sessions in records:
        if patient.status is not CourseStatus.ACTIVE or patient.archived:
            continue
        view = outlook_for(patient)
        for number, due in due_sessions(view, protocol_for(patient), today, horizon):
            lines += _event(patient, number, due, view, stamp, with_names, pseudonym)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def due_sessions(view: Outlook, protocol: Protocol, today: date, horizon: date
                 ) -> list[tuple[int, date]]:
    """The next session (even if overdue) and those planned after it, up to `horizon`.

    Later sessions are planned as if the next one is given on its due date, or today when it
    is already overdue, since a late session moves the rest of the plan.
    """
    if view.next_due is None:
        return []
    found = [(view.next_number, view.next_due)]
    anchor = max(view.next_due, today)
    for number, due in plan(anchor, view.next_number, protocol, 24):
        if due > horizon:
            break
        found.append((number, due))
    return found


def _event(patient: Patient, number: int, due: date, view: Outlook, stamp: datetime,
           with_names: bool, pseudonym: Pseudonym | None) -> list[str]:
    key = patient_key(patient, pseudonym)
    if pseudonym:
        who = key
    else:
        who = f"{patient.name if with_names else initials(patient.name)} ({patient.id})"
    is_next = number == view.next_number
    if is_next and view.next_due is not None and view.next_due < view.today:
        detail = f"Session {number} was due {due.isoformat()}: overdue."
    elif is_next:
        detail = f"Session {number} due {due.isoformat()}."
    else:
        detail = f"Session {number} planned, if session {view.next_number} is given when due."
    return [
        "BEGIN:VEVENT",
        f"UID:{escape(key)}-session-{number}@mesotui",
        f"DTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTSTART;VALUE=DATE:{due:%Y%m%d}",
        f"DTEND;VALUE=DATE:{due + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape(f'Mesotherapy session {number}: {who}')}",
        f"DESCRIPTION:{escape(detail)}",
        f"STATUS:{'CONFIRMED' if is_next else 'TENTATIVE'}",
        "TRANSP:TRANSPARENT",
        "CATEGORIES:mesotherapy",
        "END:VEVENT",
    ]


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma and newlines."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line at `limit` octets (RFC 5545 3.1), never inside a UTF-8 character."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = " ", 1  # a continuation line starts with one space
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)
