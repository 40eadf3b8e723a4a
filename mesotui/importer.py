"""Reading an export file back: validate all of it first, then merge by id without overwriting."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from mesotui import export, history, ids, validation
from mesotui.errors import MesoError, ValidationError
from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Session
from mesotui.parse import parse_date
from mesotui.store import Store

Progress = Callable[[int, int], None]
DATE_FIELDS = ("date_of_birth", "planned_start", "next_due", "pregnancy_avoid_until", "date",
               "lot_expiry")
CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of this computer's clock another computer's may be."""
READABLE = (1, 2)
"""Export schema versions this mesotui imports; 1 is migrated (no evaluations, no consents)."""


class ImportRejected(MesoError):
    """The file cannot be imported; nothing was changed. The message names file, record, field."""


@dataclass
class Contents:
    """A validated export file: its records, ready to merge."""

    patients: list[Patient]
    sessions: list[Session]
    evaluations: list[Evaluation] = field(default_factory=list)


@dataclass
class MergePlan:
    """What importing would do: records to add, how many are already held, and conflicts."""

    patients: list[Patient] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)

    @property
    def added(self) -> int:
        return len(self.patients) + len(self.sessions) + len(self.evaluations)

    def summary(self) -> dict[str, Any]:
        return {"added": self.added, "added_patients": len(self.patients),
                "added_sessions": len(self.sessions),
                "added_evaluations": len(self.evaluations), "unchanged": self.unchanged,
                "conflicts": self.conflicts}


@cache
def schema(version: int = export.SCHEMA_VERSION) -> dict[str, Any]:
    """The shipped JSON Schema of the export format, as of `version`."""
    text = resources.files("mesotui").joinpath(
        f"schema/export-v{version}.schema.json").read_text("utf-8")
    return json.loads(text)


def load(path: Path, today: date, progress: Progress | None = None, *,
         now: datetime | None = None) -> Contents:
    """Read and validate a whole export file: JSON, then the schema, then meaning.

    Raises:
        ImportRejected: anything is wrong; the message names the place.
    """
    name = Path(path).name
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ImportRejected(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ImportRejected(f"{name}: is not valid JSON ({error})") from None
    try:
        count = len(document.get("patients") or ()) if isinstance(document, dict) else 0
        check_schema(document, progress and (lambda done, _: progress(done, 2 * count)))
        return parse(document, today, progress and (
            lambda done, _: progress(count + done, 2 * count)), now=now)
    except ValidationError as error:
        raise ImportRejected(f"{name}: {error}") from None


def check_schema(document: Any, progress: Progress | None = None) -> None:
    """Raise ValidationError at the most telling place where `document` breaks the schema.

    The envelope is checked first, then each patient in turn, so a long file shows progress.
    """
    import jsonschema

    if not isinstance(document, dict) or document.get("format") != export.FORMAT:
        raise ValidationError({"format": "this is not a mesotui export file"})
    version = document.get("schema_version")
    if version not in READABLE or isinstance(version, bool):
        readable = " and ".join(str(v) for v in READABLE)
        raise ValidationError({"schema_version": f"{_short(version)} is not supported "
                                                 f"(this mesotui reads {readable})"})
    if document.get("pseudonymised") is True:
        raise ValidationError({"pseudonymised": "a pseudonymised export cannot be imported"})
    full = schema(version)
    patients = document.get("patients")
    envelope = dict(document, patients=[]) if isinstance(patients, list) else document
    _first_error(jsonschema.Draft202012Validator(full), envelope, "")
    if not isinstance(patients, list):
        return
    one = jsonschema.Draft202012Validator({"$defs": full["$defs"], "$ref": "#/$defs/patient"})
    for index, patient in enumerate(patients):
        _first_error(one, patient, f"patients[{index}]")
        if progress:
            progress(index + 1, len(patients))


def _first_error(validator: Any, instance: Any, prefix: str) -> None:
    import jsonschema

    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        where = prefix + _place(error.absolute_path, bool(prefix)) or "file"
        raise ValidationError({where: _short(error.message, 160)})


def parse(document: Mapping[str, Any], today: date, progress: Progress | None = None, *,
          now: datetime | None = None) -> Contents:
    """Rebuild every record from its revision history and check it means what it says.

    Args:
        now: the importing computer's clock (not --today): a file cannot have been exported
            after it, and nothing in it can be dated after its export.
    """
    try:
        stamp = datetime.fromisoformat(document["exported_at"])
    except ValueError:
        raise ValidationError({"exported_at": "is not a real date and time"}) from None
    clock = now or datetime.now(UTC)
    if stamp.tzinfo is None or stamp - clock > CLOCK_SKEW:
        raise ValidationError({"exported_at": f"{_short(document['exported_at'])} is in the "
                                              "future of this computer's clock"})
    judge = stamp.date()  # in the exporting clinic's own offset: nothing is dated after it
    seen: set[str] = set()
    patients: list[Patient] = []
    sessions: list[Session] = []
    evaluations: list[Evaluation] = []
    entries = document["patients"]
    for index, entry in enumerate(entries):
        place = f"patients[{index}]"
        patient = _record(Patient, entry, place, seen)
        _agree(entry, _patient_fields(patient), place)
        _check(validation.patient_problems(patient, judge), place, patient.id)
        patients.append(patient)
        for s_index, s_entry in enumerate(entry["sessions"]):
            s_place = f"{place}.sessions[{s_index}]"
            session = _record(Session, s_entry, s_place, seen)
            if session.patient_id != patient.id:
                raise ValidationError({f"{s_place}.patient_id":
                                       f"{session.id} belongs to {session.patient_id!r}, "
                                       f"not to {patient.id}"})
            _agree(s_entry, export.session_entry(session, s_entry.get("number")), s_place)
            _check(validation.session_problems(session, patient, judge), s_place, session.id)
            sessions.append(session)
        for e_index, e_entry in enumerate(entry.get("evaluations") or ()):  # none before v2
            e_place = f"{place}.evaluations[{e_index}]"
            evaluation = _record(Evaluation, e_entry, e_place, seen)
            if evaluation.patient_id != patient.id:
                raise ValidationError({f"{e_place}.patient_id":
                                       f"{evaluation.id} belongs to {evaluation.patient_id!r}, "
                                       f"not to {patient.id}"})
            _agree(e_entry, export.evaluation_entry(evaluation), e_place)
            _check(validation.evaluation_problems(evaluation, patient, judge), e_place,
                   evaluation.id)
            evaluations.append(evaluation)
        if progress:
            progress(index + 1, len(entries))
    return Contents(patients, sessions, evaluations)


def plan(store: Store, contents: Contents) -> MergePlan:
    """Compare with the records held: new ones are added, identical skipped, others conflicts.

    A patient whose own record conflicts is reported whole: nothing of the file's is attached
    to them (it may be another person under the same id), and their conflict line says what
    under them was held back.
    """
    result = MergePlan()
    held_patients = {p.id: p for p in store.patients()}
    held_sessions = {s.id: s for s in store.sessions()}
    held_evaluations = {e.id: e for e in store.evaluations()}
    conflicting: dict[str, list[Session | Evaluation]] = {}
    lines: dict[str, int] = {}
    for records, held, bucket in ((contents.patients, held_patients, result.patients),
                                  (contents.sessions, held_sessions, result.sessions),
                                  (contents.evaluations, held_evaluations, result.evaluations)):
        for record in records:
            mine = held.get(record.id)
            if mine is not None and _hashes(mine) == _hashes(record):
                result.unchanged += 1
            elif mine is not None:
                if isinstance(mine, Patient):
                    conflicting[mine.id] = []
                    lines[mine.id] = len(result.conflicts)
                result.conflicts.append(_conflict(mine, record))
            elif getattr(record, "patient_id", None) in conflicting:
                conflicting[record.patient_id].append(record)  # type: ignore[union-attr]
            else:
                bucket.append(record)  # type: ignore[arg-type]
    for patient_id, withheld in conflicting.items():
        if withheld:
            result.conflicts[lines[patient_id]] += f" ({_withheld(withheld)} not imported)"
    return result


def _withheld(records: list[Session | Evaluation]) -> str:
    sessions = sum(isinstance(r, Session) for r in records)
    evaluations = len(records) - sessions
    parts = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in
             ((sessions, "session"), (evaluations, "evaluation")) if n]
    return "its " + " and ".join(parts) + " in the file were"


def apply(store: Store, merge: MergePlan) -> None:
    """Add the new records in one save: it all reaches the file, or none of it does."""
    if merge.added:
        store.bulk_load(merge.patients, merge.sessions, evaluations=merge.evaluations)


def _record(model: type[Patient] | type[Session] | type[Evaluation], entry: Mapping[str, Any],
            place: str, seen: set[str]) -> Any:
    record_id = entry["id"]
    kind = {Patient: "patient", Session: "session", Evaluation: "evaluation"}[model]
    if problem := ids.problem(record_id, kind):
        raise ValidationError({f"{place}.id": problem})
    if record_id in seen:
        raise ValidationError({f"{place}.id": f"{record_id} appears twice in the file"})
    seen.add(record_id)
    revisions = []
    for n, doc in enumerate(entry["history"]):
        try:
            revision = history.Revision.from_doc(doc, f"{place}.history[{n}]")
            revisions.append(revision)
            for name, text, one_line in (("by", revision.by, True),
                                         ("reason", revision.reason, False)):
                if problem := (validation.line_problem(text) if one_line
                               else validation.note_problem(text)):
                    raise ValidationError({f"{place}.history[{n}].{name}": problem})
        except ValidationError as error:
            raise ValidationError(error.problems, record_id) from None
    broken = history.verify(tuple(revisions))
    if broken:
        raise ValidationError({f"{place}.history": broken[0]}, record_id)
    try:
        return model.from_data(record_id, revisions[-1].data, tuple(revisions))
    except ValidationError as error:
        field_name, problem = next(iter(error.problems.items()))
        raise ValidationError({f"{place}.history[{len(revisions) - 1}].data.{field_name}":
                               problem}, record_id) from None


def _patient_fields(patient: Patient) -> dict[str, Any]:
    fields = {"id": patient.id, **patient.to_data()}
    fields["own_protocol"] = fields.pop("protocol")
    fields["status"] = patient.status.value
    return fields


def _agree(entry: Mapping[str, Any], expected: Mapping[str, Any], place: str) -> None:
    """The readable fields must say what the record's latest revision says."""
    for key in DATE_FIELDS:  # an impossible date is named as such, not as a mismatch
        if isinstance(entry.get(key), str):
            parse_date(entry[key], f"{place}.{key}")
    for key, value in expected.items():
        if key in entry and entry[key] != value:
            raise ValidationError({f"{place}.{key}": "does not match the record's revision "
                                                     "history (edited outside mesotui?)"},
                                  str(expected["id"]))


def _check(problems: dict[str, str], place: str, record_id: str) -> None:
    if problems:
        key, problem = next(iter(problems.items()))
        raise ValidationError({f"{place}.{key}": problem}, record_id)


def _hashes(record: Patient | Session | Evaluation) -> tuple[str, ...]:
    return tuple(r.hash for r in record.history)


def _conflict(mine: Patient | Session | Evaluation, theirs: Patient | Session | Evaluation
              ) -> str:
    held, incoming = _hashes(mine), _hashes(theirs)
    if incoming[:len(held)] == held:
        detail = f"the file holds a later version ({len(incoming)} revisions, {len(held)} held)"
    elif held[:len(incoming)] == incoming:
        detail = f"the record held is newer ({len(held)} revisions, {len(incoming)} in the file)"
    else:
        detail = "the record held and the file's differ; kept the record held"
    return f"{mine.id}: {detail}"


def _place(path: Any, nested: bool = False) -> str:
    text = ""
    for part in path:
        dotted = f".{part}" if text or nested else str(part)
        text += f"[{part}]" if isinstance(part, int) else dotted
    return text


def _short(value: Any, limit: int = 40) -> str:
    shown = value if isinstance(value, str) else repr(value)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."
