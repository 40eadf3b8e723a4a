"""The protocol's rules as pure functions: session numbers, next due date, status, safety dates.

Every function takes `today` from its caller; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from dateutil.relativedelta import relativedelta

from mesotui import parse
from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Protocol, Session
from mesotui.vocab import CourseStatus, Decision, DueStatus, Sex

PREGNANCY_AVOID_MONTHS = 6


def add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic with end-of-month clamping: 31 Dec + 2 months = 28/29 Feb."""
    return day + relativedelta(months=months)


def course_key(day: date, logged_at: str, record_id: str) -> tuple[date, datetime, str]:
    """Where a session sits in its course: by date, then by when it was logged (its first
    revision's time), then by id. Two sessions on one day thus keep the order in which they
    were logged, so logging another never renumbers a session already saved (ids are random:
    an order by id would)."""
    return day, _instant(logged_at), record_id


def course_order(session: Session) -> tuple[date, datetime, str]:
    """`course_key` of a session model."""
    return course_key(session.date, session.history[0].at if session.history else "",
                      session.id)


def in_course_order(sessions: Iterable[Session]) -> list[Session]:
    """Every session, voided ones included, in the order of the course (`course_key`)."""
    return sorted(sessions, key=course_order)


def given(sessions: Iterable[Session]) -> list[Session]:
    """The sessions that count toward the course: not voided, in course order."""
    return sorted((s for s in sessions if not s.voided), key=course_order)


def numbers(sessions: Iterable[Session]) -> dict[str, int]:
    """Each counted session's number in the course (1 for the first); voided ones get none."""
    return {session.id: n for n, session in enumerate(given(sessions), start=1)}


def plan(last: date, sessions_given: int, protocol: Protocol, count: int) -> list[tuple[int, date]]:
    """The next `count` planned sessions after the last one given, as (number, due date).

    Each date is computed from the last session actually given, adding the total months, so
    end-of-month clamping never drifts (31 Dec → 28 Feb → 30 Apr, not 28 Apr).
    """
    planned: list[tuple[int, date]] = []
    months = 0
    for step in range(count):
        months += protocol.interval_after(sessions_given + step)
        planned.append((sessions_given + step + 1, add_months(last, months)))
    return planned


def evaluation_order(evaluation: Evaluation) -> tuple[date, str, str]:
    """Evaluations in the order they happened: by date, then by when they were recorded."""
    recorded = evaluation.history[0].at if evaluation.history else ""
    return evaluation.date, recorded, evaluation.id


def deciding(evaluations: Iterable[Evaluation]) -> Evaluation | None:
    """The evaluation whose "maintenance" decision plans the sessions now, if any."""
    counted = [e for e in evaluations if not e.voided]
    latest = max(counted, key=evaluation_order) if counted else None
    return latest if latest is not None and latest.interval_months is not None else None


def effective_protocol(protocol: Protocol, evaluations: Iterable[Evaluation]) -> Protocol:
    """The plan in force: after a "maintenance" decision, its interval from then on."""
    latest = deciding(evaluations)
    if latest is None or latest.interval_months is None:
        return protocol
    return Protocol((), latest.interval_months, protocol.evaluate_after, protocol.evaluate_by)


def evaluation_due(sessions_given: list[Session], protocol: Protocol,
                   evaluations: Iterable[Evaluation]) -> bool:
    """Whether the course evaluation is due.

    Due once `evaluate_after` sessions are given and no evaluation is recorded. After a
    "continue induction" decision it is due again once the protocol's evaluation window
    (evaluate_by - evaluate_after sessions, at least one) has passed since; after
    "maintenance" or "stop" it is not due.
    """
    counted = sorted((e for e in evaluations if not e.voided), key=evaluation_order)
    if not counted:
        return len(sessions_given) >= protocol.evaluate_after
    latest = counted[-1]
    if latest.decision is not Decision.CONTINUE:
        return False
    since = sum(1 for s in sessions_given if s.date > latest.date)
    return since >= max(1, protocol.evaluate_by - protocol.evaluate_after)


def due_status(next_due: date, today: date, due_soon_days: int) -> DueStatus:
    days = (next_due - today).days
    if days < 0:
        return DueStatus.OVERDUE
    if days <= due_soon_days:
        return DueStatus.DUE_SOON
    return DueStatus.ON_SCHEDULE


class Outlook(NamedTuple):
    """Where one patient stands on `today`: what was given and what is due next.

    Tuples, like `Standing` and `Card`: the list builds one per patient at every start, and a
    frozen dataclass takes three times as long to build.
    """

    sessions_given: int
    last_session: date | None
    next_number: int
    next_due: date | None
    status: DueStatus
    evaluation_due: bool
    pregnancy_avoid_until: date | None
    today: date

    @property
    def days_until_due(self) -> int | None:
        """Days from today to the next due date; negative when overdue."""
        return None if self.next_due is None else (self.next_due - self.today).days


class Standing(NamedTuple):
    """Where a patient's course stands whatever the day; `on` judges it against one day.

    Only the records change it, so the store keeps it (and its index saves it) between saves.
    """

    sessions_given: int
    last_session: date | None
    next_due: date | None
    held: DueStatus | None
    """PAUSED or STOPPED while the course is not active; None while it is."""
    evaluation_due: bool
    pregnancy_avoid_until: date | None

    def on(self, today: date, due_soon_days: int = 14) -> Outlook:
        status: DueStatus
        if self.held is not None:
            status = self.held
        elif self.next_due is None:
            status = DueStatus.NOT_STARTED
        else:
            status = due_status(self.next_due, today, due_soon_days)
            if self.last_session is None and status is DueStatus.ON_SCHEDULE:
                status = DueStatus.NOT_STARTED  # a planned start still weeks away
        return Outlook(self.sessions_given, self.last_session, self.sessions_given + 1,
                       self.next_due, status, self.evaluation_due, self.pregnancy_avoid_until,
                       today)

    def to_data(self) -> list[Any]:
        return [self.sessions_given, _iso(self.last_session), _iso(self.next_due),
                self.held.value if self.held else None, self.evaluation_due,
                _iso(self.pregnancy_avoid_until)]

    @classmethod
    def from_data(cls, row: list[Any]) -> Standing:
        given_count, last, due, held, evaluation, avoid = row
        if not isinstance(given_count, int) or not isinstance(evaluation, bool):
            raise ValueError("not a standing")
        return cls(given_count, _day(last), _day(due),
                   parse.choice(DueStatus, held, "held") if held else None, evaluation,
                   _day(avoid))


def standing(patient: Patient, sessions: Iterable[Session], protocol: Protocol,
             evaluations: Iterable[Evaluation] = ()) -> Standing:
    """Apply the protocol to one patient's sessions (see `outlook`), for any day."""
    evaluations = list(evaluations)
    # Light summaries will do (no history): only how many were given, and when, matter here.
    counted = [s for s in sessions if not s.voided]
    protocol = effective_protocol(protocol, evaluations)
    last = max(s.date for s in counted) if counted else None
    # Women, and patients of another sex for whom pregnancy is possible (the protocol's
    # "where it applies"): 6 months after the last session.
    avoid_until = (add_months(last, PREGNANCY_AVOID_MONTHS)
                   if last and patient.sex is not Sex.MALE else None)
    active = patient.status is CourseStatus.ACTIVE
    due_for_evaluation = active and evaluation_due(counted, protocol, evaluations)
    next_due: date | None
    held: DueStatus | None = None
    if not active:
        next_due = None
        held = DueStatus.PAUSED if patient.status is CourseStatus.PAUSED else DueStatus.STOPPED
    elif last is None:
        next_due = patient.planned_start
    else:
        next_due = plan(last, len(counted), protocol, 1)[0][1]
    return Standing(len(counted), last, next_due, held, due_for_evaluation, avoid_until)


def outlook(patient: Patient, sessions: Iterable[Session], protocol: Protocol, today: date,
            due_soon_days: int = 14, evaluations: Iterable[Evaluation] = ()) -> Outlook:
    """Apply the protocol to one patient's sessions.

    Args:
        patient: the patient; their course status and planned start are read.
        sessions: all of the patient's sessions, voided ones included (they are ignored).
        protocol: the plan in force (the patient's own or the clinic default).
        today: the day to judge due and overdue against.
        due_soon_days: how many days ahead counts as "due soon".
        evaluations: the patient's evaluations (voided ones are ignored); a maintenance
            decision sets the interval from then on, and any decision clears "evaluation due".
    """
    return standing(patient, sessions, protocol, evaluations).on(today, due_soon_days)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _instant(stamp: str) -> datetime:
    """A revision's time, comparable with any other (one without an offset is taken as UTC;
    none at all, or one that cannot be read, sorts first)."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return _EPOCH
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _day(text: Any) -> date | None:
    return None if text is None else date.fromisoformat(text)


RANK = {DueStatus.OVERDUE: 0, DueStatus.DUE_SOON: 1, DueStatus.ON_SCHEDULE: 2,
        DueStatus.NOT_STARTED: 3, DueStatus.PAUSED: 4, DueStatus.STOPPED: 5}
"""How urgent each status is on the morning list (0 first)."""


def urgency(view: Outlook) -> tuple[int, date]:
    """Sort key for the morning list: overdue first (most overdue on top), then soonest due."""
    return RANK[view.status], view.next_due or date.max
