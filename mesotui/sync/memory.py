"""A `LocalReplica` held in memory: the contract's reference implementation, for tests and the
benchmark. It keeps what the engine of issue 19 will keep in the record file."""

from __future__ import annotations

import bisect
import copy
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mesotui import history
from mesotui.sync.codec import Rejected
from mesotui.sync.replica import Batch, Change
from mesotui.sync.tree import Leaf

if TYPE_CHECKING:
    from mesotui.demo import DemoClinic


class MemoryReplica:
    """Records, their revision trees, a change feed, quarantine and checkpoints, in memory.

    `fail_saves` makes the next saves raise (a full disk, say), to show that a failed save
    changes nothing and moves no checkpoint. `saves` counts the saves made.
    """

    def __init__(self, replica_id: str | None = None) -> None:
        self._replica_id = replica_id or secrets.token_hex(16)
        self._trees: dict[str, tuple[Leaf, ...]] = {}
        self._seqs: list[int] = []
        self._feed: list[Change] = []
        self._seq = 0
        self._checkpoints: dict[str, dict[str, Any]] = {}
        self.quarantine: dict[tuple[str, str], Rejected] = {}
        self.saves = 0
        self.fail_saves = 0

    @classmethod
    def from_clinic(cls, clinic: DemoClinic, replica_id: str | None = None) -> MemoryReplica:
        """A replica holding a synthetic clinic's patients, sessions and evaluations."""
        replica = cls(replica_id)
        trees: dict[str, tuple[Leaf, ...]] = {}
        for table, records in (("patients", clinic.patients), ("sessions", clinic.sessions),
                               ("evaluations", clinic.evaluations)):
            for record in records:
                trees[record.id] = (Leaf(table, history.document(record)),)
        replica.save(Batch(trees))
        return replica

    # -- the contract ---------------------------------------------------------------------

    @property
    def replica_id(self) -> str:
        return self._replica_id

    def changes(self, since: int, limit: int) -> list[Change]:
        start = bisect.bisect_right(self._seqs, since)
        return self._feed[start:start + limit]

    def trees(self, record_ids: Iterable[str]) -> dict[str, tuple[Leaf, ...]]:
        return {i: self._trees[i] for i in record_ids if i in self._trees}

    def save(self, batch: Batch) -> None:
        if self.fail_saves:
            self.fail_saves -= 1
            raise OSError("no space left on device")
        self.saves += 1
        for record_id, leaves in batch.trees.items():
            if not leaves:
                raise ValueError(f"{record_id}: a record's tree has at least one leaf")
            self._trees[record_id] = tuple(leaves)
            self._seq += 1
            self._seqs.append(self._seq)
            self._feed.append(Change(self._seq, record_id))
        for rejected in batch.quarantined:
            self.quarantine[(rejected.record_id, rejected.rev)] = rejected
        if batch.checkpoint is not None:
            self.save_checkpoint(*batch.checkpoint)

    def checkpoint(self, key: str) -> dict[str, Any] | None:
        found = self._checkpoints.get(key)
        return copy.deepcopy(found) if found is not None else None

    def save_checkpoint(self, key: str, doc: dict[str, Any]) -> None:
        self._checkpoints[key] = copy.deepcopy(doc)

    # -- what the app does, for the tests -------------------------------------------------

    def add(self, table: str, record: Any) -> None:
        """Save a new record (a model with its history)."""
        self.save(Batch({record.id: (Leaf(table, history.document(record)),)}))

    def record(self, record_id: str) -> Mapping[str, Any]:
        """The record as the app shows it: the winner's document."""
        return self._trees[record_id][0].doc

    def leaves(self, record_id: str) -> tuple[Leaf, ...]:
        return self._trees[record_id]

    def amend(self, record_id: str, changes: Mapping[str, Any], *, at: datetime,
              reason: str, by: str = "", action: str = "amend") -> None:
        """A local save: one more revision on the winner, with `changes` over its data."""
        winner, *others = self._trees[record_id]
        revisions = tuple(history.Revision.from_doc(r) for r in winner.revisions)
        grown = history.append(revisions, action, {**revisions[-1].data, **changes}, at=at,
                               by=by, reason=reason)
        doc = {**winner.doc, "history": [r.to_doc() for r in grown]}
        self.save(Batch({record_id: (Leaf(winner.table, doc), *others)}))

    def ids(self) -> list[str]:
        return sorted(self._trees)

    @property
    def last_seq(self) -> int:
        return self._seq
