"""The clinic record: the only module that imports TinyDB; plain model objects in and out.

The record file keeps TinyDB's JSON layout (tables of documents keyed by doc id), so plain
`TinyDB(path)` reads it. TinyDB's own tables re-read and rewrite the whole file on every
operation, which cannot stay instant at clinic scale, so the store keeps an index in memory
and saves through a write-ahead journal (mesotui/recordfile.py); a TinyDB `Storage`
(MemoryStorage in tests) can stand in for the file. Records are parsed only when needed
(mesotui/image.py): the patient list is computed from a card and a standing per patient,
which the file's sidecar index keeps between runs, and the schedule from light summaries of
each session.
"""

from __future__ import annotations

import gc
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from tinydb.storages import Storage

from mesotui import clinickey, durable, findings, history, recordfile, schedule, sealing, validation
from mesotui.errors import (
    CorruptRecordFile,
    MesoError,
    NotFound,
    ReadOnlyStore,
    RecordFileError,
    ValidationError,
    WriteFailed,
)
from mesotui.evaluation import Consent, Evaluation
from mesotui.image import Encoded, Image
from mesotui.journal import Journal, StaleWriter, WriterLock
from mesotui.models import Card, CourseEvent, Patient, Protocol, Session, new_id
from mesotui.settings import Settings
from mesotui.sidecar import index_bytes
from mesotui.vocab import CourseStatus, Decision

SCHEMA_VERSION = 1
RESEALS_KEPT = 20
"""Reseals remembered in the record's meta (each one says when and why)."""
MIGRATIONS: dict[int, Callable[[dict[str, Any]], None]] = {}
"""Upgrades of raw file data, keyed by the version they upgrade *from* (1 → 2 is MIGRATIONS[1])."""

TABLES = ("meta", "settings", "patients", "sessions", "evaluations")
Record = Patient | Session | Evaluation
Change = recordfile.Change


def load_file(path: Path) -> dict[str, Any] | None:
    """The record as saved (checkpoint and journal); None when there is none; never when corrupt."""
    image = recordfile.load(record_path(path)).image
    return None if image is None else image.to_dict()


def record_path(path: str | Path) -> Path:
    """The record file's real path: symlinks followed, so its lock, journal, index, backups and
    writes all go beside the real file (a write would otherwise replace the link itself)."""
    return Path(os.path.realpath(Path(path).expanduser()))


def acquire_lock(path: Path) -> WriterLock:
    """Take the single-writer lock on `path` at once, or say who holds it.

    Raises:
        RecordFileLocked: another mesotui process has the file open.
    """
    return WriterLock(path)


Describe = recordfile.Describe


class _FileBackend:
    """Saves go to the journal; checkpoints rewrite the TinyDB file whole, and its index."""

    def __init__(self, path: Path, loaded: recordfile.Loaded, lock: WriterLock,
                 seal: sealing.Seal | None, unsealable: str | None) -> None:
        token = recordfile.checkpoint_token(loaded.image) if loaded.image else None
        self.journal = Journal(path, loaded.tail, token, loaded.identity, lock, seal,
                               unsealable)
        self.fold_at = recordfile.CHECKPOINT_EVERY

    def create(self, image: Image, changes: list[Change]) -> None:
        image.apply(changes)  # a new record file: written whole by the checkpoint that follows

    def commit(self, image: Image, changes: list[Change]) -> None:
        self.journal.append(changes)  # from here on the save is durable, whatever follows
        image.apply(changes)

    def settle(self, image: Image, describe: Describe) -> None:
        """Fold the journal into a new checkpoint once it is long enough."""
        if self.journal.entries >= self.fold_at:
            try:
                self.checkpoint(image, describe)
            except WriteFailed:
                # The journal still holds everything; fold again after another round of saves
                # rather than failing (and retrying) every save while the disk is full.
                self.fold_at = self.journal.entries + recordfile.CHECKPOINT_EVERY

    def checkpoint(self, image: Image, describe: Describe | None, bump: bool = False) -> None:
        self.journal.checkpoint(image, describe, bump=bump)
        self.fold_at = recordfile.CHECKPOINT_EVERY

    def pending(self) -> bool:
        return self.journal.entries > 0

    def close(self) -> None:
        self.journal.close()


class _StorageBackend:
    """Any TinyDB storage (MemoryStorage in tests): every save writes the whole data."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def create(self, image: Image, changes: list[Change]) -> None:
        self.commit(image, changes)

    def commit(self, image: Image, changes: list[Change]) -> None:
        image.apply(changes)
        self.storage.write(image.to_dict())

    def settle(self, image: Image, describe: Describe) -> None:
        pass

    def checkpoint(self, image: Image, describe: Describe | None, bump: bool = False) -> None:
        self.storage.write(image.to_dict())

    def pending(self) -> bool:
        return False

    def close(self) -> None:
        self.storage.close()


class _Summary(NamedTuple):
    """What the schedule and the lot searches need of a session, without parsing it.

    A named tuple: a large clinic builds tens of thousands of them when it first needs them.
    """

    id: str
    date: date
    voided: bool
    lot: str
    lot_expiry: str | None

    def to_row(self, doc_id: str, patient_id: str) -> list[Any]:
        return [doc_id, self.id, patient_id, self.date.isoformat(), self.voided, self.lot,
                self.lot_expiry]


def _summary(doc: dict[str, Any]) -> _Summary:
    last = doc["history"][-1]
    data = last["data"]
    return _Summary(doc["id"], date.fromisoformat(data["date"]), last["action"] == "void",
                    str(data.get("lot") or ""), data.get("lot_expiry"))


class Store:
    """Patients, sessions, evaluations and settings; every change is a new revision.

    Build it with `Store.open(path)` (the record file) or `Store.in_memory()` (tests).

    Args:
        data: the record as loaded (TinyDB layout), or None for a new one.
        backend: where saves go.
        clock: returns the current time (timezone-aware) for revision stamps.
        path: the record file, for messages; None for an in-memory store.
        lock: the held single-writer lock, released on close (None: the caller's to release).
    """

    def __init__(self, image: Image | None, backend: _FileBackend | _StorageBackend | None,
                 *, clock: Callable[[], datetime] | None = None, path: Path | None = None,
                 lock: WriterLock | None = None) -> None:
        self._image = image if image is not None else Image({})
        self._backend = backend
        self.clock = clock or (lambda: datetime.now(UTC))
        self.path = path
        self.readonly = backend is None
        self._lock = lock
        self._patients: dict[str, Patient] = {}
        """Patients parsed so far; `_cards` has every patient."""
        self._cards: dict[str, Card] = {}
        self._standings: dict[str, schedule.Standing] = {}
        """Each patient's standing, computed once and dropped when one of their records changes."""
        self._parsed: dict[str, Session] = {}
        self._summaries: dict[str, dict[str, _Summary]] = {}
        """Each patient's sessions; filled in when first needed (see `_sessions_known`)."""
        self._sessions_known = False
        self._knowing: Iterator[None] | None = None
        """Summarising the sessions, under way (see `prepare`)."""
        self._session_owner: dict[str, str] = {}
        self._evaluations: dict[str, Evaluation] = {}
        self._evaluations_of: dict[str, list[str]] = {}
        self._doc_ids: dict[str, str] = {}
        self._next_doc: dict[str, int] = {}
        self._settings = Settings()
        self._depth = 0
        self._changes: list[Change] = []
        self._staged: list[tuple[Record, str]] = []
        self.on_saved: Callable[[tuple[Record, ...]], None] | None = None
        """Called with the records of each save once it is on disk (the app's undo list)."""
        self.notes: list[str] = list(self._image.notes)
        """What to tell the user about how the record was read (one line each)."""
        self.integrity = sealing.State()
        """How far the file's integrity can be told here, and what its seals found."""
        self._seal: sealing.Seal | None = None
        self._migrate(image is None)
        self._load()

    # -- opening and closing ------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False,
             clock: Callable[[], datetime] | None = None, prove: bool = True,
             lock: WriterLock | None = None) -> Store:
        """Open (or create) the record file; refuse a corrupt file or a second writer.

        Args:
            prove: wait until the start-up index is proven to describe the record file (and
                read it whole if not). The app passes False, starts Textual meanwhile, and
                calls `prove` before it shows anything.
            lock: the file's lock, already held by the caller (a restore), who releases it.

        Raises:
            RecordFileLocked: another mesotui holds the file (writers only).
            CorruptRecordFile: the file exists but cannot be read as a record, or it is
                missing while files beside it show it existed (MissingRecordFile).
        """
        path = record_path(path)
        if readonly:
            loaded = recordfile.load(path, prove=prove)
            if loaded.image is None:
                raise RecordFileError(path, "does not exist")
            store = cls(loaded.image, None, clock=clock, path=path)
            store._sealed(*sealing.open_seal(path, loaded))
            return store
        durable.make_private_dir(path.parent)
        held = lock or acquire_lock(path)
        try:
            durable.remove_stale_temp_files(path)
            loaded = recordfile.load(path, prove=prove)
            state, seal = (sealing.open_seal(path, loaded) if loaded.image
                           else (sealing.State(), None))
            backend = _FileBackend(path, loaded, held, seal, findings.unsealable(state, path))
            store = cls(loaded.image, backend, clock=clock, path=path,
                        lock=None if lock else held)
            store._sealed(state, seal)
            if state.status == "unsealed":  # a new clinic, or one from before seals
                store._seal_first(new=loaded.image is None)
            elif state.status == "sealed":
                clinickey.remember_path(path, state.clinic)
            return store
        except BaseException:
            if lock is None:
                held.release()
            raise

    def _sealed(self, state: sealing.State, seal: sealing.Seal | None) -> None:
        self.integrity, self._seal = state, seal
        self.notes.extend(findings.notes(state, self.path or Path("record")))
        if isinstance(self._backend, _FileBackend):
            self._backend.journal.seal = seal
            self._backend.journal.unsealable = findings.unsealable(state, self.path or Path())

    def _seal_first(self, *, new: bool) -> None:
        """Seal the record file for the first time, in a checkpoint of its own: a new clinic's
        first save, or (once) a clinic made before seals. If that cannot be written now (a
        full disk), an old file is sealed at a later open instead."""
        assert isinstance(self._backend, _FileBackend) and self.path is not None
        journal = self._backend.journal
        journal.seal = self._seal = sealing.begin(self.path, self._image, self.integrity,
                                                  journal.seq + 1)
        try:
            self._backend.checkpoint(self._image, self._describe, bump=True)
        except WriteFailed:
            if new:
                raise
            clinickey.forget(journal.seal.key)
            journal.seal = self._seal = None
            self.integrity = sealing.State()
            return
        clinickey.remember_path(self.path, self.integrity.clinic)
        if not new:
            self.notes.append(findings.first_note(self.path, journal.seal.count))

    def reseal(self, reason: str) -> str:
        """Seal the record anew with a new clinic key, when its own key is lost for good.

        The file is sealed as it stands, in a checkpoint of its own, and the new seal records
        when, why and which key it replaced (meta `resealed`): changes made outside mesotui
        before now can no longer be detected, and `check` says so.

        Returns:
            The new key's fingerprint.

        Raises:
            MesoError: the file's key is on this machine (nothing to do), or it is not sealed.
            ValidationError: no reason was given.
            WriteFailed: the new seal could not be written; nothing changed.
        """
        if not isinstance(self._backend, _FileBackend) or self.path is None:
            raise ReadOnlyStore(self._read_only_message())
        if self.integrity.status != "no-key":
            raise MesoError(f"{self.path.name}: its clinic key is on this machine (or it is not "
                            "sealed yet), so it needs no new key; nothing was changed")
        if not reason.strip():
            raise ValidationError({"reason": "say why the old key cannot be brought here"})
        journal, lost = self._backend.journal, self.integrity.clinic
        meta = self._image.meta()
        before = meta.get("resealed")
        meta["resealed"] = [*(before or [])[-RESEALS_KEPT + 1:],
                            {"at": self._now().isoformat(timespec="seconds"),
                             "from_clinic": lost, "reason": reason.strip()}]
        journal.unsealable, self.integrity = None, sealing.State()
        try:
            self._seal_first(new=True)
        except BaseException:
            if journal.seal is not None:
                clinickey.forget(journal.seal.key)
            journal.seal = self._seal = None
            if before is None:
                meta.pop("resealed", None)
            else:
                meta["resealed"] = before
            self.integrity = sealing.State(status="no-key", clinic=lost)
            journal.unsealable = findings.unsealable(self.integrity, self.path)
            raise
        assert journal.seal is not None
        return journal.seal.key.fingerprint

    def prove(self) -> None:
        """Make sure nothing of an unproven start-up index is used (see `open`): if it does not
        describe the record file, read the file whole instead, and say so in `notes`."""
        if self.path is not None and self._image.unproven() is not None:
            self._reread(None)

    def _reread(self, why: str | None) -> None:
        """Read the record file again, whole (the index it was read through cannot be used)."""
        assert self.path is not None
        if self._changes or self._staged:
            raise CorruptRecordFile(self.path, "its index could not be used mid-save; "
                                               "open the file again")
        loaded = recordfile.load(self.path, use_index=why is None)
        if loaded.image is None:
            raise RecordFileError(self.path, "does not exist")
        self._image = loaded.image
        self.notes.extend(loaded.image.notes)
        self._sealed(*sealing.open_seal(self.path, loaded))
        if why is not None:
            self.notes.append(f"{self.path.name}.index was ignored ({why}); the record file "
                              "was read whole")
        self._load()

    @classmethod
    def in_memory(cls, clock: Callable[[], datetime] | None = None,
                  storage: Storage | None = None) -> Store:
        """A store over a TinyDB storage (MemoryStorage by default): for tests and demos."""
        from tinydb.storages import MemoryStorage  # not needed to open a record file

        storage = storage or MemoryStorage()
        data = storage.read()
        return cls(None if data is None else Image(data), _StorageBackend(storage), clock=clock)

    def close(self) -> None:
        """Fold the journal into the record file (if that fails, the journal keeps it all).

        Raises:
            StaleWriter: another writer may have written the file meanwhile (a deleted lock,
                a replaced file): nothing was written over it, and this says so.
        """
        backend, self._backend = self._backend, None
        try:
            if backend is not None and backend.pending():
                backend.checkpoint(self._image, self._describe)
            elif isinstance(backend, _FileBackend) and self._image.catalogue is None:
                # Read whole (no index, or one that failed): leave an index for the next
                # start, written beside the file as it is; the file itself is not rewritten.
                backend.journal.index_only(self._image, self._describe)
        except StaleWriter:
            raise
        except WriteFailed:
            pass  # nothing is lost: the next open replays the journal
        finally:
            if backend is not None:
                backend.close()
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
        with recordfile.no_gc():
            return [self.patient(card.id) for card in self._cards.values()
                    if include_archived or not card.archived]

    def patient(self, patient_id: str) -> Patient:
        if patient_id not in self._patients:
            if patient_id not in self._cards:
                raise NotFound(f"no patient has the id {patient_id!r}")
            self._patients[patient_id] = self._read(Patient, "patients", patient_id)
        return self._patients[patient_id]

    def cards(self, *, include_archived: bool = True) -> list[Card]:
        """What the patient list shows of each patient, without reading whole records."""
        return [c for c in self._cards.values() if include_archived or not c.archived]

    def session(self, session_id: str) -> Session:
        if session_id not in self._parsed:
            if session_id not in self._session_ids():
                raise NotFound(f"no session has the id {session_id!r}")
            self._parsed[session_id] = self._read(Session, "sessions", session_id)
        return self._parsed[session_id]

    def sessions_for(self, patient_id: str, *, include_voided: bool = True) -> list[Session]:
        """One patient's sessions in date order, voided ones included unless asked not to."""
        with recordfile.no_gc():
            found = [self.session(s) for s in self._sessions_of(patient_id)]
        found.sort(key=lambda s: (s.date, s.id))
        return found if include_voided else [s for s in found if not s.voided]

    def session_documents(self, patient_id: str) -> list[dict[str, Any]]:
        """One patient's sessions as stored (id, patient and revision documents), by date.

        For a whole-clinic export, which then need not parse every session into a model.
        """
        summaries = sorted(self._sessions_of(patient_id).values(), key=lambda s: (s.date, s.id))
        return self._image.docs("sessions", [self._doc_ids[s.id] for s in summaries])

    def sessions(self) -> list[Session]:
        with recordfile.no_gc():
            return [self.session(s) for s in self._session_ids()]

    def sessions_by_lot(self, lot: str) -> list[tuple[Patient, Session]]:
        """Every session given from `lot` (case-insensitive), voided ones included, by date."""
        wanted = lot.strip().casefold()
        hits = [self.session(summary.id) for summary in self._all_summaries()
                if summary.lot.strip().casefold() == wanted]
        return sorted(((self.patient(s.patient_id), s) for s in hits),
                      key=lambda hit: (hit[1].date, hit[0].name))

    def recent_lots(self, limit: int = 8) -> list[tuple[str, date | None]]:
        """The lots most recently used, newest first, with their expiry, for a quick pick."""
        latest: dict[str, tuple[date, str | None]] = {}
        for summary in self._all_summaries():
            lot, day = summary.lot, summary.date
            if lot and not summary.voided and (lot not in latest or day > latest[lot][0]):
                latest[lot] = (day, summary.lot_expiry)
        newest = sorted(latest.items(), key=lambda item: item[1][0], reverse=True)[:limit]
        return [(lot, date.fromisoformat(expiry) if expiry else None)
                for lot, (_day, expiry) in newest]

    def protocol_for(self, patient: Patient) -> Protocol:
        return patient.protocol or self._settings.protocol

    def protocol_in_force(self, patient: Patient) -> Protocol:
        """The plan that schedules the next sessions: after a maintenance decision, its interval."""
        return schedule.effective_protocol(self.protocol_for(patient),
                                           self.evaluations_for(patient.id))

    def outlook(self, patient: Patient | Card, today: date) -> schedule.Outlook:
        """Where `patient` stands on `today`; a Patient not as stored (a draft) is judged as is."""
        if isinstance(patient, Patient) and self._patients.get(patient.id) is not patient:
            standing = self._standing_of(patient)
        else:
            standing = self.standing(patient.id)
        return standing.on(today, self._settings.due_soon_days)

    def standing(self, patient_id: str) -> schedule.Standing:
        """Where the patient's course stands, whatever the day (kept until their records change)."""
        held = self._standings.get(patient_id)
        if held is None:
            held = self._standings[patient_id] = self._standing_of(self.patient(patient_id))
        return held

    def _standing_of(self, patient: Patient) -> schedule.Standing:
        sessions = self._sessions_by_patient().get(patient.id, {}).values()
        return schedule.standing(patient, sessions,  # type: ignore[arg-type]
                                 self.protocol_for(patient), self.evaluations_for(patient.id))

    def evaluation(self, evaluation_id: str) -> Evaluation:
        try:
            return self._evaluations[evaluation_id]
        except KeyError:
            raise NotFound(f"no evaluation has the id {evaluation_id!r}") from None

    def evaluations_for(self, patient_id: str, *, include_voided: bool = True) -> list[Evaluation]:
        """One patient's course evaluations in date order."""
        found = sorted((self._evaluations[e] for e in self._evaluations_of.get(patient_id, ())),
                       key=schedule.evaluation_order)
        return found if include_voided else [e for e in found if not e.voided]

    def evaluations(self) -> list[Evaluation]:
        return list(self._evaluations.values())

    def overview(self, today: date, *, include_archived: bool = False
                 ) -> list[tuple[Patient, schedule.Outlook]]:
        """Patients with where they stand, most urgent first (overdue, then soonest due)."""
        return [(self.patient(card.id), view)
                for card, view in self.board(today, include_archived=include_archived)]

    def board(self, today: date, *, include_archived: bool = False
              ) -> list[tuple[Card, schedule.Outlook]]:
        """`overview` for the patient list: cards, not whole records, so it is quick to start."""
        due_soon, standing, rank = self._settings.due_soon_days, self.standing, schedule.RANK
        with recordfile.no_gc():
            views = [(card, standing(card.id).on(today, due_soon))
                     for card in self.cards(include_archived=include_archived)]
            # `schedule.urgency`, then the name, as plain tuples: sorted without a Python call
            # per comparison (the place in `views` breaks ties, so cards are never compared).
            keyed = [(rank[view.status], view.next_due or date.max, card.name.casefold(), n)
                     for n, (card, view) in enumerate(views)]
        keyed.sort()
        return [views[key[3]] for key in keyed]

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
        return self._save_patient(changed, "status", by=by, reason=reason or status.value)

    def set_archived(self, patient_id: str, archived: bool, *, reason: str,
                     by: str = "") -> Patient:
        held = self.patient(patient_id)
        if held.archived == archived:
            state = "archived" if archived else "not archived"
            raise ValidationError({"archived": f"the patient is already {state}"}, patient_id)
        return self._save_patient(replace(held, archived=archived),
                                  "archive" if archived else "unarchive", by=by, reason=reason)

    def log_session(self, session: Session, today: date, *, by: str = "",
                    reason: str = "") -> Session:
        """Save a new session; `reason` (recorded on it) says why a warning was overridden."""
        session = replace(session, id=session.id or new_id("S"))
        if session.id in self._session_ids():
            raise ValidationError({"id": f"{session.id} is already in use"})
        patient = self.patient(session.patient_id)
        problems = validation.session_problems(session, patient, today)
        if patient.consent_on(session.date) is None and not session.consent_override:
            problems["consent"] = (f"no consent to off-label treatment is in force on "
                                   f"{session.date}; record consent, or confirm the override")
        validation.check(problems, session.id)
        return self._save_session(session, "create", by=by or session.practitioner,
                                  reason=reason)

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
        if (session.date != held.date and patient.consent_on(session.date) is None
                and not session.consent_override):
            problems["consent"] = (f"no consent to off-label treatment is in force on "
                                   f"{session.date}; record consent, or confirm the override")
        validation.check(problems, session.id)
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
        held = self._image.tables.get("settings", {}).get("1")
        previous = tuple(history.Revision.from_doc(r) for r in held["history"]) if held else ()
        revisions = history.append(previous, "amend" if previous else "create",
                                   settings.to_data(), at=history.not_before(previous, self._now()),
                                   by=by, reason=reason if previous else "")
        with self._committing():
            self._changes.append(("settings", "1", {"id": "settings",
                                                    "history": [r.to_doc() for r in revisions]}))
        self._settings = settings
        self._standings.clear()  # the clinic's default protocol may have changed
        return settings

    def bulk_load(self, patients: list[Patient], sessions: list[Session],
                  settings: Settings | None = None,
                  evaluations: list[Evaluation] | None = None) -> None:
        """Write many already-revisioned records in one save (demo clinics, benchmarks, import).

        The records are added with a checkpoint, not the journal: one whole, atomic write.
        """
        if self._backend is None:
            raise ReadOnlyStore(self._read_only_message())
        batch = {"patients": list(patients), "sessions": list(sessions),
                 "evaluations": list(evaluations or ())}
        self._session_ids()  # every session's id is known before any is checked
        known = set(self._cards) | {p.id for p in patients}
        seen: set[str] = set()
        for table, records in batch.items():
            for record in records:
                if record.id in self._doc_ids or record.id in seen:
                    raise ValidationError({"id": f"{record.id} is already in use"}, record.id)
                seen.add(record.id)
                if table != "patients" and record.patient_id not in known:
                    raise ValidationError({"patient_id": f"{record.patient_id} is not a patient"},
                                          record.id)
        if settings is not None:
            self.save_settings(settings, reason="loaded")
        image, previous = self._image.copy(), self._image
        image.apply((table, self._new_doc_id(table), _document(record))
                    for table, records in batch.items() for record in records)
        self._next_doc.clear()
        self._image = image
        try:
            self._load()  # first, so the new checkpoint's index describes the new records
            self._backend.checkpoint(image, self._describe, bump=True)
        except BaseException:
            self._image = previous
            self._load()
            raise

    def pseudonym_key(self, *, create: bool = True) -> bytes | None:
        """The clinic's secret for pseudonymised exports: random, made once, kept in the file.

        Returns None when the file has no key yet and one cannot be made here (read-only).
        """
        meta = dict(self._image.tables.get("meta", {}).get("1", {}))
        key = meta.get("pseudonym_key")
        if isinstance(key, str) and len(key) == 64:
            return bytes.fromhex(key)
        if not create or self.readonly:
            return None
        meta["pseudonym_key"] = secrets.token_hex(32)
        with self._committing():
            self._changes.append(("meta", "1", meta))
        return bytes.fromhex(meta["pseudonym_key"])

    def record_consent(self, patient_id: str, consent: Consent, today: date, *,
                       by: str = "") -> Patient:
        """Record informed consent for off-label treatment (a new revision of the patient)."""
        held = self.patient(patient_id)
        changed = replace(held, consents=(*held.consents, consent))
        validation.check(validation.patient_problems(changed, today), patient_id)
        return self._save_patient(changed, "amend", by=by or consent.taken_by,
                                  reason="consent recorded "
                                         f"({consent.form_version or 'no form ref'})")

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

    def record_evaluation(self, evaluation: Evaluation, today: date, *, by: str = "",
                          reason: str = "") -> Evaluation:
        """Save a course evaluation; a "stop" decision also stops the course, in the same save."""
        evaluation = replace(evaluation, id=evaluation.id or new_id("E"))
        if evaluation.id in self._evaluations:
            raise ValidationError({"id": f"{evaluation.id} is already in use"})
        patient = self.patient(evaluation.patient_id)
        validation.check(validation.evaluation_problems(evaluation, patient, today), evaluation.id)
        by = by or evaluation.practitioner
        with self._committing():
            saved = self._save_evaluation(evaluation, "create", by=by, reason=reason)
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
        record = self._record(record_id)
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
        """What is wrong with a record: its revision chain, and what the file's seals found
        about it (for a patient, about records of theirs gone from the file too); non-empty if
        it was changed outside mesotui."""
        return history.verify(self._record(record_id).history) + findings.about(
            self.integrity, record_id, patient=record_id in self._cards)

    def _record(self, record_id: str) -> Record:
        if record_id in self._cards:
            return self.patient(record_id)
        return self._evaluations.get(record_id) or self.session(record_id)

    # -- internals ----------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock()

    def _read_only_message(self) -> str:
        return f"{self.path.name if self.path else 'the record'} is open read-only"

    @contextmanager
    def _committing(self) -> Iterator[None]:
        """Group changes into one durable save; on failure nothing changes, anywhere."""
        if self._backend is None:
            raise ReadOnlyStore(self._read_only_message())
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if not self._depth:
                self._abandon()
            raise
        self._depth -= 1
        if self._depth:
            return
        changes, self._changes = self._changes, []
        if changes:
            try:
                self._backend.commit(self._image, changes)
            except BaseException:
                self._abandon()
                raise
        self._publish()
        if changes:
            self._backend.settle(self._image, self._describe)  # the index sees this save too

    def _abandon(self) -> None:
        """Nothing of a failed save reaches memory (doc ids handed out are simply skipped)."""
        self._changes.clear()
        self._staged.clear()

    def _save_patient(self, patient: Patient, action: str, *, by: str, reason: str) -> Patient:
        return self._save("patients", patient, action, by=by, reason=reason)

    def _save_session(self, session: Session, action: str, *, by: str, reason: str) -> Session:
        return self._save("sessions", session, action, by=by, reason=reason)

    def _save_evaluation(self, evaluation: Evaluation, action: str, *, by: str,
                         reason: str) -> Evaluation:
        return self._save("evaluations", evaluation, action, by=by, reason=reason)

    def _save(self, table: str, record: Record, action: str, *, by: str, reason: str) -> Any:
        """Append a revision to `record` and stage it; memory changes only once it is on disk."""
        at = history.not_before(record.history, self._now())
        revisions = history.append(record.history, action, record.to_data(), at=at, by=by,
                                   reason=reason)
        saved = replace(record, history=revisions)
        with self._committing():
            doc_id = self._doc_ids.get(saved.id) or self._pending_doc_id(table, saved.id)
            self._changes.append((table, doc_id, _document(saved)))
            self._staged.append((saved, doc_id))
        return saved

    def _pending_doc_id(self, table: str, record_id: str) -> str:
        for pending_table, doc_id, doc in self._changes:  # the same record twice in one save
            if pending_table == table and doc["id"] == record_id:
                return doc_id
        return self._new_doc_id(table)

    def _new_doc_id(self, table: str) -> str:
        """The next TinyDB doc id of `table` (TinyDB numbers documents 1, 2, 3...)."""
        if table not in self._next_doc:
            catalogue = self._image.catalogue
            known = catalogue.next_doc.get(table, 1) if catalogue else 1
            docs = self._image.tables.get(table, {}) if catalogue else self._image.doc_ids(table)
            held = [int(k) for k in docs if k.isdigit()]
            self._next_doc[table] = max(known, max(held, default=0) + 1)
        doc_id = self._next_doc[table]
        self._next_doc[table] += 1
        return str(doc_id)

    def _publish(self) -> None:
        """A save reached the disk: bring the in-memory index up to date and tell the listener."""
        staged, self._staged = self._staged, []
        for record, doc_id in staged:
            self._index(record, doc_id)
        if staged and self.on_saved is not None:
            self.on_saved(tuple(record for record, _doc_id in staged))

    def _index(self, record: Record, doc_id: str) -> None:
        self._doc_ids[record.id] = doc_id
        if isinstance(record, Patient):
            self._patients[record.id] = record
            self._cards[record.id] = Card.of(record)
            self._standings.pop(record.id, None)
            if self._sessions_known:
                self._summaries.setdefault(record.id, {})
            return
        self._standings.pop(record.patient_id, None)
        if isinstance(record, Session):
            self._sessions_of(record.patient_id)[record.id] = _Summary(
                record.id, record.date, record.voided, record.lot,
                record.lot_expiry.isoformat() if record.lot_expiry else None)
            self._session_owner[record.id] = record.patient_id
            self._parsed[record.id] = record
        else:
            if record.id not in self._evaluations:
                self._evaluations_of.setdefault(record.patient_id, []).append(record.id)
            self._evaluations[record.id] = record

    def _migrate(self, new: bool) -> None:
        """Bring an older file up to SCHEMA_VERSION through MIGRATIONS, or stamp a new one."""
        meta = self._image.tables.get("meta", {})
        meta_doc = next(iter(meta.values()), {}) if meta else {}
        if not isinstance(meta_doc, dict):
            raise CorruptRecordFile(self.path or "record", "has an unreadable meta table")
        version = meta_doc.get("schema_version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)
                                    or version < 1):
            raise CorruptRecordFile(self.path or "record",
                                    f"has an impossible schema version {version!r}")
        if not new and version is None and any(self._image.doc_ids(t) for t in ("patients",
                                                                               "sessions")):
            raise CorruptRecordFile(self.path or "record", "has records but no schema version")
        if version is not None and (not isinstance(version, int) or version > SCHEMA_VERSION):
            raise RecordFileError(self.path or "record",
                                  f"was written by a newer mesotui (schema {version}); "
                                  "update mesotui")
        if version == SCHEMA_VERSION or self.readonly:
            return
        if version is not None:
            data = self._image.to_dict()
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](data)
            meta_doc = dict(next(iter(data["meta"].values())))  # keeps the pseudonym key
            meta_doc["schema_version"] = SCHEMA_VERSION
            data["meta"] = {"1": meta_doc}
            self._image = Image(data)
            if self._backend is not None:
                # the old file is kept as a backup
                self._backend.checkpoint(self._image, None, bump=True)
            return
        if self._backend is None:
            raise ReadOnlyStore(self._read_only_message())
        self._backend.create(self._image, [("meta", "1", {
            "schema_version": SCHEMA_VERSION,
            "created": self._now().isoformat(timespec="seconds")})])

    def _load(self) -> None:
        """Build the in-memory index; a patient or evaluation that does not parse is corruption.

        Without a sidecar index every patient is parsed and every session summarised here;
        with one, cards, standings and places come from it and records are read on demand.
        """
        for held in (self._patients, self._cards, self._standings, self._parsed,
                     self._summaries, self._session_owner, self._evaluations,
                     self._evaluations_of, self._doc_ids, self._next_doc):
            held.clear()
        self._sessions_known, self._knowing = False, None
        try:
            with recordfile.no_gc():
                self._index_all(self._image)
            # The record's objects live as long as the store: keep them out of the garbage
            # collector's sight, or every later collection rescans millions of them (a
            # visible pause in a large clinic).
            gc.freeze()
        except (ValidationError, KeyError, TypeError, ValueError, IndexError) as error:
            raise CorruptRecordFile(self.path or "record", f"holds an unreadable record: {error}"
                                    ) from None

    def _index_all(self, image: Image) -> None:
        """Index every record of `image` (sessions only summarised, and only without an index)."""
        settings_doc = image.tables.get("settings", {}).get("1")
        if settings_doc:
            self._settings = Settings.from_data(settings_doc["history"][-1]["data"])
        if image.catalogue is not None:
            for doc_id, patient_id, card, standing in image.catalogue.patients:
                self._doc_ids[patient_id] = doc_id
                self._cards[patient_id] = card
                if standing is not None:
                    self._standings[patient_id] = standing
        for doc_id, doc in image.tables.get("patients", {}).items():  # changed since, or all
            patient = _parse(Patient, doc)
            self._patients[patient.id] = patient
            self._cards[patient.id] = Card.of(patient)
            self._doc_ids[patient.id] = doc_id
            self._standings.pop(patient.id, None)
        for doc in image.tables.get("sessions", {}).values():
            self._standings.pop(doc["patient_id"], None)
        for doc_id, doc in image.tables.get("evaluations", {}).items():
            evaluation = _parse(Evaluation, doc)
            if evaluation.patient_id not in self._cards:
                raise ValidationError({"patient_id": f"{evaluation.patient_id} is not a patient"},
                                      evaluation.id)
            self._evaluations[evaluation.id] = evaluation
            self._doc_ids[evaluation.id] = doc_id
            self._evaluations_of.setdefault(evaluation.patient_id, []).append(evaluation.id)
            if ("evaluations", doc_id) in image.changed:
                self._standings.pop(evaluation.patient_id, None)
        if ("settings", "1") in image.changed:
            self._standings.clear()
        if image.catalogue is None:
            for _step in self._know_sessions():  # the documents are parsed already: check now
                pass

    def prepare(self) -> Iterator[None]:
        """Read every session's summary a thousand at a time (the index's lines), pausing between.

        The app runs this between keystrokes once its list shows, so the first record opened
        is as quick as the rest; anything that needs the sessions sooner finishes it at once.
        """
        with suppress(CorruptRecordFile):  # said when a record is opened, where it can be shown
            while not self._sessions_known:
                if not self._step():
                    return
                yield

    def _sessions_by_patient(self) -> dict[str, dict[str, _Summary]]:
        while not self._sessions_known:
            self._step()
        return self._summaries

    def _step(self) -> bool:
        """One step of summarising the sessions; False once it is finished."""
        if self._knowing is None:
            self._knowing = self._know_sessions()
        try:
            next(self._knowing)
            return True
        except StopIteration:
            return False
        except _IndexRowsUnusable:
            self._knowing = None
            self._reread("it is damaged")
            return True
        except (ValidationError, KeyError, TypeError, ValueError, IndexError) as error:
            self._knowing = None
            raise CorruptRecordFile(self.path or "record",
                                    f"holds an unreadable record: {error}") from None

    def _know_sessions(self) -> Iterator[None]:
        """Summarise every session: from the index, and from documents changed since."""
        summaries: dict[str, dict[str, _Summary]] = {pid: {} for pid in self._cards}
        owner: dict[str, str] = {}
        catalogue = self._image.catalogue
        for chunk in _rows(catalogue):
            # Frozen as they are built: a collection between keystrokes never rescans them.
            try:
                with recordfile.no_gc(freeze=True):
                    for doc_id, session_id, patient_id, day, voided, lot, expiry in chunk:
                        summaries.setdefault(patient_id, {})[session_id] = _Summary(
                            session_id, date.fromisoformat(day), voided, lot, expiry)
                        owner[session_id] = patient_id
                        self._doc_ids[session_id] = doc_id
            except (KeyError, TypeError, ValueError, IndexError):
                raise _IndexRowsUnusable() from None  # the index's fault, not the record's
            yield
        for doc_id, doc in self._image.tables.get("sessions", {}).items():
            summary, patient_id = _summary(doc), doc["patient_id"]
            if patient_id not in summaries:
                raise ValidationError({"patient_id": f"{patient_id} is not a patient"},
                                      summary.id)
            summaries[patient_id][summary.id] = summary
            owner[summary.id] = patient_id
            self._doc_ids[summary.id] = doc_id
        for patient_id in self._cards:  # added while this ran
            summaries.setdefault(patient_id, {})
        self._summaries, self._session_owner = summaries, owner
        self._sessions_known = True
        self._knowing = None

    def _session_ids(self) -> dict[str, str]:
        """Every session's id, with its patient's."""
        self._sessions_by_patient()
        return self._session_owner

    def _sessions_of(self, patient_id: str) -> dict[str, _Summary]:
        return self._sessions_by_patient().setdefault(patient_id, {})

    def _all_summaries(self) -> Iterator[_Summary]:
        for summaries in self._sessions_by_patient().values():
            yield from summaries.values()

    def _read(self, model: type[Patient] | type[Session], table: str, record_id: str) -> Any:
        """Parse one record from the file's image; one that does not parse is corruption."""
        try:
            record = _parse(model, self._image.doc(table, self._doc_ids[record_id]))
        except (ValidationError, KeyError, TypeError, ValueError, IndexError) as error:
            raise CorruptRecordFile(self.path or "record",
                                    f"holds an unreadable record: {error}") from None
        if record.id != record_id:
            raise CorruptRecordFile(self.path or "record",
                                    f"holds {record.id} where {record_id} was expected")
        return record

    def _describe(self, encoded: Encoded, token: str) -> bytes:
        """The sidecar index of a checkpoint just written (see mesotui/image.py)."""
        with recordfile.no_gc():
            patients = [[self._doc_ids[pid], pid, card, self.standing(pid)]
                        for pid, card in self._cards.items()]
            sessions = [summary.to_row(self._doc_ids[summary.id], pid)
                        for pid, summaries in self._sessions_by_patient().items()
                        for summary in summaries.values()]
            key = self._seal.key.secret if self._seal else None  # the index is sealed too
            return index_bytes(encoded, token, patients, sessions, key)


class _IndexRowsUnusable(Exception):
    """A line of the start-up index's session rows does not parse: read the file whole."""


def _rows(catalogue: Any) -> Iterator[list[list[Any]]]:
    """The index's session rows a line at a time; a line that does not parse is the index's
    damage (`_IndexRowsUnusable`), never the record file's."""
    if catalogue is None:
        return
    chunks = catalogue.chunks()
    while True:
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except (ValueError, KeyError, TypeError, IndexError):
            raise _IndexRowsUnusable() from None
        yield chunk


def _document(record: Record) -> dict[str, Any]:
    """A record as stored: its id, its patient (sessions, evaluations) and its revisions."""
    doc: dict[str, Any] = {"id": record.id}
    if not isinstance(record, Patient):
        doc["patient_id"] = record.patient_id
    doc["history"] = [r.to_doc() for r in record.history]
    return doc


def _parse(model: type[Patient] | type[Session] | type[Evaluation], doc: Any) -> Any:
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise ValidationError({"id": "record without an id"})
    revisions = tuple(history.Revision.from_doc(r) for r in doc.get("history") or ())
    if not revisions:
        raise ValidationError({"history": "record without any revision"}, doc["id"])
    return model.from_data(doc["id"], revisions[-1].data, revisions)
