"""The protocol's rules: next due dates, statuses, evaluation and the pregnancy-avoid date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesotui import schedule
from mesotui.history import append
from mesotui.models import DEFAULT_PROTOCOL, CourseEvent, Protocol
from mesotui.vocab import CourseStatus, DueStatus, Sex
from tests.conftest import FixedClock, make_patient, make_session

PATIENT = make_patient(id="P-1")


def sessions_on(*days: date, voided: tuple[int, ...] = ()):
    made = []
    clock = FixedClock()
    for n, day in enumerate(days):
        s = make_session("P-1", day, id=f"S-{n}")
        history = append((), "create", s.to_data(), at=clock())
        if n in voided:
            history = append(history, "void", s.to_data(), at=clock(), reason="wrong patient")
        made.append(s.__class__(**{**{f: getattr(s, f) for f in s.__dataclass_fields__},
                                   "history": history}))
    return made


def test_protocol_table_is_reproduced_from_day_one() -> None:
    """Given on time, sessions fall on day 1, months 2, 4, 6, 10, 14, then every 4 months."""
    day1 = date(2026, 3, 10)
    planned = schedule.plan(day1, 1, DEFAULT_PROTOCOL, 6)
    assert planned == [(2, date(2026, 5, 10)), (3, date(2026, 7, 10)), (4, date(2026, 9, 10)),
                       (5, date(2027, 1, 10)), (6, date(2027, 5, 10)), (7, date(2027, 9, 10))]


def test_next_due_follows_the_last_session_actually_given() -> None:
    """A late second session moves the third: due 2 months after the late one, not the plan."""
    late = sessions_on(date(2026, 1, 5), date(2026, 3, 20))
    view = schedule.outlook(PATIENT, late, DEFAULT_PROTOCOL, date(2026, 4, 1))
    assert view.sessions_given == 2 and view.next_number == 3
    assert view.next_due == date(2026, 5, 20)


def test_an_early_session_brings_the_plan_forward() -> None:
    early = sessions_on(date(2026, 1, 5), date(2026, 2, 20))
    assert schedule.outlook(PATIENT, early, DEFAULT_PROTOCOL, date(2026, 3, 1)).next_due \
        == date(2026, 4, 20)


@pytest.mark.parametrize(("last", "expected"), [
    (date(2025, 12, 31), date(2026, 2, 28)),   # 31 Dec + 2 months clamps to 28 Feb
    (date(2027, 12, 31), date(2028, 2, 29)),   # ...and to 29 Feb in a leap year
    (date(2026, 1, 31), date(2026, 3, 31)),    # 31 Jan + 2 months is 31 Mar, no drift
    (date(2026, 8, 31), date(2026, 10, 31)),
    (date(2028, 2, 29), date(2028, 4, 29)),
])
def test_month_arithmetic_clamps_to_the_end_of_the_month(last: date, expected: date) -> None:
    assert schedule.outlook(PATIENT, sessions_on(last), DEFAULT_PROTOCOL, last).next_due == expected


def test_planned_dates_count_from_the_anchor_and_never_drift() -> None:
    """31 Dec → 28 Feb → 30 Apr: each date is computed from the last session, not chained."""
    dates = [d for _, d in schedule.plan(date(2025, 12, 31), 1, DEFAULT_PROTOCOL, 3)]
    assert dates == [date(2026, 2, 28), date(2026, 4, 30), date(2026, 6, 30)]


def test_maintenance_interval_applies_after_the_induction_sessions() -> None:
    six = sessions_on(*[date(2024, 1, 1) + timedelta(days=40 * i) for i in range(6)])
    view = schedule.outlook(PATIENT, six, DEFAULT_PROTOCOL, date(2024, 9, 1))
    assert view.next_due == schedule.add_months(six[-1].date, 4)


def test_a_patients_own_protocol_overrides_the_clinic_default() -> None:
    own = Protocol(intervals_months=(1, 1), maintenance_months=3)
    three = sessions_on(date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 10))
    assert (schedule.outlook(PATIENT, three[:1], own, date(2026, 1, 11)).next_due
            == date(2026, 2, 10))
    assert (schedule.outlook(PATIENT, three[:2], own, date(2026, 2, 11)).next_due
            == date(2026, 3, 10))
    # after its two induction steps, the patient's own 3-monthly maintenance applies
    assert schedule.outlook(PATIENT, three, own, date(2026, 3, 11)).next_due == date(2026, 6, 10)


def test_voided_sessions_do_not_count_toward_the_schedule() -> None:
    with_void = sessions_on(date(2026, 1, 5), date(2026, 1, 6), voided=(1,))
    view = schedule.outlook(PATIENT, with_void, DEFAULT_PROTOCOL, date(2026, 1, 10))
    assert view.sessions_given == 1 and view.next_due == date(2026, 3, 5)
    assert schedule.numbers(with_void) == {"S-0": 1}


@pytest.mark.parametrize(("today", "status"), [
    (date(2026, 2, 10), DueStatus.ON_SCHEDULE),  # 23 days ahead
    (date(2026, 2, 19), DueStatus.DUE_SOON),     # 14 days ahead: the window's edge
    (date(2026, 3, 5), DueStatus.DUE_SOON),      # due today
    (date(2026, 3, 6), DueStatus.OVERDUE),
])
def test_status_against_the_due_soon_window(today: date, status: DueStatus) -> None:
    view = schedule.outlook(PATIENT, sessions_on(date(2026, 1, 5)), DEFAULT_PROTOCOL, today, 14)
    assert view.status is status
    assert view.days_until_due == (date(2026, 3, 5) - today).days


def test_paused_and_stopped_patients_have_no_next_due() -> None:
    for status, expected in ((CourseStatus.PAUSED, DueStatus.PAUSED),
                             (CourseStatus.STOPPED, DueStatus.STOPPED)):
        patient = make_patient(id="P-1", course=(CourseEvent(status, date(2026, 2, 1), "travel"),))
        view = schedule.outlook(patient, sessions_on(date(2026, 1, 5)), DEFAULT_PROTOCOL,
                                date(2026, 6, 1))
        assert view.next_due is None and view.status is expected


def test_a_resumed_course_is_due_again() -> None:
    patient = make_patient(id="P-1", course=(CourseEvent(CourseStatus.PAUSED, date(2026, 2, 1)),
                                             CourseEvent(CourseStatus.ACTIVE, date(2026, 4, 1))))
    view = schedule.outlook(patient, sessions_on(date(2026, 1, 5)), DEFAULT_PROTOCOL,
                            date(2026, 4, 2))
    assert view.next_due == date(2026, 3, 5) and view.status is DueStatus.OVERDUE


def test_no_session_yet_is_due_on_the_planned_start() -> None:
    planned = make_patient(id="P-1", planned_start=date(2026, 1, 20))
    view = schedule.outlook(planned, [], DEFAULT_PROTOCOL, date(2026, 1, 15))
    assert (view.next_due, view.next_number, view.status) == (date(2026, 1, 20), 1,
                                                              DueStatus.DUE_SOON)
    unplanned = schedule.outlook(PATIENT, [], DEFAULT_PROTOCOL, date(2026, 1, 15))
    assert unplanned.next_due is None and unplanned.status is DueStatus.NOT_STARTED


def test_evaluation_is_due_after_the_fourth_session() -> None:
    days = [date(2025, 1, 1) + timedelta(days=60 * i) for i in range(4)]
    assert not schedule.outlook(PATIENT, sessions_on(*days[:3]), DEFAULT_PROTOCOL,
                                date(2025, 12, 1)).evaluation_due
    assert schedule.outlook(PATIENT, sessions_on(*days), DEFAULT_PROTOCOL,
                            date(2025, 12, 1)).evaluation_due


def test_women_are_shown_the_pregnancy_avoid_date_men_are_not() -> None:
    days = (date(2026, 1, 5), date(2026, 8, 31))
    woman = schedule.outlook(make_patient(id="P-1", sex=Sex.FEMALE), sessions_on(*days),
                             DEFAULT_PROTOCOL, date(2026, 9, 1))
    man = schedule.outlook(make_patient(id="P-1", sex=Sex.MALE), sessions_on(*days),
                           DEFAULT_PROTOCOL, date(2026, 9, 1))
    assert woman.pregnancy_avoid_until == date(2027, 2, 28)  # 31 Aug + 6 months, clamped
    assert man.pregnancy_avoid_until is None


def test_a_stopped_woman_keeps_her_pregnancy_avoid_date() -> None:
    stopped = make_patient(id="P-1", course=(CourseEvent(CourseStatus.STOPPED, date(2026, 2, 1)),))
    view = schedule.outlook(stopped, sessions_on(date(2026, 1, 5)), DEFAULT_PROTOCOL,
                            date(2026, 3, 1))
    assert view.pregnancy_avoid_until == date(2026, 7, 5)


def test_the_morning_list_puts_the_most_overdue_first() -> None:
    today = date(2026, 6, 1)
    views = [schedule.outlook(PATIENT, sessions_on(d), DEFAULT_PROTOCOL, today)
             for d in (date(2026, 3, 20), date(2026, 2, 1), date(2026, 5, 1))]
    ordered = sorted(views, key=schedule.urgency)
    assert [v.next_due for v in ordered] == [date(2026, 4, 1), date(2026, 5, 20), date(2026, 7, 1)]


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)),
       st.integers(min_value=1, max_value=36))
def test_adding_months_lands_in_the_right_month_on_the_nearest_valid_day(day: date,
                                                                         months: int) -> None:
    """Property: the result is `months` calendar months on, on the same day or the month's last."""
    result = schedule.add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == day.day or (result.day < day.day
                                     and (result + timedelta(days=1)).day == 1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
       st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=8))
def test_planned_dates_are_increasing_and_anchored(last: date, intervals: list[int]) -> None:
    """Property: planned sessions move forward, each the summed months from the last session."""
    protocol = Protocol(tuple(intervals), 4, 4, 6)
    planned = schedule.plan(last, 1, protocol, len(intervals) + 2)
    dates = [d for _, d in planned]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    total = 0
    for step, (_, due) in enumerate(planned):
        total += protocol.interval_after(1 + step)
        assert due == schedule.add_months(last, total)
