"""This window's undo list: every save made here, undone newest first as a new revision."""

from __future__ import annotations

from dataclasses import dataclass

from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Session
from mesotui.store import Record, Store

ACTION_WORDS = {"create": "added", "amend": "amended", "void": "voided", "restore": "restored",
                "status": "course changed", "archive": "archived", "unarchive": "unarchived",
                "undo": "undone"}


@dataclass(frozen=True)
class Change:
    """One save: which records it wrote (with the hash of what it wrote), and in words."""

    records: tuple[tuple[str, str], ...]
    patient_id: str
    summary: str


def describe(record: Record) -> str:
    action = record.history[-1].action
    if isinstance(record, Session):
        verb = "logged" if action == "create" else ACTION_WORDS.get(action, action)
        return f"session of {record.date} {verb}"
    if isinstance(record, Evaluation):
        return f"evaluation of {record.date} {ACTION_WORDS.get(action, action)}"
    return f"{record.name} {ACTION_WORDS.get(action, action)}"


class UndoList:
    """Listens to the store and remembers the saves made in this window, newest last."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.changes: list[Change] = []
        self._undoing = False
        store.on_saved = self._remember

    def _remember(self, records: tuple[Record, ...]) -> None:
        if self._undoing:
            return
        first = records[0]
        patient_id = first.id if isinstance(first, Patient) else first.patient_id
        self.changes.append(Change(tuple((r.id, r.history[-1].hash) for r in records),
                                   patient_id, describe(first)))

    def undo(self, by: str = "") -> Change | None:
        """Undo the newest change still standing; None when there is nothing to undo.

        Raises:
            MesoError: the records changed since (nothing undone), or saving failed.
        """
        if not self.changes:
            return None
        change = self.changes[-1]
        self._undoing = True
        try:
            self.store.revert_all(list(change.records), by=by, reason="undone (ctrl+z)")
        finally:
            self._undoing = False
        self.changes.pop()
        return change
