"""Reading the clinic's record: plain model objects out, and where each patient stands.

`Reader` is what every caller reads through (the store adds the rules that change records):
the records (mesotui/clinic/records.py), the standing cache beside them, and the queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from mesotui import findings, history, schedule
from mesotui.clinic import queries
from mesotui.clinic.listing import Listing
from mesotui.clinic.records import Record, Records
from mesotui.clinic.standings import Standings, evaluations_for, protocol_for
from mesotui.engine import Engine
from mesotui.engine.checkpoint import no_gc
from mesotui.engine.seal import State
from mesotui.evaluation import Evaluation
from mesotui.models import Card, Patient, Protocol, Session
from mesotui.settings import Settings


class Reader:
    """The clinic's records as read from one engine (a record file, or memory)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.records = Records(engine)
        self.standings = Standings(self.records)
        self.records.on_reload = self.standings.reset

    @property
    def path(self) -> Path | None:
        """The record file (its real path); None for a store in memory."""
        return self.engine.path

    @property
    def readonly(self) -> bool:
        return self.engine.readonly

    @property
    def notes(self) -> list[str]:
        """What to tell the user about how the record was read (one line each)."""
        return self.engine.notes

    @property
    def integrity(self) -> State:
        """How far the file's integrity can be told here, and what its seals found."""
        return self.engine.integrity

    @property
    def settings(self) -> Settings:
        return self.records.settings

    @property
    def read_whole(self) -> bool:
        """The record file was parsed whole (no start-up index described it)."""
        return self.engine.image.catalogue is None

    def prepare(self) -> Iterator[None]:
        """Summarise the sessions a thousand at a time, pausing between (see Records)."""
        return self.records.prepare()

    # -- records ----------------------------------------------------------------------------

    def patients(self, *, include_archived: bool = True) -> list[Patient]:
        with no_gc():
            return [self.patient(card.id) for card in self.records.cards.values()
                    if include_archived or not card.archived]

    def patient(self, patient_id: str) -> Patient:
        return self.records.patient(patient_id)

    def cards(self, *, include_archived: bool = True) -> list[Card]:
        """What the patient list shows of each patient, without reading whole records."""
        return [c for c in self.records.cards.values() if include_archived or not c.archived]

    def session(self, session_id: str) -> Session:
        return self.records.session(session_id)

    def sessions_for(self, patient_id: str, *, include_voided: bool = True) -> list[Session]:
        """One patient's sessions in date order, voided ones included unless asked not to."""
        with no_gc():
            found = [self.session(s) for s in self.records.sessions_of(patient_id)]
        found.sort(key=schedule.course_order)  # same-day sessions in the order logged
        return found if include_voided else [s for s in found if not s.voided]

    def session_documents(self, patient_id: str) -> list[dict[str, Any]]:
        """One patient's sessions as stored (id, patient and revision documents), in course
        order (`schedule.course_key`), as `sessions_for` gives the models.

        For a whole-clinic export, which then need not parse every session into a model.
        """
        ids = self.engine.image.ids.get("sessions", {})
        docs = self.engine.docs("sessions", [ids[s] for s in self.records.sessions_of(patient_id)])
        if _by_day(docs):  # one a day, as they come: the sort's keys need not be made
            return docs
        return sorted(docs, key=lambda doc: schedule.course_key(
            date.fromisoformat(doc["history"][-1]["data"]["date"]), doc["history"][0]["at"],
            doc["id"]))

    def sessions(self) -> list[Session]:
        with no_gc():
            return [self.session(s) for s in self.records.session_owners()]

    def evaluation(self, evaluation_id: str) -> Evaluation:
        return self.records.evaluation(evaluation_id)

    def evaluations_for(self, patient_id: str, *, include_voided: bool = True) -> list[Evaluation]:
        """One patient's course evaluations in date order."""
        return evaluations_for(self.records, patient_id, include_voided=include_voided)

    def evaluations(self) -> list[Evaluation]:
        return list(self.records.evaluations.values())

    def altered(self, record_id: str) -> list[str]:
        """What is wrong with a record: its revision chain, and what the file's seals found
        about it (for a patient, about records of theirs gone from the file too); non-empty if
        it was changed outside mesotui."""
        return history.verify(self.record(record_id).history) + findings.about(
            self.integrity, record_id, patient=record_id in self.records.cards)

    def record(self, record_id: str) -> Record:
        if record_id in self.records.cards:
            return self.patient(record_id)
        return self.records.evaluations.get(record_id) or self.session(record_id)

    # -- where patients stand ---------------------------------------------------------------

    def protocol_for(self, patient: Patient) -> Protocol:
        return protocol_for(self.records, patient)

    def protocol_in_force(self, patient: Patient) -> Protocol:
        """The plan that schedules the next sessions: after a maintenance decision, its interval."""
        return schedule.effective_protocol(self.protocol_for(patient),
                                           self.evaluations_for(patient.id))

    def standing(self, patient_id: str) -> schedule.Standing:
        """Where the patient's course stands, whatever the day (kept until their records change)."""
        return self.standings.get(patient_id)

    def outlook(self, patient: Patient | Card, today: date) -> schedule.Outlook:
        """Where `patient` stands on `today`; a Patient not as stored (a draft) is judged as is."""
        if isinstance(patient, Patient) and self.records.patients.get(patient.id) is not patient:
            standing = self.standings.of(patient)
        else:
            standing = self.standings.get(patient.id)
        return standing.on(today, self.settings.due_soon_days)

    def board(self, today: date, *, include_archived: bool = False
              ) -> list[tuple[Card, schedule.Outlook]]:
        """Every patient's card and where they stand, most urgent first (the patient list)."""
        return queries.board(self.records, self.standings, today,
                             include_archived=include_archived)

    def listing(self, today: date) -> Listing:
        """`board`'s order and its quick filters' counts (archived patients too), each row's
        card and outlook made only when asked for: the patient list, before its first frame."""
        return Listing(self.records, self.standings, today, self.settings.due_soon_days)

    def overview(self, today: date, *, include_archived: bool = False
                 ) -> list[tuple[Patient, schedule.Outlook]]:
        """Patients with where they stand, most urgent first (overdue, then soonest due)."""
        return queries.overview(self.records, self.standings, today,
                                include_archived=include_archived)

    def recent_lots(self, limit: int = 8) -> list[tuple[str, date | None]]:
        """The lots most recently used, newest first, with their expiry, for a quick pick."""
        return queries.recent_lots(self.records, limit)

    def sessions_by_lot(self, lot: str) -> list[tuple[Patient, Session]]:
        """Every session given from `lot` (case-insensitive), voided ones included, by date."""
        return queries.sessions_by_lot(self.records, lot)


def _by_day(docs: list[dict[str, Any]]) -> bool:
    """Whether session documents are in date order already, no two on one day (as a course's
    usually are): their days as stored (YYYY-MM-DD) compare as the dates do."""
    days = [doc["history"][-1]["data"]["date"] for doc in docs]
    return (all(len(day) == 10 and day[4] == day[7] == "-" for day in days)
            and all(a < b for a, b in pairwise(days)))
