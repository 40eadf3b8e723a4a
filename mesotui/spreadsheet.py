"""Bringing a clinic in from a spreadsheet: patients, and their past sessions, from CSV files.

Columns are found by a forgiving mapping of header spellings (`HEADERS`); dates may be written
in the common ways, with the order of day and month given once for the whole file. Every row is
checked before anything is written, and the import adds all of it or none of it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mesotui import history, validation
from mesotui.errors import MesoError
from mesotui.models import Anaesthesia, Patient, Session, new_id
from mesotui.vocab import AnaesthesiaType, Sex

HEADERS: dict[str, tuple[str, ...]] = {
    "patient_ref": ("patientid", "patientnumber", "patientno", "id", "mrn", "recordnumber",
                    "fileno", "filenumber", "clientid", "chartnumber"),
    "name": ("name", "fullname", "patientname", "patient", "client", "clientname"),
    "first_name": ("firstname", "givenname", "forename", "first", "vorname", "prenom"),
    "last_name": ("lastname", "surname", "familyname", "last", "nachname", "nom"),
    "sex": ("sex", "gender", "geschlecht"),
    "date_of_birth": ("dob", "dateofbirth", "birthdate", "birthday", "born", "geburtsdatum",
                      "datedenaissance"),
    "phone": ("phone", "telephone", "tel", "mobile", "cell", "phonenumber", "mobilephone"),
    "email": ("email", "emailaddress", "mail"),
    "notes": ("notes", "note", "comments", "comment", "remarks"),
    "planned_start": ("plannedstart", "startdate", "firstsessionplanned"),
    "session_date": ("sessiondate", "treatmentdate", "visitdate", "dateoftreatment",
                     "dateofsession", "session", "treatment", "visit", "date"),
    "anaesthesia": ("anaesthesia", "anesthesia", "anaesthetic", "anesthetic"),
    "volume_ml": ("volumeml", "volume", "ml"),
    "concentration_pct": ("concentrationpct", "concentration", "strength"),
    "lot": ("lot", "lotnumber", "batch", "batchnumber", "lotno"),
    "lot_expiry": ("lotexpiry", "expiry", "expirydate", "expirationdate", "expires"),
    "practitioner": ("practitioner", "doctor", "clinician", "injector", "by"),
    "dose_notes": ("dosenotes", "sessionnotes", "treatmentnotes"),
}
"""Field -> the header spellings that mean it, compared without case, spaces or punctuation."""
_LOOKUP = {spelling: name for name, spellings in HEADERS.items() for spelling in spellings}
_SEX = {"f": Sex.FEMALE, "female": Sex.FEMALE, "w": Sex.FEMALE, "woman": Sex.FEMALE,
        "m": Sex.MALE, "male": Sex.MALE, "man": Sex.MALE,
        "x": Sex.OTHER, "other": Sex.OTHER, "d": Sex.OTHER, "diverse": Sex.OTHER}
_ANAESTHESIA = {"": AnaesthesiaType.NONE, "none": AnaesthesiaType.NONE, "no": AnaesthesiaType.NONE,
                "topical": AnaesthesiaType.TOPICAL, "cream": AnaesthesiaType.TOPICAL,
                "local": AnaesthesiaType.LOCAL, "ringblock": AnaesthesiaType.LOCAL,
                "injection": AnaesthesiaType.LOCAL}
_NUMERIC = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{2,4})")
_WORDY = ("%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%d %b %y")
ORDERS = ("day-first", "month-first")


class DateOrderNeeded(MesoError):
    """Dates such as 03/04/1988 appear and the file does not say which part is the day."""


@dataclass
class Row:
    """One problem of one row, for the dry run."""

    file: str
    number: int
    problem: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.number}: {self.problem}"


@dataclass
class Plan:
    """What importing would do: patients and sessions to add, rows already held, rows refused."""

    patients: list[Patient] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    problems: list[Row] = field(default_factory=list)

    def describe(self, verb: str) -> str:
        """What it adds, in words: "Would add 1 patient and 2 sessions; 0 rows already held"."""
        return (f"{verb} {validation.plural(len(self.patients), 'patient', count=True)} and "
                f"{validation.plural(len(self.sessions), 'session', count=True)}; "
                f"{validation.plural(len(self.held), 'row', count=True)} already held")


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV file's mapped columns and rows (UTF-8 with or without a mark, else Windows-1252;
    separator `,`, `;` or tab, as the header shows)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    separator = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = next(reader, [])
    fields = [_LOOKUP.get(re.sub(r"[\W_]+", "", h.casefold()), "") for h in header]
    if not any(fields):
        raise MesoError(f"{Path(path).name}: no column is recognised (looked for "
                        "name, surname + first name, date of birth, sex, ...)")
    rows = [{f: cell.strip() for f, cell in zip(fields, cells, strict=False) if f}
            for cells in reader if any(c.strip() for c in cells)]
    return [f for f in fields if f], rows


def date_order(rows: Iterable[Mapping[str, str]]) -> str | None:
    """"day-first" or "month-first" when the dates show it, None when they cannot tell (every
    numeric date has both parts 12 or less), "" when there is nothing to tell."""
    firsts, seconds, any_numeric = False, False, False
    for row in rows:
        for key in ("date_of_birth", "session_date", "planned_start", "lot_expiry"):
            match = _NUMERIC.fullmatch(row.get(key, ""))
            if match and len(match.group(1)) <= 2:
                any_numeric = True
                firsts |= int(match.group(1)) > 12
                seconds |= int(match.group(2)) > 12
    if firsts and not seconds:
        return "day-first"
    if seconds and not firsts:
        return "month-first"
    return None if any_numeric else ""


def parse_day(text: str, order: str | None) -> date:
    """A date written in a common way: 1988-03-12, 12/03/1988 (order), 12.03.88, 12 Mar 1988."""
    match = _NUMERIC.fullmatch(text)
    if match:
        a, b, c = (int(g) for g in match.groups())
        if len(match.group(1)) == 4:
            return date(a, b, c)
        if order is None:
            raise DateOrderNeeded(text)
        year = c + (2000 if c < 50 else 1900) if len(match.group(3)) == 2 else c
        day, month = (a, b) if order == "day-first" else (b, a)
        return date(year, month, day)
    for pattern in _WORDY:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date")


def plan(patient_files: list[tuple[str, list[dict[str, str]]]], held: Iterable[Patient],
         today: date, order: str | None, now: datetime) -> Plan:
    """Check every row and build the records to add (nothing is written here).

    Args:
        patient_files: (file name, rows) of each file; a row may describe a patient, one of
            their sessions, or both. Patients are matched by their id column when there is
            one, else by name and date of birth.
        held: the patients already in the record; one with the same name and date of birth is
            left alone (a second run adds nothing).
        order: "day-first" or "month-first" for dates such as 03/04/1988.
        now: the time the new records' first revisions carry.
    """
    result = Plan()
    known = {(p.name.casefold(), p.date_of_birth): p.id for p in held}
    by_ref: dict[str, Patient] = {}
    by_person: dict[tuple[str, date], Patient] = {}
    for file_name, rows in patient_files:
        for number, row in enumerate(rows, start=2):  # row 1 is the header
            try:
                _take(row, file_name, number, result, by_ref, by_person, known, today, order,
                      now)
            except DateOrderNeeded:
                raise
            except (ValueError, MesoError) as error:
                result.problems.append(Row(file_name, number, str(error)))
    return result


def _take(row: dict[str, str], file_name: str, number: int, result: Plan,
          by_ref: dict[str, Patient], by_person: dict[tuple[str, date], Patient],
          known: dict[tuple[str, date], str], today: date, order: str | None,
          now: datetime) -> None:
    origin = f"imported from {file_name}, row {number}"
    name = row.get("name") or " ".join(p for p in (row.get("first_name"), row.get("last_name"))
                                       if p)
    ref = row.get("patient_ref", "")
    born = _day(row, "date_of_birth", order)
    patient = by_ref.get(ref) if ref else None
    if patient is None and name and born:
        patient = by_person.get((name.casefold(), born))
    if patient is None:
        if not name:
            raise ValueError("no name (columns name, or first name and surname)")
        if born is None:
            raise ValueError(f"{name}: no date of birth")
        if (name.casefold(), born) in known:
            result.held.append(f"{file_name}, row {number}: {name} is already held "
                               f"({known[(name.casefold(), born)]})")
            return
        sex = _SEX.get(row.get("sex", "").casefold())
        if sex is None:
            raise ValueError(f"sex {row.get('sex', '')!r} is not female, male or other")
        patient = Patient(new_id("P"), name, sex, born, phone=row.get("phone", ""),
                          email=row.get("email", ""), notes=row.get("notes", ""),
                          planned_start=_day(row, "planned_start", order))
        _check(validation.patient_problems(patient, today))
        patient = _created(patient, origin, now)
        result.patients.append(patient)
        by_person[(name.casefold(), born)] = patient
        if ref:
            by_ref[ref] = patient
    day = _day(row, "session_date", order)
    if day is None:
        return
    kind = _ANAESTHESIA.get(re.sub(r"\W+", "", row.get("anaesthesia", "").casefold()))
    if kind is None:
        raise ValueError(f"anaesthesia {row.get('anaesthesia')!r} is not none, topical or local")
    session = Session(new_id("S"), patient.id, day, Anaesthesia(kind),
                      concentration_pct=_number(row, "concentration_pct"),
                      volume_ml=_number(row, "volume_ml"), lot=row.get("lot", ""),
                      lot_expiry=_day(row, "lot_expiry", order),
                      expired_lot_confirmed=True,  # a past session, given as it was
                      practitioner=row.get("practitioner", ""),
                      dose_notes=row.get("dose_notes", ""))
    _check(validation.session_problems(session, patient, today))
    result.sessions.append(_created(session, origin, now))


def _created(record: Any, origin: str, now: datetime) -> Any:
    return replace(record, history=history.append((), "create", record.to_data(), at=now,
                                                   reason=origin))


def _day(row: Mapping[str, str], key: str, order: str | None) -> date | None:
    text = row.get(key, "")
    if not text:
        return None
    try:
        return parse_day(text, order)
    except DateOrderNeeded:
        raise
    except ValueError as error:
        raise ValueError(f"{key.replace('_', ' ')}: {error}") from None


def _number(row: Mapping[str, str], key: str) -> float | None:
    text = row.get(key, "").replace(",", ".").removesuffix("%").removesuffix("mL").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{key.replace('_', ' ')}: {row[key]!r} is not a number") from None


def _check(problems: dict[str, str]) -> None:
    if problems:
        key, problem = next(iter(problems.items()))
        raise ValueError(f"{key.replace('_', ' ')}: {problem}")
