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
        self._held: dict[str, schedule.Standing] = {}
        """The standings made so far (the index's are made from its rows when asked for)."""
        self._stored = False
        self.reset()

    def reset(self) -> None:
        """The records were (re)loaded: the index's standings hold again, where they hold."""
        self._held = {}
        # The default protocol may have changed since the index's standings were made.
        self._stored = ("settings", "1") not in self.records.engine.image.changed

    def get(self, patient_id: str) -> schedule.Standing:
        """Where the patient's course stands, whatever the day."""
        held = self._held.get(patient_id)
        if held is None:
            stored = self._kept(patient_id)
            held = self._held[patient_id] = self.of(self.records.patient(patient_id)) \
                if stored is None else standing_of(stored)
        return held

    def data(self, patient_id: str) -> list[Any]:
        """`get(patient_id).to_data()`, without making a standing the index kept."""
        if patient_id not in self._held and (stored := self._kept(patient_id)) is not None:
            return stored
        return self.get(patient_id).to_data()

    def _kept(self, patient_id: str) -> list[Any] | None:
        """The index's standing of the patient, while it holds (none of their records changed
        since, nor the clinic's settings)."""
        if not self._stored or patient_id in self.records.changed_owners:
            return None
        return self.records.stored_standing(patient_id)

    def of(self, patient: Patient) -> schedule.Standing:
        """The standing of `patient` as given (a draft is judged as it is)."""
        sessions = self.records.sessions_of(patient.id).values()
        return schedule.standing(patient, sessions,  # type: ignore[arg-type]
                                 protocol_for(self.records, patient),
                                 evaluations_for(self.records, patient.id))

    @property
    def stored(self) -> bool:
        """Whether the index's standings hold (for the patients none of whose records
        changed): not once the clinic's settings changed."""
        return self._stored

    def drop(self, patient_id: str) -> None:
        """One of the patient's records changed (what the index keeps of them is old)."""
        self._held.pop(patient_id, None)
        self.records.changed_owners.add(patient_id)

    def clear(self) -> None:
        """The clinic's settings changed (its default protocol, say): recompute them all."""
        self._held.clear()
        self._stored = False


def protocol_for(records: Records, patient: Patient) -> Protocol:
    return patient.protocol or records.settings.protocol


def evaluations_for(records: Records, patient_id: str, *,
                    include_voided: bool = True) -> list[Evaluation]:
    """One patient's course evaluations in the order they happened."""
    found = sorted((records.evaluations[e] for e in records.evaluations_of.get(patient_id, ())),
                   key=schedule.evaluation_order)
    return found if include_voided else [e for e in found if not e.voided]
