"""The clinic record: the only module that imports TinyDB; plain model objects in and out.

The record file is TinyDB's JSON layout, written by `DurableStorage` (temp file, fsync, rename,
rotating backups). All reads come from an index kept in memory and updated only after a save
has reached the disk, so the screen never shows a change the file does not hold.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson
from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import MemoryStorage, Storage

from mesotui import durable, history, schedule, validation
from mesotui.errors import (CorruptRecordFile, NotFound, ReadOnlyStore, RecordFileError,
                            RecordFileLocked, ValidationError, WriteFailed)
from mesotui.evaluation import Consent, Evaluation
from mesotui.models import CourseEvent, Patient, Protocol, Session, new_id
from mesotui.settings import Settings
from mesotui.vocab import CourseStatus, Decision

SCHEMA_VERSION = 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], None]] = {}
"""Upgrades of raw file data, keyed by the version they upgrade *from* (1 → 2 is MIGRATIONS[1])."""

TABLES = ("meta", "settings", "patients", "sessions", "evaluations")
Record = Patient | Session | Evaluation


class DurableStorage(Storage):
    """A TinyDB storage that never rewrites in place and never mistakes a corrupt file for empty.

    It keeps the last data read or written in memory, so TinyDB's read-modify-write cycle
    does not re-parse the file; a failed write drops that copy, so memory never runs ahead
    of the disk.
    """

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self._data: dict[str, Any] | None = None

    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self._data = load_file(self.path)
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        if self.readonly:
            raise ReadOnlyStore(f"{self.path.name} is open read-only")
        try:
            payload = orjson.dumps(data)
            durable.atomic_write(self.path, payload)
        except (OSError, TypeError, orjson.JSONEncodeError) as error:
            self._data = None
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise WriteFailed(self.path, f"could not be saved ({reason}); "
                                         "the file on disk is unchanged") from error
        self._data = data

    def forget(self) -> None:
        """Drop the in-memory copy; the next read comes from disk."""
        self._data = None


def load_file(path: Path) -> dict[str, Any] | None:
    """Parse a record file; None only when it does not exist or is empty, never when corrupt."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RecordFileError(path, f"cannot be read ({error.strerror})") from error
    if not raw.strip():
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise CorruptRecordFile(path, f"is not valid JSON ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise CorruptRecordFile(path, "is JSON but not a mesotui record file")
    return data


def acquire_lock(path: Path) -> FileLock:
    """Take the single-writer lock on `path` at once, or say who holds it.

    Raises:
        RecordFileLocked: another mesotui process has the file open.
    """
    lock = FileLock(str(path) + ".lock", mode=0o600)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RecordFileLocked(path) from None
    except OSError as error:
        raise RecordFileError(path, f"cannot be locked ({error.strerror})") from error
    return lock


class _Transaction(Storage):
    """Collects TinyDB's writes so that one store operation reaches the disk as one save."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.pending: dict[str, Any] | None = None
        self.depth = 0

    def read(self) -> dict[str, Any] | None:
        return self.pending if self.pending is not None else self.inner.read()

    def write(self, data: dict[str, Any]) -> None:
        if self.depth:
            self.pending = data
        else:
            self.inner.write(data)

    def close(self) -> None:
        self.inner.close()


class Store:
    """Patients, sessions and settings, with next-due views; every change is a new revision.

    Args:
        storage: a TinyDB storage (a `DurableStorage` for the file, `MemoryStorage` in tests).
        clock: returns the current time (timezone-aware) for revision stamps.
        path: the record file, for messages and backups; None for an in-memory store.
        lock: the held single-writer lock, released on close.
    """

    def __init__(self, storage: Storage, *, clock: Callable[[], datetime] | None = None,
                 path: Path | None = None, lock: FileLock | None = None,
                 readonly: bool = False) -> None:
        self._txn = _Transaction(storage)
        self._db = TinyDB(storage=lambda: self._txn)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.path = path
        self.readonly = readonly
        self._lock = lock
        self._patients: dict[str, Patient] = {}
        self._sessions: dict[str, Session] = {}
        self._doc_ids: dict[str, int] = {}
        self._by_patient: dict[str, list[str]] = {}
        self._evaluations: dict[str, Evaluation] = {}
        self._evaluations_of: dict[str, list[str]] = {}
        self._staged: list[Record] = []
        self._staged_ids: dict[str, int] = {}
        self.on_saved: Callable[[tuple[Record, ...]], None] | None = None
        """Called with the records of each save once it is on disk (the app's undo list)."""
        self._settings = Settings()
        self._migrate()
        self._load()

    # -- opening and closing ------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False,
             clock: Callable[[], datetime] | None = None) -> Store:
        """Open (or create) the record file; refuse a corrupt file or a second writer.

        Raises:
            RecordFileLocked: another mesotui holds the file (writers only).
            CorruptRecordFile: the file exists but cannot be read as a record.
        """
        path = Path(path).expanduser().absolute()
        if readonly:
            if not path.exists():
                raise RecordFileError(path, "does not exist")
            return cls(DurableStorage(path, readonly=True), clock=clock, path=path, readonly=True)
        durable.make_private_dir(path.parent)
        lock = acquire_lock(path)
        try:
            durable.remove_stale_temp_files(path)
            return cls(DurableStorage(path), clock=clock, path=path, lock=lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def in_memory(cls, clock: Callable[[], datetime] | None = None) -> Store:
        return cls(MemoryStorage(), clock=clock)

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    def patients(self, *, include_archived: bool = True) -> list[Patient]:
        return [p for p in self._patients.values() if include_archived or not p.archived]

    def patient(self, patient_id: str) -> Patient:
        try:
            return self._patients[patient_id]
        except KeyError:
            raise NotFound(f"no patient has the id {patient_id!r}") from None

    def session(self, session_id: str) -> Session:
        try:
            return self._sessions[session_id]
        except KeyError:
            raise NotFound(f"no session has the id {session_id!r}") from None

    def sessions_for(self, patient_id: str, *, include_voided: bool = True) -> list[Session]:
        """One patient's sessions in date order, voided ones included unless asked not to."""
        found = [self._sessions[s] for s in self._by_patient.get(patient_id, ())]
        found.sort(key=lambda s: (s.date, s.id))
        return found if include_voided else [s for s in found if not s.voided]

    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    def sessions_by_lot(self, lot: str) -> list[tuple[Patient, Session]]:
        """Every session given from `lot` (case-insensitive), voided ones included, by date."""
        wanted = lot.strip().casefold()
        hits = [(self._patients[s.patient_id], s) for s in self._sessions.values()
                if s.lot.strip().casefold() == wanted]
        return sorted(hits, key=lambda hit: (hit[1].date, hit[0].name))

    def recent_lots(self, limit: int = 8) -> list[tuple[str, date | None]]:
        """The lots most recently used, newest first, with their expiry, for a quick pick."""
        seen: dict[str, date | None] = {}
        for session in sorted(self._sessions.values(), key=lambda s: s.date, reverse=True):
            if session.lot and session.lot not in seen and not session.voided:
                seen[session.lot] = session.lot_expiry
                if len(seen) == limit:
                    break
        return list(seen.items())

    def protocol_for(self, patient: Patient) -> Protocol:
        return patient.protocol or self._settings.protocol

    def protocol_in_force(self, patient: Patient) -> Protocol:
        """The plan that schedules the next sessions: after a maintenance decision, its interval."""
        return schedule.effective_protocol(self.protocol_for(patient),
                                           self.evaluations_for(patient.id))

    def outlook(self, patient: Patient, today: date) -> schedule.Outlook:
        return schedule.outlook(patient, self.sessions_for(patient.id), self.protocol_for(patient),
                                today, self._settings.due_soon_days,
                                self.evaluations_for(patient.id))

    def evaluation(self, evaluation_id: str) -> Evaluation:
        try:
            return self._evaluations[evaluation_id]
        except KeyError:
            raise NotFound(f"no evaluation has the id {evaluation_id!r}") from None

    def evaluations_for(self, patient_id: str, *, include_voided: bool = True) -> list[Evaluation]:
        """One patient's course evaluations in date order."""
        found = sorted((self._evaluations[e] for e in self._evaluations_of.get(patient_id, ())),
                       key=lambda e: (e.date, e.id))
        return found if include_voided else [e for e in found if not e.voided]

    def evaluations(self) -> list[Evaluation]:
        return list(self._evaluations.values())

    def overview(self, today: date, *, include_archived: bool = False
                 ) -> list[tuple[Patient, schedule.Outlook]]:
        """Patients with where they stand, most urgent first (overdue, then soonest due)."""
        rows = [(p, self.outlook(p, today)) for p in self.patients(include_archived=include_archived)]
        rows.sort(key=lambda row: (*schedule.urgency(row[1]), row[0].name.casefold()))
        return rows

    # -- changing -----------------------------------------------------------------------

    def add_patient(self, patient: Patient, today: date, *, by: str = "") -> Patient:
        patient = replace(patient, id=patient.id or new_id("P"))
        if patient.id in self._patients:
            raise ValidationError({"id": f"{patient.id} is already in use"})
        validation.check(validation.patient_problems(patient, today), patient.id)
        return self._save_patient(patient, "create", by=by, reason="")

    def update_patient(self, patient: Patient, today: date, *, reason: str, by: str = "",
                       action: str = "amend") -> Patient:
        """Save changed patient details as a new revision; the old version stays in history."""
        held = self.patient(patient.id)
        validation.check(validation.patient_problems(patient, today), patient.id)
        return self._save_patient(replace(patient, history=held.history), action, by=by,
                                  reason=reason)

    def set_course_status(self, patient_id: str, status: CourseStatus, on: date, *,
                          reason: str, by: str = "") -> Patient:
        """Pause, stop or resume a course from `on`, with the reason recorded."""
        held = self.patient(patient_id)
        if status is held.status:
            raise ValidationError({"status": f"the course is already {status.value}"}, patient_id)
        if held.course and on < held.course[-1].on:
            raise ValidationError({"on": f"is before the last change ({held.course[-1].on})"},
                                  patient_id)
        changed = replace(held, course=(*held.course, CourseEvent(status, on, reason.strip())))
        validation.check(validation.patient_problems(changed, on), patient_id)
        return self._save_patient(changed, "status", by=by, reason=reason or status.value)

    def set_archived(self, patient_id: str, archived: bool, *, reason: str, by: str = "") -> Patient:
        held = self.patient(patient_id)
        if held.archived == archived:
            state = "archived" if archived else "not archived"
            raise ValidationError({"archived": f"the patient is already {state}"}, patient_id)
        return self._save_patient(replace(held, archived=archived),
                                  "archive" if archived else "unarchive", by=by, reason=reason)

    def log_session(self, session: Session, today: date, *, by: str = "") -> Session:
        session = replace(session, id=session.id or new_id("S"))
        if session.id in self._sessions:
            raise ValidationError({"id": f"{session.id} is already in use"})
        patient = self.patient(session.patient_id)
        problems = validation.session_problems(session, patient, today)
        if patient.consent_on(session.date) is None and not session.consent_override:
            problems["consent"] = (f"no consent to off-label treatment is in force on "
                                   f"{session.date}; record consent, or confirm the override")
        validation.check(problems, session.id)
        return self._save_session(session, "create", by=by or session.practitioner, reason="")

    def amend_session(self, session: Session, today: date, *, reason: str, by: str = "") -> Session:
        """Save a corrected session; the version it replaces stays in its history."""
        held = self.session(session.id)
        if held.voided:
            raise ValidationError({"voided": "a voided session cannot be amended"}, session.id)
        if session.patient_id != held.patient_id:
            raise ValidationError({"patient_id": "a session cannot move to another patient"},
                                  session.id)
        validation.check(validation.session_problems(session, self.patient(held.patient_id),
                                                     today), session.id)
        return self._save_session(replace(session, history=held.history), "amend", by=by,
                                  reason=reason)

    def void_session(self, session_id: str, *, reason: str, by: str = "") -> Session:
        """Mark a session void: kept and shown, but no longer counted toward the schedule."""
        held = self.session(session_id)
        if held.voided:
            raise ValidationError({"voided": "the session is already voided"}, session_id)
        return self._save_session(held, "void", by=by, reason=reason)

    def save_settings(self, settings: Settings, *, reason: str = "settings changed",
                      by: str = "") -> Settings:
        validation.check(validation.settings_problems(settings), "settings")
        table = self._db.table("settings")
        held = table.get(doc_id=1)
        previous = tuple(history.Revision.from_doc(r) for r in held["history"]) if held else ()
        revisions = history.append(previous, "amend" if previous else "create",
                                   settings.to_data(), at=self._now(), by=by,
                                   reason=reason if previous else "")
        doc = {"id": "settings", "history": [r.to_doc() for r in revisions]}
        with self._committing():
            table.upsert(_with_id(doc, 1))
        self._settings = settings
        return settings

    def bulk_load(self, patients: list[Patient], sessions: list[Session],
                  settings: Settings | None = None,
                  evaluations: list[Evaluation] | None = None) -> None:
        """Write many already-revisioned records in one save (demo clinics, benchmarks, import)."""
        try:
            with self._committing():
                if settings is not None:
                    self.save_settings(settings, reason="loaded")
                self._db.table("patients").insert_multiple(
                    {"id": p.id, "history": [r.to_doc() for r in p.history]} for p in patients)
                self._db.table("sessions").insert_multiple(
                    {"id": s.id, "patient_id": s.patient_id,
                     "history": [r.to_doc() for r in s.history]} for s in sessions)
                self._db.table("evaluations").insert_multiple(
                    {"id": e.id, "patient_id": e.patient_id,
                     "history": [r.to_doc() for r in e.history]} for e in evaluations or ())
        finally:
            self._load()

    def pseudonym_key(self, *, create: bool = True) -> bytes | None:
        """The clinic's secret for pseudonymised exports: random, made once, kept in the file.

        Returns None when the file has no key yet and one cannot be made here (read-only).
        Future migrations must carry meta's `pseudonym_key` over, or pseudonyms change.
        """
        import secrets

        meta = self._db.table("meta")
        held = meta.get(doc_id=1)
        key = held.get("pseudonym_key") if isinstance(held, dict) else None
        if isinstance(key, str) and len(key) == 64:
            return bytes.fromhex(key)
        if not create or self.readonly:
            return None
        key = secrets.token_hex(32)
        with self._committing():
            if held is not None:
                meta.update({"pseudonym_key": key}, doc_ids=[1])
            else:
                meta.insert({"schema_version": SCHEMA_VERSION, "pseudonym_key": key})
        return bytes.fromhex(key)

    def record_consent(self, patient_id: str, consent: Consent, today: date, *,
                       by: str = "") -> Patient:
        """Record informed consent for off-label treatment (a new revision of the patient)."""
        held = self.patient(patient_id)
        changed = replace(held, consents=(*held.consents, consent))
        validation.check(validation.patient_problems(changed, today), patient_id)
        return self._save_patient(changed, "amend", by=by or consent.taken_by,
                                  reason=f"consent recorded ({consent.form_version or 'no form ref'})")

    def withdraw_consent(self, patient_id: str, on: date, today: date, *, reason: str,
                         by: str = "") -> Patient:
        """Record that the current consent was withdrawn on `on`."""
        held = self.patient(patient_id)
        current = held.consent_on(on)
        if current is None:
            raise ValidationError({"consent": f"no consent is in force on {on}"}, patient_id)
        withdrawn = replace(current, withdrawn_on=on, withdrawal_reason=reason.strip())
        consents = tuple(withdrawn if c is current else c for c in held.consents)
        changed = replace(held, consents=consents)
        validation.check(validation.patient_problems(changed, today), patient_id)
        return self._save_patient(changed, "amend", by=by, reason=reason or "consent withdrawn")

    def record_evaluation(self, evaluation: Evaluation, today: date, *, by: str = "") -> Evaluation:
        """Save a course evaluation; a "stop" decision also stops the course, in the same save."""
        evaluation = replace(evaluation, id=evaluation.id or new_id("E"))
        if evaluation.id in self._evaluations:
            raise ValidationError({"id": f"{evaluation.id} is already in use"})
        patient = self.patient(evaluation.patient_id)
        validation.check(validation.evaluation_problems(evaluation, patient, today), evaluation.id)
        by = by or evaluation.practitioner
        with self._committing():
            saved = self._save_evaluation(evaluation, "create", by=by, reason="")
            if evaluation.decision is Decision.STOP and patient.status is not CourseStatus.STOPPED:
                stop = CourseEvent(CourseStatus.STOPPED, evaluation.date,
                                   f"evaluation: {evaluation.stop_reason}".strip())
                self._save_patient(replace(patient, course=(*patient.course, stop)), "status",
                                   by=by, reason="course stopped at evaluation")
        return saved

    def amend_evaluation(self, evaluation: Evaluation, today: date, *, reason: str,
                         by: str = "") -> Evaluation:
        held = self.evaluation(evaluation.id)
        if held.voided:
            raise ValidationError({"voided": "a voided evaluation cannot be amended"}, held.id)
        validation.check(validation.evaluation_problems(
            evaluation, self.patient(held.patient_id), today), held.id)
        return self._save_evaluation(replace(evaluation, patient_id=held.patient_id,
                                             history=held.history), "amend", by=by, reason=reason)

    def void_evaluation(self, evaluation_id: str, *, reason: str, by: str = "") -> Evaluation:
        held = self.evaluation(evaluation_id)
        if held.voided:
            raise ValidationError({"voided": "the evaluation is already voided"}, evaluation_id)
        return self._save_evaluation(held, "void", by=by, reason=reason)

    def revert(self, record_id: str, expected_hash: str, *, by: str = "",
               reason: str = "undone") -> Patient | Session:
        """Undo a record's last change with a new revision; history is never rewritten.

        A logged session is voided, an added patient archived; any other change is answered
        by an "undo" revision holding the content as it was before it (a void by "restore").

        Args:
            record_id: the patient or session whose last change to undo.
            expected_hash: the hash of the revision being undone, so a change made since
                (by this window or an import) is never undone by mistake.
        """
        record: Patient | Session | Evaluation = (self._patients.get(record_id)
                                                  or self._evaluations.get(record_id)
                                                  or self.session(record_id))
        last = record.history[-1]
        if last.hash != expected_hash:
            raise ValidationError({"undo": "the record changed since; nothing was undone"},
                                  record_id)
        if isinstance(record, Patient):
            if last.action == "create":
                return self._save_patient(replace(record, archived=True), "archive", by=by,
                                          reason=reason)
            previous = Patient.from_data(record.id, record.history[-2].data, record.history)
            return self._save_patient(previous, "undo", by=by, reason=reason)
        save = self._save_session if isinstance(record, Session) else self._save_evaluation
        if last.action == "create":
            return save(record, "void", by=by, reason=reason)  # type: ignore[arg-type]
        previous = type(record).from_data(record.id, record.history[-2].data, record.history)
        return save(previous, "restore" if last.action == "void" else "undo",  # type: ignore[arg-type]
                    by=by, reason=reason)

    def revert_all(self, changes: list[tuple[str, str]], *, by: str = "",
                   reason: str = "undone") -> list[Record]:
        """Undo one save that changed several records (newest first), as one save."""
        with self._committing():
            return [self.revert(record_id, expected, by=by, reason=reason)
                    for record_id, expected in reversed(changes)]

    def altered(self, record_id: str) -> list[str]:
        """What is wrong with a record's revision chain: non-empty if edited outside mesotui."""
        record = (self._patients.get(record_id) or self._evaluations.get(record_id)
                  or self.session(record_id))
        return history.verify(record.history)

    # -- internals ----------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock()

    @contextmanager
    def _committing(self) -> Iterator[None]:
        """Group TinyDB writes into one durable save; on failure nothing changes, anywhere."""
        if self.readonly:
            raise ReadOnlyStore(f"{self.path.name if self.path else 'the record'} is open read-only")
        self._txn.depth += 1
        try:
            yield
        except BaseException:
            self._txn.depth -= 1
            if not self._txn.depth:
                self._abandon()
            raise
        self._txn.depth -= 1
        if self._txn.depth:
            return
        if self._txn.pending is not None:
            try:
                self._txn.inner.write(self._txn.pending)
            except BaseException:
                self._abandon()
                raise
            self._txn.pending = None
        self._publish()

    def _abandon(self) -> None:
        self._txn.pending = None
        self._staged.clear()
        self._staged_ids.clear()
        if isinstance(self._txn.inner, DurableStorage):
            self._txn.inner.forget()
        self._db.clear_cache()
        for name in TABLES:  # TinyDB keeps a next-id counter per table instance
            self._db.table(name)._next_id = None  # noqa: SLF001 - reset after a rollback

    def _save_patient(self, patient: Patient, action: str, *, by: str, reason: str) -> Patient:
        return self._save("patients", patient, action, by=by, reason=reason)

    def _save_session(self, session: Session, action: str, *, by: str, reason: str) -> Session:
        return self._save("sessions", session, action, by=by, reason=reason)

    def _save_evaluation(self, evaluation: Evaluation, action: str, *, by: str,
                         reason: str) -> Evaluation:
        return self._save("evaluations", evaluation, action, by=by, reason=reason)

    def _save(self, table_name: str, record: Record, action: str, *, by: str, reason: str
              ) -> Any:
        """Append a revision to `record` and stage it; memory changes only once it is on disk."""
        revisions = history.append(record.history, action, record.to_data(), at=self._now(),
                                   by=by, reason=reason)
        saved = replace(record, history=revisions)
        doc: dict[str, Any] = {"id": saved.id, "history": [r.to_doc() for r in revisions]}
        if not isinstance(saved, Patient):
            doc["patient_id"] = saved.patient_id
        table = self._db.table(table_name)
        with self._committing():
            doc_id = self._doc_ids.get(saved.id) or self._staged_ids.get(saved.id)
            if doc_id is not None:
                table.update(doc, doc_ids=[doc_id])
            else:
                self._staged_ids[saved.id] = table.insert(doc)
            self._staged.append(saved)
        return saved

    def _publish(self) -> None:
        """A save reached the disk: bring the in-memory index up to date and tell the listener."""
        staged, self._staged = self._staged, []
        self._doc_ids.update(self._staged_ids)
        self._staged_ids.clear()
        for record in staged:
            self._index(record)
        if staged and self.on_saved is not None:
            self.on_saved(tuple(staged))

    def _index(self, record: Record) -> None:
        if isinstance(record, Patient):
            self._patients[record.id] = record
            self._by_patient.setdefault(record.id, [])
        elif isinstance(record, Session):
            if record.id not in self._sessions:
                self._by_patient.setdefault(record.patient_id, []).append(record.id)
            self._sessions[record.id] = record
        else:
            if record.id not in self._evaluations:
                self._evaluations_of.setdefault(record.patient_id, []).append(record.id)
            self._evaluations[record.id] = record

    def _migrate(self) -> None:
        """Bring an older file up to SCHEMA_VERSION through MIGRATIONS, or stamp a new one."""
        data = self._txn.inner.read()
        meta = (data or {}).get("meta", {})
        version = next(iter(meta.values()), {}).get("schema_version") if meta else None
        if data and version is None and any(data.get(t) for t in ("patients", "sessions")):
            raise CorruptRecordFile(self.path or "record", "has records but no schema version")
        if version is not None and (not isinstance(version, int) or version > SCHEMA_VERSION):
            raise RecordFileError(self.path or "record",
                                  f"was written by a newer mesotui (schema {version}); update mesotui")
        if version == SCHEMA_VERSION or self.readonly:
            return
        if data is not None and version is not None:
            upgraded = json.loads(json.dumps(data))
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](upgraded)
            meta_doc = next(iter(upgraded["meta"].values()))  # keeps the pseudonym key
            meta_doc["schema_version"] = SCHEMA_VERSION
            with self._committing():
                self._txn.pending = upgraded
            return
        with self._committing():
            self._db.table("meta").insert({"schema_version": SCHEMA_VERSION,
                                           "created": self._now().isoformat(timespec="seconds")})

    def _load(self) -> None:
        """Build the in-memory index from the file; a record that does not parse is corruption."""
        data = self._txn.inner.read() or {}
        self._patients.clear()
        self._sessions.clear()
        self._doc_ids.clear()
        self._by_patient.clear()
        self._evaluations.clear()
        self._evaluations_of.clear()
        try:
            for doc_id, doc in data.get("patients", {}).items():
                patient = _parse(Patient, doc)
                self._patients[patient.id] = patient
                self._doc_ids[patient.id] = int(doc_id)
                self._by_patient.setdefault(patient.id, [])
            for doc_id, doc in data.get("sessions", {}).items():
                session = _parse(Session, doc)
                if session.patient_id not in self._patients:
                    raise ValidationError({"patient_id": f"{session.patient_id} is not a patient"},
                                          session.id)
                self._sessions[session.id] = session
                self._doc_ids[session.id] = int(doc_id)
                self._by_patient[session.patient_id].append(session.id)
            for doc_id, doc in data.get("evaluations", {}).items():
                evaluation = _parse(Evaluation, doc)
                if evaluation.patient_id not in self._patients:
                    raise ValidationError({"patient_id": f"{evaluation.patient_id} is not a patient"},
                                          evaluation.id)
                self._evaluations[evaluation.id] = evaluation
                self._doc_ids[evaluation.id] = int(doc_id)
                self._evaluations_of.setdefault(evaluation.patient_id, []).append(evaluation.id)
            settings_doc = data.get("settings", {}).get("1")
            if settings_doc:
                self._settings = Settings.from_data(settings_doc["history"][-1]["data"])
        except (ValidationError, KeyError, TypeError, ValueError, IndexError) as error:
            raise CorruptRecordFile(self.path or "record", f"holds an unreadable record: {error}"
                                    ) from None


def _parse(model: type[Patient] | type[Session] | type[Evaluation], doc: Any) -> Any:
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise ValidationError({"id": "record without an id"})
    revisions = tuple(history.Revision.from_doc(r) for r in doc.get("history") or ())
    if not revisions:
        raise ValidationError({"history": "record without any revision"}, doc["id"])
    return model.from_data(doc["id"], revisions[-1].data, revisions)


def _with_id(doc: dict[str, Any], doc_id: int) -> Any:
    from tinydb.table import Document

    return Document(doc, doc_id=doc_id)
