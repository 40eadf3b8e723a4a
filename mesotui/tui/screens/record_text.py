"""The record's banners and summary lines as plain text (never markup: names are free text)."""

from __future__ import annotations

from datetime import date

from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Protocol, Session
from mesotui.schedule import PREGNANCY_AVOID_MONTHS, Outlook, add_months, given
from mesotui.tui import fmt
from mesotui.validation import plural
from mesotui.vocab import CourseStatus, Decision, Sex

DECISION_SHORT = {Decision.CONTINUE: "cont", Decision.MAINTENANCE: "maint", Decision.STOP: "stop"}


def safety_text(patient: Patient, sessions: list[Session], view: Outlook, today: date,
                *, logging: date | None = None) -> tuple[str, str]:
    """The banner: pregnancy or contraception advice, and whether counselling was recorded;
    with its style class ("-alarm" while pregnancy must be avoided, "-ended" once past).

    Pregnancy is avoided during treatment and for 6 months after the last session: while the
    course is active (or resumed) the advice is in force whatever the last date, and only a
    paused or stopped course can show the period as ended. `logging`: the day of a session
    being logged (the session form), which moves the date to 6 months after it.
    """
    recorded, counselled = counselling_text(sessions)
    until, last = view.pregnancy_avoid_until, view.last_session
    may_conceive = patient.sex is not Sex.MALE
    active = patient.status is CourseStatus.ACTIVE and not patient.archived
    if logging is not None and may_conceive:
        until = add_months(max(logging, last or logging), PREGNANCY_AVOID_MONTHS)
        why = f"6 months after this session, {logging}"
    else:
        why = f"6 months after the last session, {last}"
    if until is not None and until < today and may_conceive and not active:
        return (f"✓ Pregnancy-avoid period ended on {until} ({why}) · {recorded}",
                "-ended" if counselled else "")
    if patient.sex is Sex.MALE:
        return f"⚠ CONTRACEPTION: use contraception during treatment · {recorded}", ""
    if logging is not None or (until is not None and until >= today):
        advice = f"avoid pregnancy until {until} ({why})"
    else:  # an active course whose last 6 months are past, or no session yet
        advice = "avoid pregnancy during treatment and for 6 months after the last session"
        if last is not None:
            advice += f" (course active; last session {last})"
    if patient.sex is Sex.FEMALE:
        return f"⚠ PREGNANCY: {advice} · {recorded}", "-alarm"
    return (f"⚠ SAFETY: where pregnancy is possible, {advice}; use contraception during "
            f"treatment · {recorded}", "")


def counselling_text(sessions: list[Session]) -> tuple[str, bool]:
    """Whether the safety counselling was recorded at the last session given, in words; and
    whether it was (sessions since the last counselling are counted, never hidden)."""
    counted = given(sessions)
    if not counted:
        return "COUNSELLING NOT RECORDED YET", False
    if counted[-1].counselling_given:
        return f"counselling recorded at the last session ({counted[-1].date})", True
    since = 0
    for session in reversed(counted):
        if session.counselling_given:
            break
        since += 1
    missed = ("the last session" if since == 1
              else f"the last {plural(since, 'session', count=True)}")
    if since == len(counted):
        missed = "the only session" if since == 1 else f"any of the {since} sessions"
        return f"COUNSELLING NOT RECORDED at {missed}", False
    return (f"COUNSELLING NOT RECORDED at {missed} (last recorded "
            f"{counted[-1 - since].date})", False)


def consent_text(patient: Patient, today: date) -> tuple[str, bool]:
    """The consent banner and whether consent is in force today (missing is a warning)."""
    current = patient.consent_on(today)
    if current:
        return (f"✓ CONSENT to off-label treatment in force since {current.given_on} · "
                f"{current.form_version or 'no form reference'} · taken by "
                f"{current.taken_by or '-'}", True)
    last = patient.consents[-1] if patient.consents else None
    if last and last.withdrawn_on:
        reason = f" ({last.withdrawal_reason})" if last.withdrawal_reason else ""
        return f"⚠ CONSENT WITHDRAWN on {last.withdrawn_on}{reason} · k records a new one", False
    if last and last.given_on > today:
        return f"⚠ NO CONSENT IN FORCE: the consent recorded starts {last.given_on} · k", False
    return "⚠ NO CONSENT on record for this off-label treatment · k records it", False


def standing_text(patient: Patient, view: Outlook) -> str:
    status = f"Course {patient.status.label.lower()}"
    if patient.status_event and patient.status is not CourseStatus.ACTIVE:
        event = patient.status_event
        status += f" since {event.on}" + (f" ({event.reason})" if event.reason else "")
    parts = [status, view.status.label,
             f"{plural(view.sessions_given, 'session', count=True)} given"]
    if view.next_due:
        parts.append(f"next: session {view.next_number} due {fmt.next_due(view)}")
    if patient.archived:
        parts.insert(0, "ARCHIVED")
    if view.evaluation_due:
        parts.append("EVALUATION DUE (E)")
    return " · ".join(parts)


def evaluation_cells(evaluation: Evaluation) -> list[str]:
    """A row of the evaluation history table."""
    score = evaluation.global_score
    own = evaluation.self_assessment
    decision = {Decision.CONTINUE: "continue induction",
                Decision.MAINTENANCE: f"maintenance /{evaluation.interval_months} mo",
                Decision.STOP: "stop"}[evaluation.decision]
    return [str(evaluation.date), decision, fmt.number(evaluation.hair_count_per_cm2),
            f"{score.points:+d}" if score else "-", f"{own.points:+d}" if own else "-",
            evaluation.pull_test.value if evaluation.pull_test else "-",
            str(len(evaluation.photos)), evaluation.practitioner]


def details_text(patient: Patient, protocol: Protocol,
                 decided: Evaluation | None = None) -> str:
    """`protocol`: the patient's own or the clinic's; `decided`: the evaluation whose
    maintenance decision plans the sessions from then on (it overrides the protocol)."""
    whose = "patient's own" if patient.protocol else "clinic default"
    line = f"Protocol ({whose}): {protocol.describe()}"
    if decided is not None and decided.interval_months is not None:
        line = (f"Protocol: maintenance every {decided.interval_months} months, as decided at "
                f"the evaluation of {decided.date} (before it, {whose}: "
                f"{protocol.describe()})")
    lines = [line,
             "Concurrent: " + ("; ".join(patient.concurrent_treatments) or "none recorded"),
             f"Phone {patient.phone or '-'} · email {patient.email or '-'}"
             + (f" · planned start {patient.planned_start}" if patient.planned_start else "")]
    lines += [f"{e.status.label} on {e.on}: {e.reason or '-'}" for e in patient.course]
    if patient.notes:
        lines.append(f"Notes: {patient.notes}")
    return "\n".join(lines)


def altered_text(altered: dict[str, list[str]]) -> str:
    """The tamper warning: which records' hash chains fail, and what to do about it."""
    if not altered:
        return ""
    where = "; ".join(f"{record_id}: {problems[0]}" for record_id, problems in altered.items())
    return (f"⚠ CHANGED OUTSIDE MESOTUI: {where}. The record file was edited directly; "
            "run `mesotui check`, and compare with a backup before relying on it.")
