"""The iCalendar export, parsed back with `icalendar`: all-day events, initials unless names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import icalendar
import pytest

from mesotui.interop import ics, initials, whole_course
from mesotui.interop.render import last_change
from mesotui.models import Patient
from mesotui.store import Store
from mesotui.vocab import Sex
from tests.conftest import FixedClock, make_session
from tests.report_clinic import TODAY, fill, records, small_clinic


@pytest.fixture(scope="module")
def store() -> Store:
    return small_clinic()


def export(store: Store, **options: Any) -> str:
    return ics.calendar(records(store), today=TODAY, protocol_for=store.protocol_for,
                        outlook_for=lambda p: store.outlook(p, TODAY), **options)


def events(text: str) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def planned(text: str) -> list[icalendar.Event]:
    return [e for e in events(text) if str(e["STATUS"]) != "CANCELLED"]


def test_next_and_planned_sessions_within_six_months_are_all_day_events(store: Store) -> None:
    found = planned(export(store))
    starts = sorted((str(e["SUMMARY"]), e.decoded("DTSTART")) for e in found)
    assert starts == sorted([
        ("Mesotherapy session 4: A.F. (P-A)", date(2026, 1, 3)),   # overdue, still listed
        ("Mesotherapy session 5: A.F. (P-A)", date(2026, 5, 15)),  # planned from today
        ("Mesotherapy session 2: O.O. (P-B)", date(2026, 2, 1)),
        ("Mesotherapy session 3: O.O. (P-B)", date(2026, 4, 1)),
        ("Mesotherapy session 4: O.O. (P-B)", date(2026, 6, 1)),
        ("Mesotherapy session 1: C.M. (P-C)", date(2026, 1, 20)),
        ("Mesotherapy session 2: C.M. (P-C)", date(2026, 3, 20)),
        ("Mesotherapy session 3: C.M. (P-C)", date(2026, 5, 20)),
        ("Mesotherapy session 5: N.H. (P-E)", date(2026, 1, 20)),
        ("Mesotherapy session 6: N.H. (P-E)", date(2026, 5, 20)),
    ])  # D (stopped) and F (paused) have no sessions due
    for event in found:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is date and (end - start).days == 1  # all-day, not a timed event


def test_titles_carry_initials_not_names_unless_asked(store: Store) -> None:
    plain = export(store)
    assert "Amelia" not in plain and "Fletcher" not in plain
    named = events(export(store, with_names=True))
    assert "Mesotherapy session 4: Amelia Fletcher (P-A)" in {str(e["SUMMARY"]) for e in named}


def test_pseudonymised_calendar_shows_only_the_pseudonym(store: Store) -> None:
    text = export(store, pseudonym=lambda rid, kind: "X" + rid[-1], with_names=True)
    assert "Amelia" not in text and "A.F." not in text and "P-A" not in text
    assert "Mesotherapy session 4: XA" in {str(e["SUMMARY"]) for e in events(text)}


def test_horizon_limits_planned_sessions(store: Store) -> None:
    found = planned(export(store, horizon_months=1))
    assert sorted(e.decoded("DTSTART") for e in found) == [
        date(2026, 1, 3), date(2026, 1, 20), date(2026, 1, 20), date(2026, 2, 1)]


def test_next_session_is_confirmed_and_later_ones_tentative(store: Store) -> None:
    by_uid = {str(e["UID"]): e for e in events(export(store))}
    assert str(by_uid["P-A-session-4@clinic.example"]["STATUS"]) == "CONFIRMED"
    assert "overdue" in str(by_uid["P-A-session-4@clinic.example"]["DESCRIPTION"])
    assert str(by_uid["P-A-session-5@clinic.example"]["STATUS"]) == "TENTATIVE"


def test_lines_end_in_crlf_and_fold_at_75_octets_and_text_is_escaped() -> None:
    name = "Zoë Ångström-Núñez; de la Peña, \\ Sørensen-Østergård Björklund-Ødegaard"
    patient = Patient("P-1", name, sex=Sex.FEMALE, date_of_birth=date(1990, 1, 1),
                      planned_start=date(2026, 2, 2))
    store = Store.in_memory()
    text = ics.calendar([whole_course(patient, [])], today=TODAY, protocol_for=store.protocol_for,
                        outlook_for=lambda p: store.outlook(p, TODAY), with_names=True,
                        horizon_months=0)
    raw = text.encode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines) and any(line.startswith(b" ") for line in lines)
    for line in lines:
        line.decode("utf-8")  # each physical line is whole UTF-8: no character was split
    assert [str(e["SUMMARY"]) for e in events(text)] == [
        f"Mesotherapy session 1: {name} (P-1)"]


def test_sessions_no_longer_planned_are_sent_cancelled(store: Store) -> None:
    """A given session's event (same UID as when it was due) comes back cancelled, and so do a
    paused or stopped course's; a re-import then updates them instead of leaving them due."""
    found = {str(e["UID"]): e for e in events(export(store))}
    given = found["P-A-session-3@clinic.example"]  # given 2025-11-03, within the horizon
    assert str(given["STATUS"]) == "CANCELLED"
    assert str(given["SUMMARY"]).endswith("(no longer due)")
    assert "P-A-session-1@clinic.example" not in found  # given 2025-07-01, before the horizon
    paused = [e for uid, e in found.items() if uid.startswith("P-F-")]
    assert paused and {str(e["STATUS"]) for e in paused} == {"CANCELLED"}


def test_sequence_and_last_modified_follow_the_record_and_dtstamp_the_export() -> None:
    """Two exports with nothing changed carry the same SEQUENCE; a change raises it."""
    store = fill(Store.in_memory(clock=FixedClock()))
    stamp = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)

    def sequences(day: date) -> dict[str, int]:
        text = ics.calendar(records(store), today=day, protocol_for=store.protocol_for,
                            outlook_for=lambda p: store.outlook(p, day), stamp=stamp,
                            changed_for=lambda p: last_change(store, p))
        assert f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}" in text
        return {str(e["UID"]): int(e["SEQUENCE"]) for e in events(text)}

    before = sequences(TODAY)
    assert before == sequences(TODAY)
    store.log_session(make_session("P-B", TODAY), TODAY)
    after = sequences(TODAY)
    assert after["P-B-session-3@clinic.example"] > before["P-B-session-3@clinic.example"]
    assert after["P-C-session-1@clinic.example"] == before["P-C-session-1@clinic.example"]
    overdue = "P-A-session-5@clinic.example"  # planned from today: moves as days pass
    assert sequences(date(2026, 1, 16))[overdue] > after[overdue]


def test_initials_are_letters_only() -> None:
    assert initials("Mary Ånne Østergård-Wang J. N. « 😀 日本") == "M.Å.Ø.J.N.日."
    assert initials("12 «»") == "?"
