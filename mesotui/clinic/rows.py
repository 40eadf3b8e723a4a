"""How the clinic's records sit in the engine: its tables, and the row the start-up index keeps
for each patient and session (the list's card and standing; a session's schedule summary).

The rows are derived by the clinic's rules, so they carry those rules' tag: a digest of the
source of the modules that compute them and of the clinic's settings (its default protocol).
An index whose rows another version of the rules made is not used: a changed schedule rule
can never show a stale next-due date, whatever the package's version says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from mesotui import __version__, history
from mesotui.engine.layout import Layout
from mesotui.models import Card
from mesotui.schedule import Standing
from mesotui.vocab import CourseStatus, DueStatus, Sex

RULES = ("models.py", "schedule.py", "evaluation.py", "vocab.py", "settings.py", "parse.py",
         "clinic/rows.py")
"""The modules whose code makes the rows: a change to any of them makes new rows."""


@cache
def _rules_digest() -> str:
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for name in RULES:
        try:
            digest.update((package / name).read_bytes())
        except OSError:  # installed without its source: the version must do
            digest.update(f"{name}@{__version__}".encode())
    return digest.hexdigest()[:32]


def rules_tag(tables: Mapping[str, Any]) -> str:
    """The tag of the rows made from a checkpoint with these small tables: the rules' code
    and the clinic's settings as that checkpoint holds them."""
    settings = tables.get("settings", {}).get("1")
    try:
        revision = str(settings["history"][-1]["hash"])[:32] if settings else ""
    except (KeyError, IndexError, TypeError):
        revision = "?"
    return f"{_rules_digest()}:{revision}"


def read_row(table: str, row: list[Any]) -> tuple[str, Card, Standing | None, tuple[int, int]]:
    """A patient's row of the start-up index: [patient id, card, standing, [first, count]],
    the last saying which of the index's session rows are theirs (they are kept together),
    so opening one patient reads only those.

    `Card.from_data` and `Standing.from_data`, written out: a group's 20,000 rows are read
    before its list shows, and the calls and lookups were most of the time that took.
    Raises KeyError, TypeError or ValueError when the row does not read (a damaged index).
    """
    patient_id, (name, sex, born, archived, status), standing, (first, count) = row
    if not isinstance(name, str) or not isinstance(first, int) or not isinstance(count, int):
        raise TypeError("not a patient's row")
    card = _new(Card, (patient_id, name, _SEX[sex], _day(born), archived is True,
                       _COURSE[status]))
    if standing is None:
        return patient_id, card, None, (first, count)
    given, last, due, held, evaluation, avoid = standing
    if not isinstance(given, int) or not isinstance(evaluation, bool):
        raise ValueError("not a standing")
    return patient_id, card, _new(Standing, (
        given, None if last is None else _day(last), None if due is None else _day(due),
        _HELD[held] if held else None, evaluation, None if avoid is None else _day(avoid))), \
        (first, count)


_new = tuple.__new__
_day = date.fromisoformat
_SEX = {member.value: member for member in Sex}
_COURSE = {member.value: member for member in CourseStatus}
_HELD = {member.value: member for member in DueStatus}


LAYOUT = Layout(
    tables=("meta", "settings", "patients", "sessions", "evaluations"),
    lazy=("patients", "sessions"), chunked="sessions",
    records={"patients": "p", "sessions": "s", "evaluations": "e", "settings": "c"},
    owner="patient_id", tag=rules_tag, read_row=read_row, intact=history.chain_intact)
"""The clinic's record file, as the engine is told of it."""


class Summary(NamedTuple):
    """What the schedule and the lot searches need of a session, without parsing it.

    A named tuple: a large clinic builds hundreds of thousands of them.
    """

    id: str
    date: date
    voided: bool
    lot: str
    lot_expiry: str | None

    def to_row(self, doc_id: str, patient_id: str) -> list[Any]:
        return [doc_id, self.id, patient_id, self.date.isoformat(), self.voided, self.lot,
                self.lot_expiry]


def summary(doc: dict[str, Any]) -> Summary:
    """A session document's summary (its latest revision)."""
    last = doc["history"][-1]
    data = last["data"]
    return Summary(doc["id"], date.fromisoformat(data["date"]), last["action"] == "void",
                   str(data.get("lot") or ""), data.get("lot_expiry"))
