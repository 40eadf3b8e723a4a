"""Where each patient's course stands: computed once, kept until one of their records changes.

The start-up index keeps every patient's standing; it is used only while it is the rules'
own (the index's rows carry the tag of the rules and settings that made them, and an index
made by others is not used at all, mesotui/clinic/rows.py), and only for a patient none of
whose records changed since. Everything else is computed here, from the records.
"""

from __future__ import annotations

from typing import Any

from mesotui import schedule
from mesotui.clinic.records import Records
from mesotui.clinic.rows import standing_of
from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Protocol


class Standings:
    """The standing cache of one store."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self._held: dict[str, schedule.Standing | list[Any]] = {}
        """Each patient's standing, or the index's data of it (`Standing.to_data`) until first
        asked for: `Listing` orders the list from the data, without making 20,000 standings."""
        self.reset()

    def reset(self) -> None:
        """The records were (re)loaded: take the index's standings, where they still hold."""
        records = self.records
        if ("settings", "1") in records.engine.image.changed:
            self._held = {}  # the default protocol may have changed since they were made
        else:
            changed = records.changed_owners
            self._held = {pid: row for pid, row in records.stored_standings.items()
                          if row is not None and pid not in changed}

    @property
    def held(self) -> dict[str, schedule.Standing | list[Any]]:
        """The standings kept, some still the index's data (`Listing` reads them as they are)."""
        return self._held

    def get(self, patient_id: str) -> schedule.Standing:
        """Where the patient's course stands, whatever the day."""
        held = self._held.get(patient_id)
        if held is None:
            held = self._held[patient_id] = self.of(self.records.patient(patient_id))
        elif type(held) is list:
            held = self._held[patient_id] = standing_of(held)
        return held  # type: ignore[return-value]

    def data(self, patient_id: str) -> list[Any]:
        """`get(patient_id).to_data()`, without making a standing the index kept."""
        held = self._held.get(patient_id)
        if type(held) is list:
            return held  # type: ignore[return-value]
        return self.get(patient_id).to_data()

    def of(self, patient: Patient) -> schedule.Standing:
        """The standing of `patient` as given (a draft is judged as it is)."""
        sessions = self.records.sessions_of(patient.id).values()
        return schedule.standing(patient, sessions,  # type: ignore[arg-type]
                                 protocol_for(self.records, patient),
                                 evaluations_for(self.records, patient.id))

    def drop(self, patient_id: str) -> None:
        """One of the patient's records changed."""
        self._held.pop(patient_id, None)

    def clear(self) -> None:
        """The clinic's settings changed (its default protocol, say): recompute them all."""
        self._held.clear()


def protocol_for(records: Records, patient: Patient) -> Protocol:
    return patient.protocol or records.settings.protocol


def evaluations_for(records: Records, patient_id: str, *,
                    include_voided: bool = True) -> list[Evaluation]:
    """One patient's course evaluations in the order they happened."""
    found = sorted((records.evaluations[e] for e in records.evaluations_of.get(patient_id, ())),
                   key=schedule.evaluation_order)
    return found if include_voided else [e for e in found if not e.voided]
