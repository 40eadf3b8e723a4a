"""The clinic's records as the engine holds them: parsed when first asked for, indexed in memory.

The patient list needs only each patient's card, which the start-up index keeps; whole
records are parsed from the engine's documents when first needed, and each session is
summarised (date, voided, lot) for the schedule and the lot searches, from the index's rows
a thousand at a time between keystrokes (`prepare`), or at once when something needs them.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import date
from typing import Any

from mesotui import history
from mesotui.clinic.cards import Cards
from mesotui.clinic.listed import Indexed, Listed
from mesotui.clinic.rows import Summary, summary
from mesotui.engine import Engine
from mesotui.engine.checkpoint import no_gc
from mesotui.errors import CorruptRecordFile, NotFound, ValidationError
from mesotui.evaluation import Evaluation
from mesotui.models import Card, Patient, Session
from mesotui.settings import Settings

Record = Patient | Session | Evaluation
UNREADABLE = (ValidationError, KeyError, TypeError, ValueError, IndexError)


class Records:
    """Patients, sessions, evaluations and settings, read from one engine and kept indexed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.settings = Settings()
        self.patients: dict[str, Patient] = {}
        """Patients parsed so far; `cards` has every patient."""
        self.indexed = Indexed(self._reread)
        """The patients the start-up index lists (the first of `cards`, in the order read),
        the list's entries for each, and their rows as they are read."""
        self.cards = Cards(self.indexed.fetch)
        """Every patient's card (made from the start-up index's row when first asked for)."""
        self.sessions: dict[str, Session] = {}
        self.evaluations: dict[str, Evaluation] = {}
        self.evaluations_of: dict[str, list[str]] = {}
        self.changed_owners: set[str] = set()
        """Patients with a record changed since the checkpoint or saved since (the index's
        rows of them are old)."""
        self._summaries: dict[str, dict[str, Summary]] = {}
        self._owner: dict[str, str] = {}
        self._spans: dict[str, tuple[int, int]] = {}  # new patients' rows there: none, (0, 0)
        self._fresh: dict[str, list[Any]] = {}
        """Each patient's session documents saved since the index, not summarised yet."""
        self._same: dict[Any, Any] = {}
        self._days: dict[str, date] = {}
        self._known = False
        self.on_reload: Callable[[], None] = lambda: None
        """Told when the records were read again whole (what was derived from them goes)."""

    @property
    def known(self) -> bool:
        """Every session is summarised (`prepare` has finished, or something needed them)."""
        return self._known

    @property
    def where(self) -> str:
        return str(self.engine.path or "record")

    def corrupt(self, error: BaseException) -> CorruptRecordFile:
        return CorruptRecordFile(self.where, f"holds an unreadable record: {error}")

    # -- loading --------------------------------------------------------------------------

    def release(self) -> None:
        """Let go of every record held (the store was closed; see `Image.release`)."""
        for held in (self.patients, self.cards, self.sessions, self.evaluations,
                     self.evaluations_of, self._summaries, self._owner,
                     self._spans, self._fresh, self._same, self._days):
            held.clear()
        self.changed_owners.clear()
        self.indexed.release()
        self._known = False

    def load(self) -> None:
        """Index what the engine holds; a patient or evaluation that does not parse is
        corruption. Without a start-up index every session is summarised here too."""
        self.release()
        image = self.engine.image
        try:
            self.indexed.load(image.catalogue)
        except ValueError:  # the index's damage, not the record's: read the file whole
            self.engine.reread("it is damaged")
            image = self.engine.image
        try:
            with no_gc():
                self._index(image)
            # The record's objects live as long as the store: keep them out of the garbage
            # collector's sight, or every later collection rescans millions of them.
            gc.freeze()
        except UNREADABLE as error:
            raise self.corrupt(error) from None

    def _index(self, image: Any) -> None:
        settings = image.tables.get("settings", {}).get("1")
        self.settings = Settings.from_data(settings["history"][-1]["data"]) if settings \
            else Settings()
        catalogue = image.catalogue
        if catalogue is not None:
            self.cards.expect(self.indexed.numbers)  # their rows read when asked for
            catalogue.on_rows = self._rows_read
        for doc in self._docs("patients"):  # changed since the index, or all
            patient = parse(Patient, doc)
            self.patients[patient.id] = patient
            self.cards[patient.id] = Card.of(patient)
            self.changed_owners.add(patient.id)
            self._spans[patient.id] = (0, 0)  # if new since the index: no rows there
        for doc in image.tables.get("sessions", {}).values():
            self.changed_owners.add(doc["patient_id"])
            self._fresh.setdefault(doc["patient_id"], []).append(doc)
        for doc_id, doc in image.tables.get("evaluations", {}).items():
            evaluation = parse(Evaluation, doc)
            if evaluation.patient_id not in self.cards:
                raise ValidationError({"patient_id": f"{evaluation.patient_id} is not a patient"},
                                      evaluation.id)
            self.evaluations[evaluation.id] = evaluation
            self.evaluations_of.setdefault(evaluation.patient_id, []).append(evaluation.id)
            if ("evaluations", doc_id) in image.changed:
                self.changed_owners.add(evaluation.patient_id)
        if catalogue is None:
            self._finish_sessions()  # the documents are parsed already: check them now

    @property
    def listed(self) -> Listed:
        """The patients the start-up index lists, with the list's entries (`Listing`)."""
        return self.indexed.listed

    def _rows_read(self, table: str, rows: list[list[Any]]) -> None:
        """A line of the index's rows, read: of patients (`rows.read_row`) or of sessions."""
        if table == "sessions":
            self._session_rows(rows)
        elif table == "patients":
            self.indexed.took(rows)
            self.cards.take(rows)

    def _reread(self) -> None:
        """A line of the index's rows does not parse: the index's damage, not the record's,
        so the record file is read whole, and everything made from it anew."""
        self.engine.reread("it is damaged")
        self.load()
        self.on_reload()

    def _session_rows(self, rows: list[list[Any]]) -> None:
        """A line of the index's session rows: [session id, patient, date, voided, lot,
        expiry]. Frozen as they are built: a collection never rescans them."""
        summaries, owner, same, days = self._summaries, self._owner, self._same, self._days
        with no_gc(freeze=True):
            for session_id, patient_id, day, voided, lot, expiry in rows:
                # Patients, days and lots recur: one object each, not one per session (a
                # group's 200,000 sessions would hold a million more, each freed on close).
                patient_id, lot, expiry = same.setdefault(patient_id, patient_id), \
                    same.setdefault(lot, lot), same.setdefault(expiry, expiry)
                if (when := days.get(day)) is None:
                    when = days[day] = date.fromisoformat(day)
                summaries.setdefault(patient_id, {})[session_id] = Summary(
                    session_id, when, voided, lot, expiry)
                owner[session_id] = patient_id

    def _docs(self, table: str) -> list[Any]:
        """The documents of `table` not described by the start-up index: those changed since
        it was written, or all of them when there is none."""
        image = self.engine.image
        if image.catalogue is not None:
            return list(image.tables.get(table, {}).values())
        return image.docs(table, image.doc_ids(table))

    def _finish_sessions(self) -> None:
        """The sessions changed since the checkpoint (or all of them, read whole)."""
        for doc in self._docs("sessions"):
            found, patient_id = summary(doc), doc["patient_id"]
            if patient_id not in self.cards:
                raise ValidationError({"patient_id": f"{patient_id} is not a patient"},
                                      found.id)
            self._summaries.setdefault(patient_id, {})[found.id] = found
            self._owner[found.id] = patient_id
        self._fresh.clear()
        self._known = True

    def prepare(self) -> Iterator[None]:
        """Summarise every session a thousand at a time (the index's lines), pausing between.

        The app runs this between keystrokes once its list shows, so the first record opened
        is as quick as the rest; anything that needs the sessions sooner finishes it at once.
        """
        with suppress(CorruptRecordFile):  # said when a record is opened, where it can be shown
            while not self._known:
                self._step()
                yield

    def _step(self) -> None:
        catalogue = self.engine.image.catalogue
        try:
            if catalogue is not None and catalogue.step():
                return
        except UNREADABLE:  # a line of the index's rows: the index's damage, not the record's
            self._reread()
            return
        try:
            self._finish_sessions()
        except UNREADABLE as error:
            raise self.corrupt(error) from None

    def summaries(self) -> dict[str, dict[str, Summary]]:
        """Every patient's sessions, summarised (finishing `prepare` first if need be)."""
        while not self._known:
            self._step()
        return self._summaries

    def sessions_of(self, patient_id: str) -> dict[str, Summary]:
        """One patient's sessions, summarised: before `prepare` has finished, only their
        own rows of the index are read (and their sessions saved since), not everyone's."""
        span = None if self._known else self._span(patient_id)
        if span is None:
            return self.summaries().setdefault(patient_id, {})
        catalogue = self.engine.image.catalogue
        try:
            if catalogue is not None:
                catalogue.read_rows("sessions", *span)
        except UNREADABLE:  # the index's damage, not the record's: read the file whole
            self._reread()
            return self.summaries().setdefault(patient_id, {})
        held = self._summaries.setdefault(patient_id, {})
        try:  # after their rows of the index, which they are newer than
            for doc in self._fresh.pop(patient_id, ()):
                found = summary(doc)
                held[found.id] = found
                self._owner[found.id] = patient_id
        except UNREADABLE as error:
            raise self.corrupt(error) from None
        return held

    def _span(self, patient_id: str) -> tuple[int, int] | None:
        """Which of the index's session rows are the patient's (first, count)."""
        row = self.indexed.row(patient_id)
        return self._spans.get(patient_id) if row is None else row[3]

    def stored_standing(self, patient_id: str) -> list[Any] | None:
        """The patient's standing as the start-up index kept it (`Standing.to_data`), if it
        kept one: whether it still holds is the standing cache's to say."""
        row = self.indexed.row(patient_id)
        return None if row is None else row[2]

    def session_owners(self) -> dict[str, str]:
        self.summaries()
        return self._owner

    # -- reading --------------------------------------------------------------------------

    def patient(self, patient_id: str) -> Patient:
        if patient_id not in self.patients:
            if patient_id not in self.cards:
                raise NotFound(f"no patient has the id {patient_id!r}")
            self.patients[patient_id] = self.read(Patient, "patients", patient_id)
        return self.patients[patient_id]

    def session(self, session_id: str) -> Session:
        if session_id not in self.sessions:
            if session_id not in self._owner and session_id not in self.session_owners():
                raise NotFound(f"no session has the id {session_id!r}")
            self.sessions[session_id] = self.read(Session, "sessions", session_id)
        return self.sessions[session_id]

    def evaluation(self, evaluation_id: str) -> Evaluation:
        try:
            return self.evaluations[evaluation_id]
        except KeyError:
            raise NotFound(f"no evaluation has the id {evaluation_id!r}") from None

    def doc_id(self, table: str, record_id: str) -> str | None:
        if table == "patients":
            self.indexed.row(record_id)  # the index's line that places their document, read
        return self.engine.image.ids.get(table, {}).get(record_id)

    def read(self, model: type[Patient] | type[Session], table: str, record_id: str) -> Any:
        """Parse one record from the engine; one that does not parse is corruption."""
        doc_id = self.doc_id(table, record_id)
        try:
            record = parse(model, self.engine.doc(table, doc_id or ""))
        except UNREADABLE as error:
            raise self.corrupt(error) from None
        if record.id != record_id:
            raise CorruptRecordFile(self.where, f"holds {record.id} where {record_id} was "
                                                "expected")
        return record

    # -- after a save ---------------------------------------------------------------------

    def saved(self, record: Record, *, keep: bool = True) -> None:
        """A save of `record` reached the disk: bring the index up to date.

        Args:
            keep: keep the parsed session too (not for the many of an import).
        """
        self.changed_owners.add(record.id if isinstance(record, Patient) else record.patient_id)
        if isinstance(record, Patient):
            self.patients[record.id] = record
            self.cards[record.id] = Card.of(record)
            self._spans.setdefault(record.id, (0, 0))  # a new patient has no rows in the index
            if self._known:
                self._summaries.setdefault(record.id, {})
            return
        if isinstance(record, Session):
            self.sessions_of(record.patient_id)[record.id] = Summary(
                record.id, record.date, record.voided, record.lot,
                record.lot_expiry.isoformat() if record.lot_expiry else None)
            self._owner[record.id] = record.patient_id
            if keep:
                self.sessions[record.id] = record
        else:
            if record.id not in self.evaluations:
                self.evaluations_of.setdefault(record.patient_id, []).append(record.id)
            self.evaluations[record.id] = record

    def forget(self, record: Record) -> None:
        """A new record indexed for a save that failed: as if it had never been."""
        if isinstance(record, Patient):
            self.patients.pop(record.id, None)
            self.cards.pop(record.id, None)
            self._summaries.pop(record.id, None)
            self._spans.pop(record.id, None)
        elif isinstance(record, Session):
            self._summaries.get(record.patient_id, {}).pop(record.id, None)
            self._owner.pop(record.id, None)
            self.sessions.pop(record.id, None)
        else:
            self.evaluations.pop(record.id, None)
            held = self.evaluations_of.get(record.patient_id, [])
            if record.id in held:
                held.remove(record.id)


def parse(model: type[Patient] | type[Session] | type[Evaluation], doc: Any) -> Any:
    """A record model from its stored document."""
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise ValidationError({"id": "record without an id"})
    revisions = tuple(history.Revision.from_doc(r) for r in doc.get("history") or ())
    if not revisions:
        raise ValidationError({"history": "record without any revision"}, doc["id"])
    return model.from_data(doc["id"], revisions[-1].data, revisions)
