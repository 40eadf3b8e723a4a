"""The clinic's reports as numbers: side effects, the due calendar, a lot recall, course outcomes.

Voided sessions never count; session numbers come from `schedule.numbers`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from mesotui import schedule
from mesotui.models import Patient, Session
from mesotui.store import Store
from mesotui.vocab import CourseStatus, DueStatus, Severity, SideEffect


def share(part: int, whole: int) -> float:
    """`part` as a fraction of `whole`; 0 when there is nothing to divide."""
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class EffectCount:
    """How often one side effect occurred: in all, by severity, by session number."""

    effect: SideEffect
    total: int
    by_severity: dict[Severity, int]
    by_number: dict[int, int]


@dataclass(frozen=True)
class NumberRow:
    """Sessions with a given number in the course (1st, 2nd, ...) and what they showed."""

    number: int
    sessions: int
    with_effects: int
    with_none: int


@dataclass(frozen=True)
class SideEffects:
    sessions: int
    with_effects: int
    with_none: int
    not_assessed: int
    effects: list[EffectCount]
    """Most frequent first; effects that never occurred are left out."""
    by_number: list[NumberRow]

    @property
    def share_none(self) -> float:
        """Sessions where "none" was recorded, of all counted sessions."""
        return share(self.with_none, self.sessions)


def side_effects(sessions: Iterable[Session]) -> SideEffects:
    """Count side effects over every counted (not voided) session."""
    per_patient: dict[str, list[Session]] = defaultdict(list)
    for session in sessions:
        per_patient[session.patient_id].append(session)
    severities: dict[SideEffect, Counter[Severity]] = defaultdict(Counter)
    numbers_of: dict[SideEffect, Counter[int]] = defaultdict(Counter)
    rows: dict[int, Counter[str]] = defaultdict(Counter)
    for group in per_patient.values():
        counted = schedule.numbers(group)
        for session in schedule.given(group):
            number = counted[session.id]
            rows[number]["sessions"] += 1
            rows[number]["with_effects"] += bool(session.side_effects)
            rows[number]["with_none"] += session.no_side_effects and not session.side_effects
            for report in session.side_effects:
                severities[report.effect][report.severity] += 1
                numbers_of[report.effect][number] += 1
    effects = [EffectCount(effect, sum(severities[effect].values()),
                           {s: severities[effect][s] for s in Severity},
                           dict(sorted(numbers_of[effect].items())))
               for effect in SideEffect if severities[effect]]
    effects.sort(key=lambda e: -e.total)  # stable: ties keep the vocabulary's order
    by_number = [NumberRow(n, c["sessions"], c["with_effects"], c["with_none"])
                 for n, c in sorted(rows.items())]
    total = sum(r.sessions for r in by_number)
    with_effects = sum(r.with_effects for r in by_number)
    with_none = sum(r.with_none for r in by_number)
    return SideEffects(total, with_effects, with_none, total - with_effects - with_none,
                       effects, by_number)


@dataclass(frozen=True)
class DueEntry:
    patient: Patient
    number: int
    due: date
    status: DueStatus


@dataclass(frozen=True)
class Week:
    start: date
    """A Monday."""
    entries: list[DueEntry] = field(default_factory=list)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


@dataclass(frozen=True)
class DueCalendar:
    today: date
    overdue: list[DueEntry]
    weeks: list[Week]

    @property
    def due(self) -> int:
        return sum(len(week.entries) for week in self.weeks)


def due_calendar(store: Store, today: date, weeks: int = 4) -> DueCalendar:
    """Who is due, calendar week by calendar week (Monday first), from this week on.

    Patients already overdue are listed apart, so the weeks hold only dates still ahead.
    Archived, paused and stopped patients have no next due session and do not appear.
    """
    first = today - timedelta(days=today.weekday())
    calendar = [Week(first + timedelta(weeks=n)) for n in range(weeks)]
    overdue: list[DueEntry] = []
    for patient, view in store.overview(today):
        if view.next_due is None:
            continue
        entry = DueEntry(patient, view.next_number, view.next_due, view.status)
        if view.next_due < today:
            overdue.append(entry)
        elif view.next_due <= calendar[-1].end:
            calendar[(view.next_due - first).days // 7].entries.append(entry)
    return DueCalendar(today, overdue, calendar)


@dataclass(frozen=True)
class RecallRow:
    patient: Patient
    session: Session
    number: int | None
    """The session's number in the course; None when it was voided."""


@dataclass(frozen=True)
class LotRecall:
    lot: str
    rows: list[RecallRow]

    @property
    def sessions(self) -> int:
        """Sessions actually given from the lot (voided entries are listed but not counted)."""
        return sum(1 for row in self.rows if not row.session.voided)

    @property
    def patients(self) -> list[Patient]:
        """Patients who received the lot, once each, in order of first exposure."""
        seen: dict[str, Patient] = {}
        for row in self.rows:
            if not row.session.voided:
                seen.setdefault(row.patient.id, row.patient)
        return list(seen.values())

    def records(self) -> list[tuple[Patient, list[Session]]]:
        """The recall as an export selection: each patient with the lot's sessions."""
        grouped: dict[str, tuple[Patient, list[Session]]] = {}
        for row in self.rows:
            grouped.setdefault(row.patient.id, (row.patient, []))[1].append(row.session)
        return list(grouped.values())


def lot_recall(store: Store, lot: str) -> LotRecall:
    """Every patient and session given from `lot` (case and surrounding spaces ignored), by date."""
    rows = []
    for patient, session in store.sessions_by_lot(lot):
        number = schedule.numbers(store.sessions_for(patient.id)).get(session.id)
        rows.append(RecallRow(patient, session, number))
    return LotRecall(rows[0].session.lot if rows else lot.strip(), rows)


@dataclass(frozen=True)
class CourseOutcomes:
    by_sessions: dict[int, int]
    """Number of sessions completed -> how many patients, for every count from 0 to the most."""
    evaluations_due: list[tuple[Patient, int]]
    """Active patients past `evaluate_after` sessions, with how many they have had."""
    evaluations_overdue: list[Patient]
    """Of those, patients past `evaluate_by`."""
    stopped: list[tuple[Patient, date, str]]
    paused: list[tuple[Patient, date, str]]

    @property
    def patients(self) -> int:
        return sum(self.by_sessions.values())


def course_outcomes(store: Store, today: date) -> CourseOutcomes:
    """Where the clinic's (not archived) patients stand in their courses, and why some stopped."""
    counts: Counter[int] = Counter()
    due: list[tuple[Patient, int]] = []
    overdue: list[Patient] = []
    halted: dict[CourseStatus, list[tuple[Patient, date, str]]] = defaultdict(list)
    for patient in sorted(store.patients(include_archived=False), key=lambda p: p.name.casefold()):
        view = store.outlook(patient, today)
        counts[view.sessions_given] += 1
        if view.evaluation_due:
            due.append((patient, view.sessions_given))
            if view.sessions_given > store.protocol_for(patient).evaluate_by:
                overdue.append(patient)
        event = patient.status_event
        if event is not None and event.status is not CourseStatus.ACTIVE:
            halted[event.status].append((patient, event.on, event.reason))
    most = max(counts, default=0)
    return CourseOutcomes({n: counts[n] for n in range(most + 1)}, due, overdue,
                          halted[CourseStatus.STOPPED], halted[CourseStatus.PAUSED])
