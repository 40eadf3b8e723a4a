"""Shared pieces of the interoperability formats: selections, pseudonyms, initials, systems."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from mesotui.models import Patient, Session
from mesotui.schedule import in_course_order, numbers
from mesotui.settings import Settings
from mesotui.validation import plural


class Selected(NamedTuple):
    """One patient of an export: the sessions chosen, and each counted session's number.

    The numbers are taken over the whole course before any filter, so a session exported from
    a date range keeps the number it has in the course.
    """

    patient: Patient
    sessions: Sequence[Session]
    """The sessions chosen (all, or a date range's), voided ones included, in course order."""
    numbers: Mapping[str, int]
    """Session id -> number in the course, for every counted session of the patient."""


def whole_course(patient: Patient, sessions: Iterable[Session]) -> Selected:
    """A patient with every one of their sessions, numbered among themselves."""
    ordered = in_course_order(sessions)
    return Selected(patient, ordered, numbers(ordered))


Records = Sequence[Selected]
"""An already-filtered selection: each patient with the sessions chosen and their numbers."""

Pseudonym = Callable[[str, str], str]
"""Maps (record id, kind) to the keyed pseudonym that replaces it; kinds: PX patient, SX
session, EX evaluation, PR practitioner. Names, contact and free text are then dropped."""

DEFAULT_SYSTEM_BASE = Settings().system_base
"""Where code and identifier systems live until the clinic sets a URL it owns."""


@dataclass(frozen=True)
class Systems:
    """The URLs of the clinic's identifier and code systems, all under one base it owns, so
    that two clinics' exports never mix their ids or codes."""

    base: str = DEFAULT_SYSTEM_BASE

    def identifier(self, kind: str) -> str:
        """e.g. https://clinic.example/mesotui/identifier/patient"""
        return f"{self.base.rstrip('/')}/identifier/{kind}"

    def code(self, name: str) -> str:
        """e.g. https://clinic.example/mesotui/CodeSystem/side-effect"""
        return f"{self.base.rstrip('/')}/CodeSystem/{name}"

    @property
    def is_default(self) -> bool:
        return self.base.rstrip("/") == DEFAULT_SYSTEM_BASE


def initials(name: str) -> str:
    """`Amelia Ångström-Núñez` -> `A.Å.`: the first letter of each word, letters only (a word
    of punctuation, emoji or digits gives none); enough for a calendar title, not a name."""
    letters = []
    for word in name.split():
        first = next((ch for ch in word if unicodedata.category(ch).startswith("L")), None)
        if first is not None:
            letters.append(f"{first.upper()}.")
    return "".join(letters) or "?"


def patient_key(patient: Patient, pseudonym: Pseudonym | None) -> str:
    """The id that leaves mesotui for this patient: the pseudonym when one is given."""
    return pseudonym(patient.id, "PX") if pseudonym else patient.id


def record_key(record_id: str, kind: str, pseudonym: Pseudonym | None) -> str:
    """The id that leaves mesotui for any record (kind: SX session, EX evaluation, ...)."""
    return pseudonym(record_id, kind) if pseudonym else record_id


def what_was_exported(fmt: str, patients: int, sessions: int) -> str:
    """'36 patients and 154 sessions'; a calendar holds due dates, not the sessions given."""
    if fmt == "ics":
        return f"the due sessions of {plural(patients, 'patient', count=True)}"
    return (f"{plural(patients, 'patient', count=True)} and "
            f"{plural(sessions, 'session', count=True)}")
