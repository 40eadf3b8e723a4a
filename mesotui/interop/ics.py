"""Next due and planned sessions as an RFC 5545 iCalendar file that a re-import keeps right.

Each event's UID names the patient and the session number, so importing a later export updates
it in place (khal, and any client that honours UIDs). A session no longer planned (given since,
or the course paused, stopped or archived) is sent again as STATUS:CANCELLED, with SEQUENCE and
LAST-MODIFIED taken from the last change of the patient's record (or today, for dates planned
from today), so a client can tell a newer version from an older one. DTSTAMP is when the file
was made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from mesotui.interop import Pseudonym, Records, Systems, initials, patient_key
from mesotui.models import Patient, Protocol, Session
from mesotui.schedule import Outlook, add_months, given, plan
from mesotui.terminal import safe
from mesotui.vocab import CourseStatus

PRODID = "-//mesotui//mesotui due sessions//EN"
NO_LONGER_DUE = "no longer due"
"""In the title of a cancelled event, for clients that ignore STATUS (calcurse)."""
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Event:
    number: int
    due: date
    status: str
    detail: str
    today_based: bool = False
    """Its date or wording follows from today (an overdue session, or one planned after it)."""


def calendar(records: Records, *, today: date, protocol_for: Callable[[Patient], Protocol],
             outlook_for: Callable[[Patient], Outlook], horizon_months: int = 6,
             with_names: bool = False, pseudonym: Pseudonym | None = None,
             clinic_name: str = "", stamp: datetime | None = None,
             changed_for: Callable[[Patient], datetime | None] | None = None,
             systems: Systems | None = None) -> str:
    """The due sessions of `records` as one calendar.

    Args:
        records: the selection, each patient with their sessions.
        today: the first day of the horizon; an overdue next session is still listed.
        protocol_for: the protocol in force for a patient.
        outlook_for: where a patient stands today (next session number and due date).
        horizon_months: planned sessions after the next one are listed up to this far ahead;
            sessions given within as long before today are sent cancelled.
        with_names: put full names in titles (initials otherwise); ignored with a pseudonym.
        pseudonym: titles and ids carry the pseudonym only, never names or initials.
        clinic_name: the calendar's display name.
        stamp: when the file was made (DTSTAMP); midnight UTC of `today` by default.
        changed_for: when the patient's records last changed (SEQUENCE, LAST-MODIFIED).
        systems: the clinic's URL, whose host ends every UID.
    """
    stamp = stamp or datetime.combine(today, time(0), tzinfo=UTC)
    host = urlsplit((systems or Systems()).base).hostname or "mesotui"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(clinic_name or 'mesotui sessions due')}"]
    for patient, sessions, numbers in records:
        view = outlook_for(patient)
        today = view.today  # a de-identified patient's today moves with their dates
        horizon = add_months(today, horizon_months)
        since = add_months(today, -horizon_months)
        changed = (changed_for(patient) if changed_for else None) or stamp
        key = patient_key(patient, pseudonym)
        who = key if pseudonym else (
            f"{patient.name if with_names else initials(patient.name)} ({patient.id})")
        for event in events(patient, sessions, view, protocol_for(patient), today, horizon,
                            since, numbers):
            at = changed
            if event.today_based:
                at = max(at, datetime.combine(today, time(0), tzinfo=UTC))
            lines += _lines(event, f"{key}-session-{event.number}@{host}", who, stamp, at)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def events(patient: Patient, sessions: Sequence[Session],
           view: Outlook, protocol: Protocol, today: date, horizon: date, since: date,
           numbers: Mapping[str, int] | None = None) -> list[_Event]:
    """The patient's planned sessions, then those no longer planned, as events.

    `numbers` gives each session's number in the whole course (the sessions passed may be a
    date range's); without it they are numbered among themselves.
    """
    active = patient.status is CourseStatus.ACTIVE and not patient.archived
    out = []
    if active:
        for number, due in due_sessions(view, protocol, today, horizon):
            overdue = number == view.next_number and due < today
            if overdue:
                detail = f"Session {number} was due {due.isoformat()}: overdue."
            elif number == view.next_number:
                detail = f"Session {number} due {due.isoformat()}."
            else:
                detail = (f"Session {number} planned, if session {view.next_number} is given "
                          "when due.")
            out.append(_Event(number, due, "CONFIRMED" if number == view.next_number
                              else "TENTATIVE", detail, overdue or (
                                  number > view.next_number and view.next_due is not None
                                  and view.next_due < today)))
    counted = given(sessions)
    numbers = numbers or {s.id: n for n, s in enumerate(counted, start=1)}
    for session in counted:
        number = numbers[session.id]
        if since <= session.date <= today:
            out.append(_Event(number, session.date, "CANCELLED",
                              f"Session {number} was given on {session.date.isoformat()}."))
    if not active and view.last_session is not None:
        why = "archived" if patient.archived else f"course {patient.status.value}"
        # The whole course's last session and count, whatever range the export chose.
        for number, due in plan(view.last_session, view.sessions_given, protocol, 24):
            if due > horizon:
                break
            if due >= since:
                out.append(_Event(number, due, "CANCELLED",
                                  f"Session {number} is not planned: {why}."))
    return out


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


def _lines(event: _Event, uid: str, who: str, stamp: datetime, changed: datetime) -> list[str]:
    title = f"Mesotherapy session {event.number}: {who}"
    if event.status == "CANCELLED":
        title += f" ({NO_LONGER_DUE})"
    changed = changed.astimezone(UTC)
    return [
        "BEGIN:VEVENT",
        f"UID:{escape(uid)}",
        f"DTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"LAST-MODIFIED:{changed:%Y%m%dT%H%M%SZ}",
        # Seconds from 2020 to the last change: grows with every change, and only then
        # (revision times never go backwards); fits a 32-bit integer until 2088.
        f"SEQUENCE:{max(0, int((changed - _EPOCH).total_seconds()))}",
        f"DTSTART;VALUE=DATE:{event.due:%Y%m%d}",
        f"DTEND;VALUE=DATE:{event.due + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape(title)}",
        f"DESCRIPTION:{escape(event.detail)}",
        f"STATUS:{event.status}",
        "TRANSP:TRANSPARENT",
        "CATEGORIES:mesotherapy",
        "END:VEVENT",
    ]


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma and newlines."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return safe(text)  # no other control character reaches a calendar (or a terminal)


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
