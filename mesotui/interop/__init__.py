"""Shared pieces of the interoperability formats: selections, pseudonyms, initials, codes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mesotui.models import Patient, Session

Records = Sequence[tuple[Patient, Sequence[Session]]]
"""An already-filtered selection: each patient with all their sessions, voided ones included."""

Pseudonym = Callable[[str], str]
"""Maps a patient id to the pseudonym that replaces it; names, contact and free text are dropped."""

LOCAL_CODES = "https://mesotui.invalid/fhir/CodeSystem/"
"""Base of mesotui's own code systems, for concepts no standard terminology names exactly."""


def initials(name: str) -> str:
    """`Amelia Ångström-Núñez` -> `A.Å.`: enough for a calendar title, not a full name."""
    return "".join(f"{word[0].upper()}." for word in name.split() if word) or "?"


def patient_key(patient: Patient, pseudonym: Pseudonym | None) -> str:
    """The id that leaves mesotui for this patient: the pseudonym when one is given."""
    return pseudonym(patient.id) if pseudonym else patient.id
