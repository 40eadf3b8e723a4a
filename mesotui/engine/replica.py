"""The record file as a replication peer: what mesotui/sync/replica.py's `LocalReplica` needs.

Each record's winning version is its document, where the clinic reads it; the versions a
replication left beside it (conflicts, and retired branches) are kept whole in the `leaves`
table under the record's id, documents pulled that failed verification in `quarantine`, and
each replication's checkpoint in `checkpoints`. A batch pulled is one durable save (one
journal entry), sealed by this file's writer as it now stands. The engine holds no clinic key:
revision ids, encryption and verification are the sync layer's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from mesotui.engine.engine import Engine
from mesotui.engine.feed import Change
from mesotui.engine.layout import CHECKPOINTS, LEAVES, QUARANTINE
from mesotui.sync.replica import Batch
from mesotui.sync.tree import Leaf


class Replica:
    """One engine, seen by the replicator (a `LocalReplica`)."""

    def __init__(self, engine: Engine,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine, self.clock = engine, clock
        """`clock`: when a document set aside was pulled (the quarantine screen says)."""
        self._made: str | None = None

    @property
    def replica_id(self) -> str:
        """A random id made once for this record file (a restored older copy gets a new one,
        so replication's checkpoints start afresh from it). It is written into the file with
        the first checkpoint or batch saved under it, not when it is read: a sync that fails
        before saving anything leaves the record file as it was, byte for byte."""
        held = self._held_id()
        if held is not None:
            return held
        if self._made is None:
            self._made = secrets.token_hex(16)
        return self._made

    def _held_id(self) -> str | None:
        meta = self.engine.table(self.engine.layout.meta).get("1", {})
        held = meta.get("replica_id") if isinstance(meta, dict) else None
        return held if isinstance(held, str) and held else None

    def _keep_id(self) -> None:
        """Inside a save: write the replica id made for this sync, if the file has none."""
        if self._made is not None and self._held_id() is None:
            meta = self.engine.table(self.engine.layout.meta).get("1", {})
            self.engine.put(self.engine.layout.meta, "1", {**meta, "replica_id": self._made})

    def changes(self, since: int, limit: int) -> list[Change]:
        return self.engine.changes(since, limit)

    def trees(self, record_ids: Iterable[str]) -> dict[str, tuple[Leaf, ...]]:
        found: dict[str, tuple[Leaf, ...]] = {}
        for record_id in record_ids:
            where = self.engine.locate(record_id)
            if where is None:
                continue
            table, doc_id = where
            others = self._held(LEAVES, record_id) or {}
            found[record_id] = (Leaf(table, self.engine.doc(table, doc_id)),
                                *(Leaf(str(o["table"]), o["doc"], bool(o["deleted"]))
                                  for o in others.get("leaves", ())))
        return found

    def save(self, batch: Batch) -> None:
        """The whole batch as one durable save (see the contract); raises WriteFailed when
        nothing was saved."""
        engine = self.engine
        with engine.saving():
            for record_id, leaves in batch.trees.items():
                if not leaves or leaves[0].record_id != record_id \
                        or leaves[0].table not in engine.layout.records:
                    raise ValueError(f"{record_id}: not a tree this record file can hold")
                winner, others = leaves[0], leaves[1:]
                where = engine.locate(record_id)
                table, doc_id = where if where else (winner.table, None)
                if table != winner.table:
                    raise ValueError(f"{record_id}: is a record of {table}, not {winner.table}")
                engine.put(table, doc_id or engine.staged(table, record_id)
                           or engine.new_doc_id(table), dict(winner.doc), replaced=True)
                if others or self._held(LEAVES, record_id) is not None:
                    self._put(LEAVES, record_id, {"id": record_id, "leaves": [
                        {"table": o.table, "doc": dict(o.doc), "deleted": o.deleted}
                        for o in others]})
            pulled = self.clock().isoformat(timespec="seconds")
            for rejected in batch.quarantined:
                key = f"{rejected.record_id} {rejected.rev}"
                first = (self._held(QUARANTINE, key) or {}).get("pulled", pulled)
                self._put(QUARANTINE, key, {"id": key, "record": rejected.record_id,
                                            "rev": rejected.rev, "reason": rejected.reason,
                                            "pulled": first})
            if batch.checkpoint is not None:
                self.save_checkpoint(*batch.checkpoint)
            self._keep_id()

    def quarantined(self) -> list[dict[str, Any]]:
        """What was pulled and kept aside: record id, revision, why, and when it was first
        pulled ("pulled", ISO time; absent in files from before it was kept), never shown
        as the record."""
        return list(self.engine.table(QUARANTINE).values())

    def checkpoint(self, key: str) -> dict[str, Any] | None:
        held = self._held(CHECKPOINTS, key)
        return dict(held["doc"]) if held is not None else None

    def save_checkpoint(self, key: str, doc: dict[str, Any]) -> None:
        with self.engine.saving():
            self._put(CHECKPOINTS, key, {"id": key, "doc": doc})
            self._keep_id()

    def _held(self, table: str, key: str) -> dict[str, Any] | None:
        doc_id = self.engine.image.ids.get(table, {}).get(key)
        return self.engine.table(table).get(doc_id) if doc_id is not None else None

    def _put(self, table: str, key: str, doc: dict[str, Any]) -> None:
        doc_id = (self.engine.image.ids.get(table, {}).get(key)
                  or self.engine.staged(table, key) or self.engine.new_doc_id(table))
        self.engine.put(table, doc_id, doc)
