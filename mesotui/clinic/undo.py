"""How a change is undone: with one more revision, never by rewriting history.

A logged session (or recorded evaluation) is voided, an added patient archived; any other
change is answered by an "undo" revision holding the content as it was before it (a void is
answered by "restore").
"""

from __future__ import annotations

from dataclasses import replace

from mesotui.clinic.records import Record
from mesotui.errors import ValidationError
from mesotui.models import Patient


def answer(record: Record, expected_hash: str) -> tuple[Record, str]:
    """The record as undoing its last change leaves it, and the revision's action.

    Raises:
        ValidationError: the record changed since `expected_hash` was saved (nothing to undo).
    """
    last = record.history[-1]
    if last.hash != expected_hash:
        raise ValidationError({"undo": "the record changed since; nothing was undone"},
                              record.id)
    if last.action == "create":
        if isinstance(record, Patient):
            return replace(record, archived=True), "archive"
        return record, "void"
    previous = type(record).from_data(record.id, record.history[-2].data, record.history)
    if isinstance(record, Patient):
        return previous, "undo"
    return previous, "restore" if last.action == "void" else "undo"
