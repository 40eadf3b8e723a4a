"""`LocalReplica`: what the replicator needs from the local record, and nothing more.

This is the contract the storage engine of issue 19 implements (memory.py is the reference
implementation the tests use). The engine stores opaque documents; everything that needs the
clinic key (revision ids, encryption, verification, the winner) is done on this side, so the
engine never holds a key.

What the engine must provide:

1. `replica_id`: a random id made once for this record file and kept in it (not the clinic id:
   every room of a clinic shares that). Make a new one when the file is replaced by an older
   copy (`mesotui restore`): the checkpoints then start afresh, which is safe, only slower.
2. `changes(since, limit)`: the change feed. Every saved change of a record, in save order, as
   (seq, record id), for seq > since, at most `limit` of them. `seq` only grows, is never
   reused for another change, and counts every save that changed a record: the app's own saves
   and `save` below alike. A checkpoint is not a change.
3. `trees(record_ids)`: for each id it holds, the record's revision tree as its leaves, the
   winner first (the version the app shows), then the conflicting versions, then the retired
   ones (`Leaf.deleted`). A record that never met a conflict has exactly one leaf: the record
   document as the store keeps it today. Ids it does not hold are left out.
4. `save(batch)`: store a batch as ONE durable save (all of it or, after a crash or a failed
   write, none of it): each record's new tree (replacing its old one), the documents
   quarantined (kept aside and flagged, never shown as the record), and a checkpoint. It
   raises an exception (WriteFailed) when nothing was saved. When it returns, every record
   changed is in the change feed after the seq it had.
5. `checkpoint(key)` / `save_checkpoint(key, doc)`: a small JSON document kept under a key
   (the `_local/` checkpoint of one replication), durable, not in the change feed.

A local save of a record in conflict (an amend made while two versions stand) extends the
winner: the app appends the revision to `trees()[id][0]`, which stays the winner. Deciding
which revisions are missing locally is done here, from `trees()`: revision ids are keyed, and
the engine holds no key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mesotui.engine.feed import Change
from mesotui.sync.codec import Rejected
from mesotui.sync.tree import Leaf

__all__ = ["Batch", "Change", "LocalReplica"]


@dataclass(frozen=True)
class Batch:
    """What one durable save of the local replica holds.

    Attributes:
        trees: each record's whole revision tree after the save, its winner first.
        quarantined: pulled documents that failed verification, to keep aside and flag.
        checkpoint: (key, document) of the replication checkpoint saved with them, or None.
    """

    trees: Mapping[str, tuple[Leaf, ...]] = field(default_factory=dict)
    quarantined: Sequence[Rejected] = ()
    checkpoint: tuple[str, dict[str, Any]] | None = None


class LocalReplica(Protocol):
    """The local record, as the replicator sees it (see the module's docstring)."""

    @property
    def replica_id(self) -> str: ...

    def changes(self, since: int, limit: int) -> list[Change]: ...

    def trees(self, record_ids: Iterable[str]) -> dict[str, tuple[Leaf, ...]]: ...

    def save(self, batch: Batch) -> None: ...

    def checkpoint(self, key: str) -> dict[str, Any] | None: ...

    def save_checkpoint(self, key: str, doc: dict[str, Any]) -> None: ...
