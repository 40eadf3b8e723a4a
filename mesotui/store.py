"""The clinic service: the rules every change to the clinic's record obeys.

Each change is checked here (validation, consent in force before a session, a "stop"
evaluation stopping the course, a reason for every amendment), becomes a new revision of
each record it touches, and is saved as one durable save (mesotui/clinic/writer.py), whose
one signal every listener hears. Records are read through `Reader` (mesotui/clinic/) and
stored by the engine (mesotui/engine/), which knows nothing of patients. A TinyDB storage
can stand in for the file (`in_memory`): this is the only module that imports TinyDB.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesotui import history, schedule, validation
from mesotui.clinic import undo
from mesotui.clinic.opening import MIGRATIONS, migrate, open_engine
from mesotui.clinic.records import Record
from mesotui.clinic.rows import LAYOUT
from mesotui.clinic.writer import Saved, Writer
from mesotui.engine import Engine, record_path
from mesotui.engine.keys import ClinicKey
from mesotui.engine.lock import WriterLock
from mesotui.errors import ReadOnlyStore, ValidationError
from mesotui.evaluation import Consent, Evaluation
from mesotui.models import CourseEvent, Patient, Session, new_id
from mesotui.settings import Settings
from mesotui.vocab import CourseStatus, Decision

if TYPE_CHECKING:
    from tinydb.storages import Storage

SCHEMA_VERSION = 1
__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Record", "Saved", "Store", "record_path"]


class Store(Writer):
    """Patients, sessions, evaluations and settings; every change is a new revision.

    Build it with `Store.open(path)` (the record file) or `Store.in_memory()` (tests).
    """

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False,
             clock: Callable[[], datetime] | None = None, prove: bool = True,
             lock: WriterLock | None = None, clinic: ClinicKey | None = None) -> Store:
        """Open (or create) the record file; refuse a corrupt file or a second writer.

        Args:
            prove: wait until the start-up index is proven to describe the record file (and
                read it whole if not). The app passes False, starts Textual meanwhile, shows
                the list once `prove(quick=True)` vouches for the index, and calls `prove`
                again before anything else (every save waits for it anyway).
            lock: the file's lock, already held by the caller (a restore), who releases it.
            clinic: the clinic a new record file joins (another room of it; its key on this
                machine already), instead of a new clinic.

        Raises:
            RecordFileLocked: another mesotui holds the file (writers only).
            CorruptRecordFile: the file exists but cannot be read as a record, or it is
                missing while files beside it show it existed (MissingRecordFile).
        """
        engine = open_engine(path, readonly=readonly, prove=prove, lock=lock,
                             now=clock or (lambda: datetime.now(UTC)), schema=SCHEMA_VERSION,
                             clinic=clinic)
        try:
            return cls(engine, clock=clock)
        except BaseException:
            engine.close(fold=False)
            raise

    @classmethod
    def in_memory(cls, clock: Callable[[], datetime] | None = None,
                  storage: Storage | None = None) -> Store:
        """A store over a TinyDB storage (MemoryStorage by default): for tests and demos."""
        from tinydb.storages import MemoryStorage  # not needed to open a record file

        engine = Engine.memory(LAYOUT, storage or MemoryStorage())
        migrate(engine, clock or (lambda: datetime.now(UTC)), SCHEMA_VERSION)
        return cls(engine, clock=clock)

    def reseal(self, reason: str) -> str:
        """Seal the record anew with a new clinic key, when its own key is lost for good (see
        `Engine.reseal`); returns the new key's fingerprint.

        Raises:
            ValidationError: no reason was given.
            MesoError, WriteFailed: as `Engine.reseal`; nothing changed.
        """
        if not reason.strip():
            raise ValidationError({"reason": "say why the old key cannot be brought here"})
        return self.engine.reseal({"at": self.clock().isoformat(timespec="seconds"),
                                   "reason": reason.strip()})

    # -- patients -------------------------------------------------------------------------

    def add_patient(self, patient: Patient, today: date, *, by: str = "") -> Patient:
        patient = replace(patient, id=patient.id or new_id("P"))
        if patient.id in self.records.cards:
            raise ValidationError({"id": f"{patient.id} is already in use"})
        validation.check(validation.patient_problems(patient, today), patient.id)
        return self._save("patients", patient, "create", by=by, reason="")

    def update_patient(self, patient: Patient, today: date, *, reason: str, by: str = "",
                       action: str = "amend") -> Patient:
        """Save changed patient details as a new revision; the old version stays in history."""
        held = self.patient(patient.id)
        validation.check(validation.patient_problems(patient, today), patient.id)
        return self._save("patients", replace(patient, history=held.history), action, by=by,
                          reason=reason)

    def set_course_status(self, patient_id: str, status: CourseStatus, on: date, *,
                          reason: str, by: str = "", today: date | None = None) -> Patient:
        """Pause, stop or resume a course from `on` (not after `today`), with the reason."""
        held = self.patient(patient_id)
        today = today or on
        if on > today:
            raise ValidationError({"on": f"{on} is in the future; record the change on the day"},
                                  patient_id)
        if status is held.status:
            raise ValidationError({"status": f"the course is already {status.value}"}, patient_id)
        if held.course and on < held.course[-1].on:
            raise ValidationError({"on": f"is before the last change ({held.course[-1].on})"},
                                  patient_id)
        changed = replace(held, course=(*held.course, CourseEvent(status, on, reason.strip())))
        validation.check(validation.patient_problems(changed, today), patient_id)
        return self._save("patients", changed, "status", by=by, reason=reason or status.value)

    def set_archived(self, patient_id: str, archived: bool, *, reason: str,
                     by: str = "") -> Patient:
        held = self.patient(patient_id)
        if held.archived == archived:
            state = "archived" if archived else "not archived"
            raise ValidationError({"archived": f"the patient is already {state}"}, patient_id)
        return self._save("patients", replace(held, archived=archived),
                          "archive" if archived else "unarchive", by=by, reason=reason)

    def record_consent(self, patient_id: str, consent: Consent, today: date, *,
                       by: str = "") -> Patient:
        """Record informed consent for off-label treatment (a new revision of the patient)."""
        held = self.patient(patient_id)
        changed = replace(held, consents=(*held.consents, consent))
        validation.check(validation.patient_problems(changed, today), patient_id)
        return self._save("patients", changed, "amend", by=by or consent.taken_by,
                          reason=f"consent recorded ({consent.form_version or 'no form ref'})")

    def withdraw_consent(self, patient_id: str, on: date, today: date, *, reason: str,
                         by: str = "") -> Patient:
        """Record that the current consent was withdrawn on `on`.

        An active course is paused from then, in the same revision: no one is called back
        for a session they withdrew consent to (the due list, the calendar, the morning list
        all leave a paused course out). A new consent does not resume it; `c` does.
        """
        held = self.patient(patient_id)
        current = held.consent_on(on)
        if current is None:
            raise ValidationError({"consent": f"no consent is in force on {on}"}, patient_id)
        withdrawn = replace(current, withdrawn_on=on, withdrawal_reason=reason.strip())
        consents = tuple(withdrawn if c is current else c for c in held.consents)
        changed = replace(held, consents=consents)
        if held.status is CourseStatus.ACTIVE:
            since = max(on, held.course[-1].on) if held.course else on
            why = f"consent withdrawn: {reason.strip()}" if reason.strip() else "consent withdrawn"
            changed = replace(changed, course=(*held.course, CourseEvent(
                CourseStatus.PAUSED, since, why)))
        validation.check(validation.patient_problems(changed, today), patient_id)
        return self._save("patients", changed, "amend", by=by,
                          reason=reason or "consent withdrawn")

    # -- sessions ---------------------------------------------------------------------------

    def session_warnings(self, session: Session) -> list[str]:
        """Why a new session needs the practitioner's reason: a second one that day, or one
        well before the protocol's interval (the app asks, the command line wants --reason)."""
        patient = self.patient(session.patient_id)
        return validation.session_warnings(
            session, schedule.given(self.sessions_for(patient.id)), self.protocol_in_force(patient))

    def log_session(self, session: Session, today: date, *, by: str = "",
                    reason: str = "") -> Session:
        """Save a new session; `reason` (recorded on it) says why a warning was overridden."""
        session = replace(session, id=session.id or new_id("S"))
        if session.id in self.records.session_owners():
            raise ValidationError({"id": f"{session.id} is already in use"})
        patient = self.patient(session.patient_id)
        problems = validation.session_problems(session, patient, today)
        problems.update(_without_consent(patient, session))
        validation.check(problems, session.id)
        same_day = [s for s in self.sessions_for(patient.id)  # in course order
                    if s.date == session.date and s.history]
        return self._save("sessions", session, "create", by=by or session.practitioner,
                          reason=reason, after=same_day[-1].history[0].at if same_day else "")

    def amend_session(self, session: Session, today: date, *, reason: str, by: str = "") -> Session:
        """Save a corrected session; the version it replaces stays in its history."""
        held = self.session(session.id)
        if held.voided:
            raise ValidationError({"voided": "a voided session cannot be amended"}, session.id)
        if session.patient_id != held.patient_id:
            raise ValidationError({"patient_id": "a session cannot move to another patient"},
                                  session.id)
        patient = self.patient(held.patient_id)
        problems = validation.session_problems(session, patient, today)
        if session.date != held.date:
            problems.update(_without_consent(patient, session))
        validation.check(problems, session.id)
        return self._save("sessions", replace(session, history=held.history), "amend", by=by,
                          reason=reason)

    def void_session(self, session_id: str, *, reason: str, by: str = "") -> Session:
        """Mark a session void: kept and shown, but no longer counted toward the schedule."""
        held = self.session(session_id)
        if held.voided:
            raise ValidationError({"voided": "the session is already voided"}, session_id)
        return self._save("sessions", held, "void", by=by, reason=reason)

    # -- evaluations ------------------------------------------------------------------------

    def record_evaluation(self, evaluation: Evaluation, today: date, *, by: str = "",
                          reason: str = "") -> Evaluation:
        """Save a course evaluation; a "stop" decision also stops the course, in the same save."""
        evaluation = replace(evaluation, id=evaluation.id or new_id("E"))
        if evaluation.id in self.records.evaluations:
            raise ValidationError({"id": f"{evaluation.id} is already in use"})
        patient = self.patient(evaluation.patient_id)
        validation.check(validation.evaluation_problems(evaluation, patient, today), evaluation.id)
        by = by or evaluation.practitioner
        with self.saving():
            saved = self._save("evaluations", evaluation, "create", by=by, reason=reason)
            if evaluation.decision is Decision.STOP and patient.status is not CourseStatus.STOPPED:
                stop = CourseEvent(CourseStatus.STOPPED, evaluation.date,
                                   f"evaluation: {evaluation.stop_reason}".strip())
                self._save("patients", replace(patient, course=(*patient.course, stop)),
                           "status", by=by, reason="course stopped at evaluation")
        return saved

    def amend_evaluation(self, evaluation: Evaluation, today: date, *, reason: str,
                         by: str = "") -> Evaluation:
        held = self.evaluation(evaluation.id)
        if held.voided:
            raise ValidationError({"voided": "a voided evaluation cannot be amended"}, held.id)
        validation.check(validation.evaluation_problems(
            evaluation, self.patient(held.patient_id), today), held.id)
        return self._save("evaluations", replace(evaluation, patient_id=held.patient_id,
                                                 history=held.history), "amend", by=by,
                          reason=reason)

    def void_evaluation(self, evaluation_id: str, *, reason: str, by: str = "") -> Evaluation:
        held = self.evaluation(evaluation_id)
        if held.voided:
            raise ValidationError({"voided": "the evaluation is already voided"}, evaluation_id)
        return self._save("evaluations", held, "void", by=by, reason=reason)

    # -- undo -------------------------------------------------------------------------------

    def revert(self, record_id: str, expected_hash: str, *, by: str = "",
               reason: str = "undone") -> Record:
        """Undo a record's last change with a new revision; history is never rewritten
        (mesotui/clinic/undo.py says how each change is answered).

        Args:
            record_id: the patient, session or evaluation whose last change to undo.
            expected_hash: the hash of the revision being undone, so a change made since
                (by this window or an import) is never undone by mistake.
        """
        record = self.record(record_id)
        undone, action = undo.answer(record, expected_hash)
        table = ("patients" if isinstance(record, Patient) else
                 "sessions" if isinstance(record, Session) else "evaluations")
        return self._save(table, undone, action, by=by, reason=reason)

    def revert_all(self, changes: list[tuple[str, str]], *, by: str = "",
                   reason: str = "undone") -> list[Record]:
        """Undo one save that changed several records (newest first), as one save."""
        with self.saving():
            return [self.revert(record_id, expected, by=by, reason=reason)
                    for record_id, expected in reversed(changes)]

    # -- the clinic -------------------------------------------------------------------------

    def save_settings(self, settings: Settings, *, reason: str = "settings changed",
                      by: str = "") -> Settings:
        validation.check(validation.settings_problems(settings), "settings")
        held = self.engine.table("settings").get("1")
        previous = tuple(history.Revision.from_doc(r) for r in held["history"]) if held else ()
        revisions = history.append(previous, "amend" if previous else "create",
                                   settings.to_data(),
                                   at=history.not_before(previous, self.clock()), by=by,
                                   reason=reason if previous else "")
        with self.saving():
            self.engine.put("settings", "1", {"id": "settings",
                                              "history": [r.to_doc() for r in revisions]})
        return settings

    def pseudonym_key(self, *, create: bool = True) -> bytes | None:
        """The clinic's secret for pseudonymised exports: random, made once, kept in the file.

        Returns None when the file has no key yet and one cannot be made here (read-only).
        """
        meta = dict(self.engine.table("meta").get("1", {}))
        key = meta.get("pseudonym_key")
        if isinstance(key, str) and len(key) == 64:
            return bytes.fromhex(key)
        if not create or self.readonly:
            return None
        meta["pseudonym_key"] = secrets.token_hex(32)
        with self.saving():
            self.engine.put("meta", "1", meta)
        return bytes.fromhex(meta["pseudonym_key"])

    def bulk_load(self, patients: list[Patient], sessions: list[Session],
                  settings: Settings | None = None,
                  evaluations: list[Evaluation] | None = None) -> None:
        """Write many already-revisioned records in one save (demo clinics, benchmarks, import).

        The records are added with a checkpoint, not the journal: one whole, atomic write.
        """
        if self.readonly:
            raise ReadOnlyStore(self.engine.read_only_message())
        batch: dict[str, list[Any]] = {"patients": list(patients), "sessions": list(sessions),
                                       "evaluations": list(evaluations or ())}
        held = self.records.session_owners()  # every session's id is known before any is checked
        known = set(self.records.cards) | {p.id for p in patients}
        seen: set[str] = set()
        for table, records in batch.items():
            for record in records:
                if (record.id in self.records.cards or record.id in held
                        or record.id in self.records.evaluations or record.id in seen):
                    raise ValidationError({"id": f"{record.id} is already in use"}, record.id)
                seen.add(record.id)
                if table != "patients" and record.patient_id not in known:
                    raise ValidationError({"patient_id": f"{record.patient_id} is not a patient"},
                                          record.id)
        if settings is not None:
            self.save_settings(settings, reason="loaded")
        self._load(batch)


def _without_consent(patient: Patient, session: Session) -> dict[str, str]:
    """A session on a day with no consent in force needs the practitioner's override."""
    if patient.consent_on(session.date) is None and not session.consent_override:
        return {"consent": f"no consent to off-label treatment is in force on {session.date}; "
                           "record consent, or confirm the override"}
    return {}
