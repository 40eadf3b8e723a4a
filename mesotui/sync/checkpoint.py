"""Replication ids and checkpoints, as CouchDB's replicator keeps them.

Each direction is one replication (push: this laptop to the server; pull: the server to this
laptop) with its own id, and each keeps a checkpoint document `_local/<id>` on both of its
ends, written after every batch. A sync resumes from the checkpoint the two ends agree on: the
same session on both, or else the newest session both histories hold
(couch_replicator_scheduler_job:compare_replication_logs), or else from the start, which is
always safe: replicating what is already there changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from mesotui.sync.keys import FORMAT

VERSION = 3
"""The replication id version, as CouchDB writes it into its checkpoints."""
HISTORY = 50
"""Sessions a checkpoint remembers, as CouchDB keeps."""
LOWEST = 0


def replication_id(clinic: str, replica: str, where: str, direction: str) -> str:
    """The id of one replication: this clinic's replica `replica` with database `where`.

    `where` is the database's address without credentials; `direction` "push" or "pull".
    The replica's own id is part of it because every room of a clinic shares the clinic id.
    """
    text = "\x1f".join([FORMAT, str(VERSION), clinic, replica, where, direction])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def resume_from(source: dict[str, Any] | None, target: dict[str, Any] | None
                ) -> tuple[Any, list[dict[str, Any]]]:
    """(seq to start after, history to keep) from the checkpoints on the two ends."""
    if not source or not target:
        return LOWEST, []
    if source.get("session_id") == target.get("session_id"):
        return source.get("source_last_seq", LOWEST), list(source.get("history", []))
    return _common(list(source.get("history", [])), list(target.get("history", [])))


def _common(source: list[dict[str, Any]], target: list[dict[str, Any]]
            ) -> tuple[Any, list[dict[str, Any]]]:
    while source and target:
        s, t = source[0], target[0]
        if any(entry.get("session_id") == s.get("session_id") for entry in target):
            return s.get("recorded_seq", LOWEST), source[1:]
        if any(entry.get("session_id") == t.get("session_id") for entry in source[1:]):
            return t.get("recorded_seq", LOWEST), target[1:]
        source, target = source[1:], target[1:]
    return LOWEST, []


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Session:
    """One run of one replication, and what it has done so far."""

    start_seq: Any
    history: list[dict[str, Any]]
    clock: Callable[[], datetime] = _now
    id: str = field(default_factory=lambda: secrets.token_hex(16))
    started: str = ""
    stats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("missing_checked", "missing_found", "docs_read", "docs_written",
         "doc_write_failures"), 0))

    def __post_init__(self) -> None:
        self.started = format_datetime(self.clock(), usegmt=True)

    def document(self, seq: Any) -> dict[str, Any]:
        """The checkpoint document recording that everything up to `seq` was replicated."""
        entry = {"session_id": self.id, "start_time": self.started,
                 "end_time": format_datetime(self.clock(), usegmt=True),
                 "start_last_seq": self.start_seq, "end_last_seq": seq, "recorded_seq": seq,
                 **self.stats}
        return {"session_id": self.id, "source_last_seq": seq,
                "replication_id_version": VERSION,
                "history": [entry, *self.history][:HISTORY]}
