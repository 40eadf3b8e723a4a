"""Revision histories: every saved change is appended, hash-chained, and never rewritten."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mesotui.errors import ValidationError

#: Actions that change a record's content or standing; all but "create" need a reason.
ACTIONS = ("create", "amend", "void", "restore", "status", "archive", "unarchive", "undo")


@dataclass(frozen=True, slots=True)
class Revision:
    """One saved version of a record: what it held, when, by whom, and why it changed."""

    number: int
    action: str
    at: str
    """ISO 8601 timestamp with offset, kept as written so its hash never drifts."""
    by: str
    reason: str
    data: Mapping[str, Any] = field(repr=False)
    prev: str
    """Hash of the previous revision ("" for the first)."""
    hash: str

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)

    def to_doc(self) -> dict[str, Any]:
        return {
            "n": self.number,
            "action": self.action,
            "at": self.at,
            "by": self.by,
            "reason": self.reason,
            "data": dict(self.data),
            "prev": self.prev,
            "hash": self.hash,
        }

    @classmethod
    def from_doc(cls, doc: Any, where: str = "history") -> Revision:
        if not isinstance(doc, Mapping):
            raise ValidationError({where: "each revision must be an object"})
        try:
            number = doc["n"]
            action, at, prev, digest = doc["action"], doc["at"], doc["prev"], doc["hash"]
            data = doc["data"]
        except KeyError as missing:
            raise ValidationError({where: f"revision lacks {missing.args[0]!r}"}) from None
        by, reason = doc.get("by", ""), doc.get("reason", "")
        if not isinstance(number, int) or isinstance(number, bool):
            raise ValidationError({where: "revision number must be an integer"})
        for name, value in (("action", action), ("at", at), ("prev", prev), ("hash", digest),
                            ("by", by), ("reason", reason)):
            if not isinstance(value, str):
                raise ValidationError({where: f"revision {name} must be text"})
        if action not in ACTIONS:
            raise ValidationError({where: f"unknown revision action {action!r}"})
        try:
            datetime.fromisoformat(at)
        except ValueError:
            raise ValidationError(
                {where: f"revision time {at!r} is not an ISO timestamp"}) from None
        if not isinstance(data, Mapping):
            raise ValidationError({where: "revision data must be an object"})
        return cls(number, action, at, by, reason, dict(data), prev, digest)


def canonical(value: Any) -> str:
    """The one JSON spelling of a value that hashes are computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def digest(number: int, action: str, at: str, by: str, reason: str,
           data: Mapping[str, Any], prev: str) -> str:
    payload = {"n": number, "action": action, "at": at, "by": by, "reason": reason,
               "data": data, "prev": prev}
    return hashlib.sha256(canonical(payload).encode("utf-8")).hexdigest()


def chain_intact(doc: Any) -> bool:
    """Whether a record document's stored revisions hold what their hashes were computed
    over, each following the one before (its raw JSON, not parsed: the seals' content check)."""
    try:
        prev = ""
        for revision in doc["history"]:
            if revision["prev"] != prev or revision["hash"] != digest(
                    revision["n"], revision["action"], revision["at"], revision["by"],
                    revision["reason"], revision["data"], revision["prev"]):
                return False
            prev = revision["hash"]
    except (KeyError, TypeError, ValueError):
        return False
    return True


def append(history: tuple[Revision, ...], action: str, data: Mapping[str, Any], *,
           at: datetime, by: str = "", reason: str = "") -> tuple[Revision, ...]:
    """Return `history` with one more revision chained onto it.

    Args:
        history: the record's revisions so far (empty for a new record).
        action: one of ACTIONS; every action but "create" needs a reason.
        data: the record's full content after this change, as JSON-ready values.
        at: when the change was saved (timezone-aware).
        by: who made it (practitioner), may be empty.
        reason: why; required except when creating.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action != "create" and not reason.strip():
        raise ValidationError({"reason": f"a reason is required to {action} a record"})
    if action == "create" and history:
        raise ValueError("a record is created only once")
    if at.tzinfo is None:
        raise ValueError("revision times must carry a UTC offset")
    number = len(history) + 1
    prev = history[-1].hash if history else ""
    stamp = at.isoformat(timespec="seconds")
    frozen_data = json.loads(canonical(dict(data)))  # a private copy, proven serialisable
    revision = Revision(number, action, stamp, by, reason.strip(), frozen_data, prev,
                        digest(number, action, stamp, by, reason.strip(), frozen_data, prev))
    return (*history, revision)


def _when(at: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def not_before(history: tuple[Revision, ...], at: datetime) -> datetime:
    """`at`, or the record's last revision time if `at` is earlier: a clock set back (or a
    `--today` in the past) plans and reports, but never stamps a revision before the last."""
    last = _when(history[-1].at) if history else None
    return last if last is not None and at < last else at


def later_than(stamp: str, at: datetime) -> datetime:
    """`at`, or a second after `stamp` if `at` would be written as no later (stamps keep whole
    seconds): a session logged after another on its day is stamped after it, so the two keep
    the order in which they were logged (schedule.course_key), even logged in one second."""
    before = _when(stamp) if stamp else None
    if before is None or at.replace(microsecond=0) > before:
        return at
    return before + timedelta(seconds=1)


def verify(history: tuple[Revision, ...]) -> list[str]:
    """Return what is wrong with a revision chain; an empty list means it is intact."""
    problems: list[str] = []
    prev = ""
    before: datetime | None = None
    for position, revision in enumerate(history, start=1):
        if revision.number != position:
            problems.append(f"revision {position} is numbered {revision.number}")
        if revision.prev != prev:
            problems.append(f"revision {position} does not follow revision {position - 1}")
        try:
            expected = digest(revision.number, revision.action, revision.at, revision.by,
                              revision.reason, revision.data, revision.prev)
        except ValueError:
            expected = ""
        if revision.hash != expected:
            problems.append(f"revision {position} was altered outside mesotui")
        when = _when(revision.at)
        if before is not None and when is not None and when < before:
            problems.append(f"revision {position} is dated before revision {position - 1} "
                            "(revision times never go backwards)")
        before = when if when is not None else before
        prev = revision.hash
    if history and history[0].action != "create":
        problems.append("the first revision is not a creation")
    return problems


def document(record: Any) -> dict[str, Any]:
    """A record (Patient, Session, Evaluation) as stored: its id, its patient (sessions,
    evaluations) and its revisions. The record file and the sync layer store the same form."""
    doc: dict[str, Any] = {"id": record.id}
    if hasattr(record, "patient_id"):
        doc["patient_id"] = record.patient_id
    doc["history"] = [r.to_doc() for r in record.history]
    return doc
