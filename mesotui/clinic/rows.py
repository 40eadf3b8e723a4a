"""How the clinic's records sit in the engine: its tables, and the row the start-up index keeps
for each patient and session (the list's card and standing; a session's schedule summary).

The rows are derived by the clinic's rules, so they carry those rules' tag: a digest of the
source of the modules that compute them and of the clinic's settings (its default protocol).
An index whose rows another version of the rules made is not used: a changed schedule rule
can never show a stale next-due date, whatever the package's version says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mesotui import __version__, history
from mesotui.clinic.listed import listed_head, read_head
from mesotui.engine.checkpoint import no_gc
from mesotui.engine.layout import Layout
from mesotui.models import Card
from mesotui.schedule import RANK, Standing
from mesotui.vocab import CourseStatus, DueStatus, Sex

if TYPE_CHECKING:
    from mesotui.clinic.records import Records

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


def read_row(table: str, row: list[Any]) -> list[Any]:
    """A patient's row of the start-up index, kept as it was read: [patient id, card,
    standing, [first, count], *entry, number], the span saying which of the index's session
    rows are theirs (they are kept together), so opening one patient reads only those, the
    entry that places them in the patient list (`entry`), and their number, the order they
    were read in (the rows themselves are in the list's order, `in_list_order`).

    Checked here as `Card.from_data` and `Standing.from_data` would (a row that does not read
    is the index's damage, told before anything of it is used), but not built: a group's
    20,000 rows are read before its list shows, and building a `Card` and a `Standing` for
    each was most of the time that took. They are built when first asked for (`card_of`,
    `standing_of`), each date read once for all the rows that name it.
    Raises KeyError, TypeError or ValueError when the row does not read (a damaged index).
    """
    _patient_id, (name, sex, born, _archived, status), standing, (first, count), code, key, \
        number = row
    str_, int_ = str, int  # `type(...) is`: no call per check, 20,000 rows
    if type(name) is not str_ or type(first) is not int_ or type(count) is not int_ \
            or type(code) is not int_ or not 0 <= code < 16 or type(key) is not str_ \
            or type(number) is not int_:
        raise TypeError("not a patient's row")
    days = _DAYS
    if sex not in _SEX or status not in _COURSE or born is None or (
            born not in days and not _read(born)):
        raise ValueError("not a card")
    if standing is not None:
        given, last, due, held, evaluation, avoid = standing
        if type(given) is not int_ or type(evaluation) is not bool or (
                held and held not in _HELD) or last not in days and not _read(last) or \
                due not in days and not _read(due) or avoid not in days and not _read(avoid):
            raise ValueError("not a standing")
    return row


def card_of(patient_id: str, data: list[Any]) -> Card:
    """The card of a patient's row (its `Card.to_data`): `Card.from_data`, written out."""
    name, sex, born, archived, status = data
    if not isinstance(name, str):
        raise ValueError("not a card")
    return _new(Card, (patient_id, name, _SEX[sex], _day(born), archived is True,
                       _COURSE[status]))


def standing_of(data: list[Any]) -> Standing:
    """The standing of a patient's row (its `Standing.to_data`): `Standing.from_data`,
    written out."""
    given, last, due, held, evaluation, avoid = data
    if not isinstance(given, int) or not isinstance(evaluation, bool):
        raise ValueError("not a standing")
    return _new(Standing, (given, _day(last), _day(due), _HELD[held] if held else None,
                           evaluation, _day(avoid)))


def _read(text: Any) -> bool:
    """Read an ISO date into `_DAYS` (True), or raise ValueError/TypeError."""
    _DAYS[text] = date.fromisoformat(text)
    return True


def _day(text: Any) -> date | None:
    day = _DAYS.get(text)
    return day if day is not None or text is None else _DAYS.setdefault(
        text, date.fromisoformat(text))


_DAYS: dict[Any, date | None] = {None: None}
"""Each date the index's rows name, read once (a clinic names a few thousand days: each
patient's birth, the days of their sessions, those due)."""
STARTED, UNSTARTED, UNDATED, HELD = range(4)
"""The groups, by code: active courses with a next due date and a session given; with a
planned start and no session yet; with neither; paused or stopped courses."""
ARCHIVED, ACTIVE = 4, 8
"""Bits of a code besides its group: archived patient; active course (the card's status)."""
GONE = -1
"""The code of a number whose patient is no longer there (a failed save's new patient)."""
LATEST = "~"
"""Sorts after every ISO date: a course without a next due date (`date.max` in `urgency`)."""


def entry(card: list[Any], standing: list[Any]) -> tuple[int, str]:
    """A patient's place in the patient list whatever the day (mesotui/clinic/listing.py),
    from their card's and standing's data (`to_data`): a code (their group, archived,
    active) and a key that sorts them within the group, beginning with their next due date
    (an ISO string, sorted as the date is), then their case-folded name."""
    name, _sex, _born, archived, status = card
    _given, last, due, held, _evaluation, _avoid = standing
    folded = name.casefold()
    code = (ARCHIVED if archived is True else 0) + (ACTIVE if status == "active" else 0)
    if held:  # by status, then date, then name (the rank is one digit)
        return code + HELD, f"{_RANK.get(held, len(_RANK))}{due or LATEST}\0{folded}"
    if due is None:
        return code + UNDATED, folded
    return code + (UNSTARTED if last is None else STARTED), f"{due}\0{folded}"


def index_rows(records: Records, standing: Callable[[str], Standing]
               ) -> dict[str, list[list[Any]]]:
    """The start-up index's rows (`Layout` rows): each patient's card and standing, in the
    list's order (`in_list_order`), and each session's summary, a patient's together.
    `standing(patient_id)` gives a standing (computed if need be)."""
    summaries = records.summaries()
    records.indexed.fetch(None)  # every patient's row of the old index, its card and standing
    ids = records.engine.image.ids
    patients, sessions = ids.get("patients", {}), ids.get("sessions", {})
    rows: dict[str, list[list[Any]]] = {"patients": [], "sessions": []}
    with no_gc():
        for pid in records.cards:  # each patient's sessions kept together
            held = summaries.get(pid, {})
            card, kept = records.cards.data(pid), standing(pid).to_data()
            rows["patients"].append([patients[pid], pid, card, kept,
                                     [len(rows["sessions"]), len(held)], *entry(card, kept)])
            rows["sessions"].extend(found.to_row(sessions[found.id], pid)
                                    for found in held.values())
        for pid in summaries.keys() - records.cards.keys():  # never a patient's: kept as is
            rows["sessions"].extend(found.to_row(sessions[found.id], pid)
                                    for found in summaries[pid].values())
        rows["patients"] = in_list_order(rows["patients"])
    return rows


def in_list_order(patients: list[list[Any]]) -> list[list[Any]]:
    """The patients' rows (each ending with their `entry`), each with their number (the order
    given) added, in the order of the list's groups (by group, key, then number): the index
    keeps them so, so the rows of the patients the list shows first are read together."""
    for number, row in enumerate(patients):
        row.append(number)
    return sorted(patients, key=lambda row: (row[-3] & 7, row[-2], row[-1]))


_new = tuple.__new__
_SEX = {member.value: member for member in Sex}
_COURSE = {member.value: member for member in CourseStatus}
_HELD = {member.value: member for member in DueStatus}
_RANK = {status.value: rank for status, rank in RANK.items()}


LAYOUT = Layout(
    tables=("meta", "settings", "patients", "sessions", "evaluations"),
    lazy=("patients", "sessions"), chunked="sessions",
    records={"patients": "p", "sessions": "s", "evaluations": "e", "settings": "c"},
    owner="patient_id", tag=rules_tag, read_row=read_row, intact=history.chain_intact,
    head=listed_head, read_head=read_head)
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
