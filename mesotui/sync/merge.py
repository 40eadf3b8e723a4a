"""Two versions of a record merged field by field, and the checks the merged record passes.

When two rooms amended the same record while apart, the practitioner may keep one version
whole or take, for each field on which they differ, the value of one version or the other.
The merged record is checked as any edit is (a session's volume within the protocol, its lot
not expired before the session, a consent in force on its date...): two versions each valid
alone may make an invalid record together, and that is refused next to the field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from mesotui import validation
from mesotui.errors import ValidationError
from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Session
from mesotui.settings import Settings
from mesotui.sync import diff
from mesotui.sync.tree import Leaf


@dataclass(frozen=True)
class Choice:
    """A field on which the versions differ: its name as the data has it ("volume_ml",
    "anaesthesia.type"), as the forms call it, and each version's value in the clinic's
    words (in version order)."""

    field: str
    label: str
    values: tuple[str, ...]


def choices(versions: Sequence[Leaf]) -> list[Choice]:
    """The fields on which any version differs from the first, in the order the forms show."""
    flats = [diff.flat(diff.state(version)) for version in versions]
    names = {name for flat in flats for name in flat}
    found = []
    for name in diff.in_form_order(names):
        shown = tuple(diff.shown(name, flat.get(name)) for flat in flats)
        if len(set(shown)) > 1:
            found.append(Choice(name, diff.label(name), shown))
    return found


def merged(versions: Sequence[Leaf], picks: Mapping[str, int]) -> dict[str, Any]:
    """The first version's data with, for each field picked, the value of the version picked
    (0-based); a field the picked version does not hold is left out, as it has it."""
    data = copy.deepcopy(dict(versions[0].head["data"]))
    for name, n in picks.items():
        if name == "voided":
            continue  # not data: the new revision's action (`voided`)
        source: Mapping[str, Any] = versions[n].head["data"]
        target: dict[str, Any] = data
        top, _, sub = name.partition(".")
        if sub:
            source = source.get(top) or {}
            if not isinstance(data.get(top), dict):
                data[top] = {}
            target, name = data[top], sub
        if name in source:
            target[name] = copy.deepcopy(source[name])
        else:
            target.pop(name, None)
    return data


def voided(versions: Sequence[Leaf], picks: Mapping[str, int]) -> bool:
    """Whether the merged record is voided: as the version picked for it, else as version 1
    (the versions agree on it then)."""
    return versions[picks.get("voided", 0)].head["action"] == "void"


def problems(table: str, record_id: str, data: Mapping[str, Any], *, patient: Patient | None,
             today: date, was: Mapping[str, Any] | None = None) -> dict[str, str]:
    """What an edit saving `data` would refuse, keyed by field ({} when it may be saved).

    `patient` is the record's patient (sessions, evaluations); `was`, the data the edit
    starts from: a session moved to another day needs a consent in force on the new one."""
    try:
        if table == "sessions":
            session = Session.from_data(record_id, data)
            found = _needs(patient, session.patient_id) or validation.session_problems(
                session, patient, today)  # type: ignore[arg-type]
            moved = was is None or data.get("date") != was.get("date")
            if not found and moved and patient.consent_on(session.date) is None \
                    and not session.consent_override:  # type: ignore[union-attr]
                found["date"] = (f"no consent to off-label treatment is in force on "
                                 f"{session.date}; keep the other date, or record consent")
            return found
        if table == "evaluations":
            evaluation = Evaluation.from_data(record_id, data)
            return _needs(patient, evaluation.patient_id) or validation.evaluation_problems(
                evaluation, patient, today)  # type: ignore[arg-type]
        if table == "patients":
            return validation.patient_problems(Patient.from_data(record_id, data), today)
        if table == "settings" or record_id == "settings":
            return validation.settings_problems(Settings.from_data(data))
    except ValidationError as error:
        return dict(error.problems)
    return {}


def _needs(patient: Patient | None, patient_id: str) -> dict[str, str]:
    if patient is None or patient.id != patient_id:
        return {"patient_id": f"patient {patient_id} is not on this laptop yet: sync, then "
                              "choose"}
    return {}
