"""This window's undo list: every save made here, undone newest first as a new revision."""

from __future__ import annotations

from dataclasses import dataclass

from mesotui.errors import MesoError
from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Session
from mesotui.store import Record, Saved, Store

UNDO_REASON = "undone with ctrl+z"
"""The reason an undo records: the record then shows "UNDONE", at once and after reopening."""

ACTION_WORDS = {"create": "added", "amend": "amended", "void": "voided", "restore": "restored",
                "status": "course changed", "archive": "archived", "unarchive": "unarchived",
                "undo": "undone"}


@dataclass(frozen=True)
class Undoable:
    """One save: which records it wrote (with the hash of what it wrote), and in words."""

    records: tuple[tuple[str, str], ...]
    patient_id: str
    summary: str


def describe(record: Record, whose: str = "") -> str:
    """The change in words: 'the session of 2026-01-15 logged for Ana Ruiz'."""
    action = record.history[-1].action
    for_whom = f" for {whose}" if whose else ""
    if isinstance(record, Session):
        verb = "logged" if action == "create" else ACTION_WORDS.get(action, action)
        return f"the session of {record.date} {verb}{for_whom}"
    if isinstance(record, Evaluation):
        verb = "recorded" if action == "create" else ACTION_WORDS.get(action, action)
        return f"the evaluation of {record.date} {verb}{for_whom}"
    return f"{record.name}: {ACTION_WORDS.get(action, action)}"


def is_undone(record: Record) -> bool:
    """Whether the record's last revision is an undo of its creation (a void by ctrl+z)."""
    return bool(record.history) and record.history[-1].action == "void" and (
        record.history[-1].reason == UNDO_REASON)


class UndoList:
    """Listens to the store and remembers the saves made in this window, newest last."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.changes: list[Undoable] = []
        self._undoing = False
        store.listeners.append(self._remember)

    def _remember(self, saved: Saved) -> None:
        """A save made here of patients' records (not settings, not an import) is undoable;
        an undo's own save is not remembered."""
        if self._undoing or not saved.here or not saved.records:
            return
        records = saved.records
        first = records[0]
        patient_id = first.id if isinstance(first, Patient) else first.patient_id
        whose = "" if isinstance(first, Patient) else self.store.patient(patient_id).name
        self.changes.append(Undoable(tuple((r.id, r.history[-1].hash) for r in records),
                                   patient_id, describe(first, whose)))

    def stands(self, change: Undoable) -> bool:
        """Whether every record the change wrote still holds what it wrote: a change undone
        since, or changed again (here, in another window or by a sync), can no longer be."""
        try:
            return all(self.store.record(record_id).history[-1].hash == written
                       for record_id, written in change.records)
        except (MesoError, KeyError):  # a record gone from the file (restored, say)
            return False

    def newest(self) -> Undoable | None:
        """The newest change that can still be undone; those that no longer stand are
        forgotten (a record's hash only moves forward: they never stand again)."""
        self.changes = [change for change in self.changes if self.stands(change)]
        return self.changes[-1] if self.changes else None

    def undo(self, by: str = "") -> Undoable | None:
        """Undo the newest change still standing; None when there is nothing to undo.

        Raises:
            MesoError: the records changed since (nothing undone), or saving failed.
        """
        change = self.newest()
        if change is None:
            return None
        self._undoing = True
        try:
            self.store.revert_all(list(change.records), by=by, reason=UNDO_REASON)
        finally:
            self._undoing = False
        self.changes.pop()
        return change
