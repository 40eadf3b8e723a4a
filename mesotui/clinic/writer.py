"""Changing the clinic's record: each change one durable save, and one signal once it is on disk.

`Writer` stages the new revisions of a change (the store's rules make them), saves them
through the engine as one durable save, brings the records and standings up to date from
what was saved, and tells every listener of the save once (`Saved`): the app's screens
refresh from it, and its undo list remembers it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from mesotui import history
from mesotui.clinic.reader import Reader
from mesotui.clinic.records import Record, parse
from mesotui.clinic.rows import index_rows
from mesotui.engine import Engine, Write
from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Session
from mesotui.settings import Settings


@dataclass(frozen=True)
class Saved:
    """One save, as its listeners hear of it (once, when it is on disk).

    Attributes:
        records: the records it wrote, as saved (models).
        patients: the patients whose records it touched.
        settings: it changed the clinic's settings (every patient's standing may move).
        everyone: it wrote many records at once (an import): every row may have changed.
        here: the save was made through this store (undo offers only those).
    """

    records: tuple[Record, ...] = ()
    patients: frozenset[str] = frozenset()
    settings: bool = False
    everyone: bool = False
    here: bool = True


class Writer(Reader):
    """The record, read and changed: every change one durable save, heard of once.

    Args:
        engine: where the records are stored.
        clock: returns the current time (timezone-aware) for revision stamps.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(engine)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.listeners: list[Callable[[Saved], None]] = []
        """Told of each save once it is on disk, once: the app's undo list remembers it, and
        the app posts it to its screens as one message (tui/messages.py)."""
        self._staged: list[Record] = []
        self._loading = False
        self.records.load()
        self.standings.reset()
        engine.rows = lambda: index_rows(self.records, self.standings.get)
        engine.listeners.append(self._engine_saved)
        engine.on_reread = self._reread

    # -- opening and closing ------------------------------------------------------------

    def prove(self, *, quick: bool = False) -> bool:
        """Make sure nothing of an unproven start-up index is used (see `open`): if it does not
        describe the record file, read the file whole instead, and say so in `notes`.

        Args:
            quick: enough to show what the index says (see `Engine.prove`); call again
                without once `proof_done`.

        Returns:
            True when the file was read again: whatever was built from the records before
            (the patient list's rows, say) must be built again.
        """
        if self.engine.prove(quick=quick):
            self._reread()
            return True
        return False

    @property
    def proof_done(self) -> bool:
        """Whether the record file is proven to be what its start-up index says (or was read
        whole): `prove` answers at once."""
        return self.engine.proof_done

    def _reread(self) -> None:
        """The file was read again whole: every record may differ from what was shown."""
        self.records.load()
        self.standings.reset()
        for listener in list(self.listeners):
            listener(Saved(everyone=True, here=False))

    def close(self, *, fold: bool = True) -> None:
        """Let go of the record file (see `Engine.close`: every save is on disk already).

        Args:
            fold: False writes nothing at all, as a process killed would leave the file.

        Raises:
            StaleWriter: another writer may have written the file meanwhile (a deleted lock,
                a replaced file): nothing was written over it, and this says so.
        """
        try:
            self.engine.close(fold=fold)
        finally:
            if self.engine.path is not None:  # a record file's store: let go of its records
                self.records.release()
                self.standings.reset()

    @property
    def fold_wanted(self) -> bool:
        """Whether the journal is worth folding into the record file while the app is idle."""
        return self.engine.fold_wanted

    def folding(self) -> Iterator[None]:
        """Fold the journal into the record file a piece at a time (see `Engine.folding`):
        the app steps it between keystrokes; a save, or closing, abandons it harmlessly."""
        return self.engine.folding()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- saving -----------------------------------------------------------------------------

    @contextmanager
    def saving(self) -> Iterator[None]:
        """Group changes into one durable save; on failure nothing changes, anywhere."""
        try:
            with self.engine.saving():
                yield
        except BaseException:
            if not self.engine.busy:  # the outermost save failed
                self._staged.clear()
            raise

    def _save(self, table: str, record: Any, action: str, *, by: str, reason: str,
              after: str = "") -> Any:
        """Append a revision to `record` and stage it; memory changes once it is on disk.
        `after`: a revision time this one must come after (see `history.later_than`)."""
        at = history.later_than(after, history.not_before(record.history, self.clock()))
        revisions = history.append(record.history, action, record.to_data(), at=at, by=by,
                                   reason=reason)
        saved = replace(record, history=revisions)
        with self.saving():
            doc_id = (self.records.doc_id(table, saved.id) or self.engine.staged(table, saved.id)
                      or self.engine.new_doc_id(table))
            self.engine.put(table, doc_id, history.document(saved))
            self._staged.append(saved)
        return saved

    def _load(self, batch: dict[str, list[Record]]) -> None:
        """Write many new records in one checkpoint of their own (see `Engine.load`), then
        tell every listener of it once."""
        changes = [(table, self.engine.new_doc_id(table), history.document(record))
                   for table, records in batch.items() for record in records]
        added = [record for records in batch.values() for record in records]

        def index(forget: bool = False) -> None:
            for record in added:
                if forget:
                    self.records.forget(record)
                else:
                    self.records.saved(record, keep=False)
                self.standings.drop(record.id if isinstance(record, Patient)
                                    else record.patient_id)

        self._loading = True
        try:
            self.engine.load(changes, then=index, undo=lambda: index(forget=True))
        finally:
            self._loading = False

    def _engine_saved(self, changes: list[Write]) -> None:
        """A save reached the disk: bring the records up to date, then tell the listeners."""
        staged = {(r.id, r.history[-1].hash): r for r in self._staged}
        mine = tuple(self._staged)
        self._staged = []
        found: list[Record] = []
        settings = False
        for table, _doc_id, doc in changes:
            if table == "settings":
                settings = True
                self.records.settings = Settings.from_data(doc["history"][-1]["data"])
            elif table in ("patients", "sessions", "evaluations") and not self._loading:
                model = {"patients": Patient, "sessions": Session,
                         "evaluations": Evaluation}[table]
                record = staged.get((doc["id"], doc["history"][-1]["hash"])) or parse(model,
                                                                                     doc)
                self.records.saved(record)
                self.standings.drop(record.id if isinstance(record, Patient)
                                    else record.patient_id)
                found.append(record)
        if settings:
            self.standings.clear()  # the clinic's default protocol may have changed
        event = Saved(tuple(found), frozenset(r.id if isinstance(r, Patient) else r.patient_id
                                              for r in found), settings, self._loading,
                      here=bool(mine) or settings)
        for listener in list(self.listeners):
            listener(event)
