"""Two successive calendar exports imported into real clients leave exactly the planned sessions.

khal honours UIDs: the second import updates each event in place, and a session no longer due
arrives cancelled. calcurse keeps no UIDs, so the README's recipe for it drops mesotui's events
before importing the new file and the cancelled ones after; this test runs that recipe.
Both clients come from Debian (`.ci/run` installs them); each test skips, saying so, without.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import pytest

from mesotui import export
from mesotui.commands.context import Context, demo_store
from mesotui.interop import formats, ics
from mesotui.store import Store
from mesotui.vocab import CourseStatus
from tests.conftest import TODAY

LATER = date(2026, 1, 29)


def _clock(day: date):  # type: ignore[no-untyped-def]
    return lambda: datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


def two_exports(tmp_path: Path) -> tuple[Path, Path, set[tuple[str, date]]]:
    """Export, then log the overdue session of P-00001 and pause P-00013, export again.

    Returns both files and the (title, day) of every session the second one plans.
    """
    context = Context(tmp_path / "clinic.json", TODAY)
    store = demo_store(context.db_path, context)
    first = tmp_path / "one.ics"
    first.write_bytes(b"".join(formats.write("ics", store, TODAY, export.ExportRequest())))
    store.close()
    store = Store.open(context.db_path, clock=_clock(LATER))
    logged = replace(store.sessions_for("P-00001")[-1], id="", date=LATER, side_effects=(),
                     history=(), no_side_effects=True)
    store.log_session(logged, LATER)
    store.set_course_status("P-00013", CourseStatus.PAUSED, LATER, reason="travelling",
                            today=LATER)
    second = tmp_path / "two.ics"
    second.write_bytes(b"".join(formats.write("ics", store, LATER, export.ExportRequest())))
    store.close()
    planned = {(str(e["SUMMARY"]), e.decoded("DTSTART"))
               for e in icalendar.Calendar.from_ical(second.read_bytes()).walk("VEVENT")
               if str(e["STATUS"]) != "CANCELLED"}
    assert any("P-00001" in title for title, _ in planned)
    assert not any("P-00013" in title for title, _ in planned)
    return first, second, planned


@pytest.mark.skipif(shutil.which("khal") is None,
                    reason="khal is not installed (Debian package khal; .ci/run installs it)")
def test_khal_after_two_imports_shows_exactly_the_planned_sessions(tmp_path: Path) -> None:
    first, second, planned = two_exports(tmp_path)
    config = tmp_path / "khal.conf"
    (tmp_path / "calendar").mkdir()
    config.write_text(
        "[calendars]\n[[clinic]]\npath = {cal}\n[locale]\ntimeformat = %H:%M\n"
        "dateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        "[sqlite]\npath = {db}\n".format(cal=tmp_path / "calendar", db=tmp_path / "khal.db"),
        encoding="utf-8")

    def khal(*args: str) -> str:
        done = subprocess.run(["khal", "-c", str(config), *args], capture_output=True,
                              text=True, timeout=120, env={"HOME": str(tmp_path),
                                                           "PATH": "/usr/bin:/bin",
                                                           "LANG": "C.UTF-8"})
        assert done.returncode == 0, done.stderr
        return done.stdout

    khal("import", "--batch", str(first))
    khal("import", "--batch", str(second))
    listed = khal("list", "--day-format", "", "--format", "{start-date}\t{status}\t{title}",
                  "2025-01-01", "2027-12-31")
    rows = [line.split("\t") for line in listed.splitlines() if line.strip()]
    live = {(title, date.fromisoformat(day)) for day, status, title in rows
            if status.strip() != "CANCELLED"}
    assert live == planned
    cancelled = {title for _, status, title in rows if status.strip() == "CANCELLED"}
    assert any(title.startswith("Mesotherapy session 5: S.B. (P-00001)") for title in cancelled)


@pytest.mark.skipif(shutil.which("calcurse") is None,
                    reason="calcurse is not installed (Debian package calcurse; .ci/run "
                           "installs it)")
def test_calcurse_after_two_imports_with_the_readme_recipe_shows_the_planned_sessions(
        tmp_path: Path) -> None:
    first, second, planned = two_exports(tmp_path)
    folder = tmp_path / "calcurse"
    folder.mkdir()

    def calcurse(*args: str) -> str:
        done = subprocess.run(["calcurse", "-D", str(folder), *args], capture_output=True,
                              text=True, timeout=120, env={"HOME": str(tmp_path),
                                                           "PATH": "/usr/bin:/bin",
                                                           "LANG": "C.UTF-8"})
        assert done.returncode == 0, done.stderr
        return done.stdout

    calcurse("-q", "-i", str(first))
    # The README's recipe: drop mesotui's events, import the new file, drop its cancelled ones.
    calcurse("-P", "--filter-pattern", "^Mesotherapy session ")
    calcurse("-q", "-i", str(second))
    calcurse("-P", "--filter-pattern", re.escape(f"({ics.NO_LONGER_DUE})") + "$")
    listed = calcurse("-Q", "--input-datefmt", "4", "--output-datefmt", "%Y-%m-%d",
                      "--from", "2025-01-01", "--to", "2027-12-31",
                      "--format-event", "EVENT %m\n")
    found, day = set(), None
    for line in listed.splitlines():
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}:", line):
            day = date.fromisoformat(line[:-1])
        elif line.startswith("EVENT "):
            found.add((line[6:], day))
    assert found == planned
