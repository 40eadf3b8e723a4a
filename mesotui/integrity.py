"""`check`: is the record file sound? Read-only, on the raw file, reporting every problem found."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mesotui import findings, history, ids
from mesotui.clinic.rows import LAYOUT
from mesotui.engine import keys, replay, verify
from mesotui.engine.image import index_path
from mesotui.engine.index import ALTERED, Foreign, from_index, rows_read
from mesotui.errors import RecordFileError, ValidationError
from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Session
from mesotui.settings import Settings
from mesotui.store import SCHEMA_VERSION, record_path
from mesotui.terminal import safe

MAX_REPORTED = 50
"""A badly damaged file could list thousands of problems; the first ones say enough."""


@dataclass
class Report:
    """What `check` found: counts of what is sound, and each problem in words."""

    path: Path
    patients: int = 0
    sessions: int = 0
    evaluations: int = 0
    revisions: int = 0
    problems: list[str] = field(default_factory=list)
    sealed: str = "unsealed"
    """sealed (its seals checked with the clinic key), no-key, or unsealed."""
    notes: list[str] = field(default_factory=list)
    """What the seals cannot tell, though nothing is wrong (a reseal after a lost key)."""

    @property
    def sound(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def to_data(self) -> dict[str, Any]:
        return {"record_file": str(self.path), "sound": self.sound, "patients": self.patients,
                "sessions": self.sessions, "evaluations": self.evaluations,
                "revisions": self.revisions, "integrity": self.sealed, "notes": self.notes,
                "problems": self.problems[:MAX_REPORTED], "problem_count": len(self.problems)}


def check(path: Path) -> Report:
    """Verify the record file at `path` without changing it: every record, every revision
    chain, and, with the clinic key, every seal (mesotui/engine/manifest.py)."""
    report = Report(Path(path))
    path = record_path(path)
    try:
        loaded = replay.load(path, LAYOUT, use_index=False)
    except RecordFileError as error:
        report.add(error.detail)
        return report
    if loaded.image is None:
        report.add("does not exist or is empty" if not Path(path).exists() else "is empty")
        return report
    data = loaded.image.to_dict()
    _check_version(data, report)
    patient_ids = _check_table(data, "patients", Patient, report)
    session_ids = _check_table(data, "sessions", Session, report, patient_ids)
    evaluation_ids = _check_table(data, "evaluations", Evaluation, report, patient_ids)
    for clash in sorted(set(patient_ids) & set(session_ids)):
        report.add(f"{clash}: the id is used by a patient and a session")
    for clash in sorted((set(patient_ids) | set(session_ids)) & set(evaluation_ids)):
        report.add(f"{clash}: the id is used by an evaluation and another record")
    _check_settings(data, report)
    _check_seals(path, loaded, report)
    return report


def _check_seals(path: Path, loaded: replay.Loaded, report: Report) -> None:
    assert loaded.image is not None
    clinic = loaded.checkpoint_meta.get("clinic_id")
    key = keys.load(clinic) if isinstance(clinic, str) else None
    state, _seal = verify.inspect(path, loaded.image, loaded.checkpoint_meta,
                                   loaded.tail.marks, whole=True, seen=loaded.seen,
                                   index_forged=_index_forged(path, loaded.image.raw, key))
    report.sealed = state.status
    report.notes.extend(findings.reseals(loaded.checkpoint_meta))
    chains = {problem.split(":", 1)[0] for problem in report.problems}
    for finding in state.ledger.findings():
        if finding.record in chains and finding.what.startswith("altered"):
            continue  # its chain check said so already, one line per record is enough
        report.add(finding.line())
    if state.status == "no-key":
        report.add("its integrity cannot be checked on this machine: the clinic key it is "
                   "sealed with is not here (mesotui key import FILE; if it is lost for good, "
                   "mesotui key new --reason TEXT)")


def _index_forged(path: Path, raw: bytes, key: keys.ClinicKey | None) -> bool:
    """Whether the start-up index beside the file fails its seal. A stale or foreign index
    (another checkpoint's, another version's) is no finding: it is simply not used."""
    try:
        index = index_path(path).read_bytes()
    except OSError:
        return False
    try:
        image, prove = from_index(index, len(raw), lambda start, end: raw[start:end], LAYOUT)
    except Foreign:
        return False
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, ValidationError):
        return key is not None  # the right size and token, yet it does not parse
    why = prove(hashlib.sha256(raw).hexdigest(), key.secret if key else None)
    if why is not None and image.catalogue is not None \
            and not rows_read(image.catalogue, LAYOUT):
        return key is not None  # as above: a row of it does not read
    return why in (ALTERED, "it is not sealed with the clinic key")


def _check_version(data: dict[str, Any], report: Report) -> None:
    meta = list(data.get("meta", {}).values())
    version = meta[0].get("schema_version") if meta and isinstance(meta[0], dict) else None
    if version is None:
        report.add("has no schema version")
    elif version != SCHEMA_VERSION:
        report.add(f"has schema version {version!r}; this mesotui reads {SCHEMA_VERSION}")


Model = type[Patient] | type[Session] | type[Evaluation]


def _check_table(data: dict[str, Any], table: str, model: Model,
                 report: Report, patients: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check each record of one table; return the ids that parsed, mapped to their record."""
    found: dict[str, Any] = {}
    kind = table.removesuffix("s")
    for doc_id, doc in data.get(table, {}).items():
        where = f"{kind} #{doc_id}"
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not doc["id"]:
            report.add(f"{where}: has no id")
            continue
        if bad := ids.problem(doc["id"], kind):
            report.add(f"{where}: its id {safe(doc['id'])!r} {bad}")
            continue
        record_id = doc["id"]
        record = _parse(model, doc, record_id, report)
        if record_id in found:
            report.add(f"{record_id}: the id is used by two {table}")
        if record is None:
            continue
        found[record_id] = record
        report.revisions += len(record.history)
        if patients is not None:
            _check_links(record, doc, patients, report)
    setattr(report, table, len(found))
    return found


def _parse(model: Model, doc: dict[str, Any], record_id: str,
           report: Report) -> Patient | Session | Evaluation | None:
    raw = doc.get("history")
    if not isinstance(raw, list) or not raw:
        report.add(f"{record_id}: has no revision history")
        return None
    try:
        revisions = tuple(history.Revision.from_doc(r) for r in raw)
    except ValidationError as error:
        report.add(f"{record_id}: {error}")
        return None
    for problem in history.verify(revisions):
        report.add(f"{record_id}: {problem}")
    try:
        return model.from_data(record_id, revisions[-1].data, revisions)
    except ValidationError as error:
        report.add(f"{record_id}: latest revision: {error}")
        return None


def _check_links(record: Session | Evaluation, doc: dict[str, Any], patients: dict[str, Any],
                 report: Report) -> None:
    """A session or evaluation must belong to a patient in the file, the same one it says."""
    if record.patient_id not in patients:
        report.add(f"{record.id}: its patient {record.patient_id!r} is not in the file")
    if doc.get("patient_id") != record.patient_id:
        report.add(f"{record.id}: patient_id {doc.get('patient_id')!r} disagrees with "
                   f"its latest revision ({record.patient_id!r})")


def _check_settings(data: dict[str, Any], report: Report) -> None:
    settings = data.get("settings", {}).get("1")
    if not settings:
        return
    raw = settings.get("history") if isinstance(settings, dict) else None
    try:
        revisions = tuple(history.Revision.from_doc(r, "settings") for r in raw or ())
    except ValidationError as error:
        report.add(f"settings: {error}")
        return
    if not revisions:
        report.add("settings: has no revision history")
        return
    for problem in history.verify(revisions):
        report.add(f"settings: {problem}")
    try:
        Settings.from_data(revisions[-1].data)
    except ValidationError as error:
        report.add(f"settings: latest revision: {error}")
