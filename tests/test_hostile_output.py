"""Hostile text reaches no terminal: not from an import, not from a record file already poisoned.

The issue's import (OSC 52 clipboard write, clear-screen, fake text, an OSC 8 link and a carriage
return in a patient id, escapes in a revision's `by`) is refused with one plain line. A record
file that already holds such ids (imported before the fix) goes through every command and every
screen, and no byte below 0x20 but the output's own newlines, and no ESC, reaches stdout, stderr
or the screen.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mesotui import export, history
from mesotui.cli import main
from mesotui.evaluation import Consent, Evaluation
from mesotui.models import CourseEvent, Patient, Session
from mesotui.store import Store
from mesotui.vocab import CourseStatus, Decision, Sex
from tests.conftest import TODAY

EVIL = ("P-1\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J\x1b[HALL RECORDS SOUND"
        "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\\r\x9b31m\u202e")
AT = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def _revisions(data: dict, *, by: str = "", extra: tuple[tuple[str, str], ...] = ()):  # type: ignore[no-untyped-def]
    revisions = history.append((), "create", data, at=AT, by=by)
    for action, reason in extra:
        revisions = history.append(revisions, action, data, at=AT, by=by, reason=reason)
    return revisions


def poisoned(path: Path) -> Store:
    """A record file as the old import left it: hostile ids, `by`, reasons and names."""
    patient = Patient(EVIL, "Eve \u202eliam\u202c Ròss", Sex.FEMALE, date(1990, 1, 1),
                      phone="\u202e0077", consents=(Consent(date(2025, 1, 1), "v1", "Dr X"),),
                      course=(CourseEvent(CourseStatus.PAUSED, date(2025, 12, 1),
                                          "travel\nP-FAKE  Fake Row  99 sessions\n\x1b[2J"),))
    patient = replace(patient, history=_revisions(patient.to_data(), by="\x1b[31mDr\x1b[0m"))
    session = Session("S-1\x1b[2J\n", EVIL, date(2025, 11, 1), lot="LOT-\u202eX",
                      volume_ml=1.0, concentration_pct=0.01, no_side_effects=True,
                      dose_notes="routine;=1+1\nline two")
    session = replace(session, history=_revisions(session.to_data(), by="\x1b]52;c;eA==\x07",
                                                  extra=(("amend", "typo\x1b[2J"),)))
    evaluation = Evaluation("E-1\x07", EVIL, date(2025, 12, 1), Decision.CONTINUE,
                            notes="fine\n\x1b[2Jnot fine")
    evaluation = replace(evaluation, history=_revisions(evaluation.to_data()))
    store = Store.open(path, clock=lambda: AT)
    store.bulk_load([patient], [session], evaluations=[evaluation])
    return store


def assert_clean(data: bytes, where: str, *, strict: bool = True) -> None:
    """No byte below 0x20 but line endings, no ESC; `strict`: no C1 or bidi control either
    (an export into a pipe is data, and keeps those as the record holds them)."""
    stray = sorted({b for b in data if b < 0x20 and b not in (0x0a, 0x0d)})
    assert b"\x1b" not in data and not stray, (where, stray, data[:300])
    assert b"\r" not in data.replace(b"\r\n", b""), where  # only as part of a line ending
    for bad in ("\x9b", "\u202e", "\u202c") if strict else ():
        assert bad.encode() not in data, (where, bad)


def run(args: list[str], db: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "mesotui", "--db", str(db), "--today",
                           TODAY.isoformat(), *args], capture_output=True, timeout=120,
                          env={**os.environ, "COLUMNS": "120"})


def test_the_issues_hostile_import_is_refused_with_one_clean_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = poisoned(tmp_path / "source.json")
    document = export.build(source, TODAY)
    source.close()
    hostile = tmp_path / "hostile.json"
    hostile.write_bytes(export.to_json(document))
    db = tmp_path / "clinic.json"
    assert main(["add-patient", "--db", str(db), "--today", TODAY.isoformat(), "--name", "Ann",
                 "--sex", "female", "--dob", "1980-01-01"]) == 0
    before = db.read_bytes()
    capsys.readouterr()
    done = run(["import", str(hostile)], db)
    assert done.returncode == 1 and db.read_bytes() == before
    assert done.stderr.count(b"\n") == 1 and b"patients[0].id: is not a patient id" in done.stderr
    assert_clean(done.stdout + done.stderr, "import")
    # The same file with a safe id still carries escapes in a revision's `by`: refused too.
    document = json.loads(hostile.read_text(encoding="utf-8"))
    document["patients"][0]["id"] = "P-00009"
    document["patients"][0]["sessions"] = []
    document["patients"][0]["evaluations"] = []
    hostile.write_text(json.dumps(document), encoding="utf-8")
    done = run(["import", str(hostile)], db)
    assert done.returncode == 1 and b"history" in done.stderr
    assert_clean(done.stderr, "import by")


COMMANDS = [
    ["due", "--within", "400"], ["due", "--within", "400", "--json"], ["lot", "LOT-\u202eX"],
    ["lot", "lot-\u202ex", "--json"], ["report", "side-effects"], ["report", "due-calendar"],
    ["report", "lot", "LOT-\u202eX"], ["report", "outcomes"], ["report", "outcomes", "--json"],
    ["check"], ["where"], ["restore"], ["clinic-url"], ["void", "S-1", "--reason", "x"],
    ["course", EVIL, "resume", "--reason", "back"], ["consent", "\x1b[2JP-X"],
    ["export", "-o", "{tmp}/out.json"], ["export", "--format", "fhir", "-o", "{tmp}/f.json"],
    ["export", "--format", "csv", "-o", "{tmp}/s.csv"], ["export", "--format", "ics", "-o",
                                                          "{tmp}/c.ics"],
    ["export", "--format", "jsonl", "-o", "{tmp}/l.jsonl"], ["export", "--format", "json"],
    ["export", "--format", "fhir"], ["export", "--format", "jsonl"],
    ["export", "--format", "csv"], ["export", "--format", "ics"],
    ["import-csv", "{tmp}/evil.csv", "--dry-run"], ["due", "--within", "\x1b[2J"],
]


def test_every_command_on_a_poisoned_record_file_prints_nothing_raw(tmp_path: Path) -> None:
    db = tmp_path / "clinic.json"
    poisoned(db).close()
    (tmp_path / "evil.csv").write_text("Name,DOB,Sex\nA\x1b[2JB,1980-01-01,\x1b]52;c;eA==\x07\n",
                                       encoding="utf-8")
    for args in COMMANDS:
        args = [a.replace("{tmp}", str(tmp_path)) for a in args]
        done = run(args, db)
        assert b"Traceback" not in done.stderr, (args, done.stderr)
        data = args[0] == "export" and "-o" not in args
        assert_clean(done.stdout, " ".join(args), strict=not data)
        assert_clean(done.stderr, " ".join(args))
    report = run(["report", "outcomes"], db).stdout.decode()
    assert "P-FAKE" not in report.split("\n") and "Fake Row" in report  # one line, escaped


def test_an_export_shown_on_a_terminal_is_made_safe(tmp_path: Path) -> None:
    """To a file or pipe an export is data, exact; on a terminal it is text to read."""
    db = tmp_path / "clinic.json"
    poisoned(db).close()
    for fmt in ("csv", "ics", "json"):
        parent, child = pty.openpty()
        done = subprocess.run([sys.executable, "-m", "mesotui", "--db", str(db), "--today",
                               TODAY.isoformat(), "export", "--format", fmt], stdout=child,
                              stderr=subprocess.PIPE, timeout=120)
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(parent, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(parent)
        assert done.returncode == 0, done.stderr
        assert_clean(b"".join(chunks), f"export {fmt} on a terminal")


async def test_every_screen_on_a_poisoned_record_file_draws_nothing_raw(tmp_path: Path) -> None:
    from mesotui.tui.app import MesoApp

    store = poisoned(tmp_path / "clinic.json")
    app = MesoApp(store=store, today=TODAY)

    def screen_text() -> str:
        strips = app.screen._compositor.render_strips()
        return "".join(segment.text for strip in strips for segment in strip)

    seen = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()

        async def look(label: str) -> str:
            await pilot.pause()
            text = screen_text()
            seen.append(label)
            assert_clean(text.encode(), label)
            return text

        await look("patient list")
        await pilot.press("enter")
        record = await look("record")
        assert "\\u001b" in record and "\\u202e" in record  # drawn, visibly escaped
        await pilot.press("tab")
        await pilot.press("enter")
        await look("session or evaluation detail")
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("r")
        await look("reports")
        for _ in range(3):
            await pilot.press("right")
            await look("reports tab")
        await pilot.press("escape")
        await pilot.press("e")
        await look("export dialog")
        await pilot.press("escape")
        await pilot.press("question_mark")
        await look("help")
    assert len(seen) == 9
    store.close()
