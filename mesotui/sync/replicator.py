"""Push and pull between a `LocalReplica` and a CouchDB database, by the replication protocol.

A sync is a push (this laptop's changes to the server), a pull (the server's to this laptop),
and one more push when the pull saved anything, so that a second sync finds nothing to do.
Each works in batches: read changes after the checkpoint, ask the other end which of their
leaf revisions it lacks, copy those, then record the checkpoint on both ends. A batch pulled
is verified and merged, then saved locally as one durable save together with its checkpoint;
a sync stopped anywhere (the server killed, the laptop killed, the network gone) resumes from
the last checkpoint, and copying again what is already there changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mesotui.sync import checkpoint, codec, tree
from mesotui.sync.checkpoint import Session, replication_id
from mesotui.sync.codec import Rejected, Verify
from mesotui.sync.errors import SyncError
from mesotui.sync.keys import SyncKeys
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replica import Batch, Change, LocalReplica
from mesotui.terminal import safe

BATCH = 500
"""Changes per batch: CouchDB's replicator's worker_batch_size."""


@dataclass
class Report:
    """What one sync did."""

    pushed: int = 0
    """Document revisions written to the server."""
    pulled: int = 0
    """Records changed here by the pull."""
    conflicts: set[str] = field(default_factory=set)
    """Records that now stand in two or more versions (after this sync's pull)."""
    quarantined: list[Rejected] = field(default_factory=list)


class Replicator:
    """Replicates one local replica with one CouchDB database, both ways.

    Args:
        local: the local record (LocalReplica).
        remote: the server's database.
        keys: the clinic's sync keys (from its clinic key).
        encrypt: False only when the clinic has turned encryption off.
        verify: extra checks of each pulled record (what the record file adds to history's).
        create: make the server's database if it is missing; otherwise that is a failure
            (`RemoteDB.ensure`), and only `mesotui sync --setup` creates it.
    """

    def __init__(self, local: LocalReplica, remote: RemoteDB, keys: SyncKeys, *,
                 encrypt: bool = True, verify: Verify | None = None, batch: int = BATCH,
                 clock: Callable[[], datetime] | None = None, create: bool = False) -> None:
        self.local, self.remote, self.keys = local, remote, keys
        self.encrypt, self.verify, self.batch, self.create = encrypt, verify, batch, create
        self._clock = clock

    def sync(self) -> Report:
        """Push, pull, and push again if the pull changed anything."""
        report = Report()
        self.remote.ensure(create=self.create)
        self.push(report)
        if self.pull(report):
            self.push(report)
        return report

    def _id(self, direction: str) -> str:
        return replication_id(self.keys.clinic, self.local.replica_id,
                              self.remote.client.where, direction)

    def _session(self, since: Any, kept: list[dict[str, Any]]) -> Session:
        return Session(since, kept, clock=self._clock) if self._clock else Session(since, kept)

    def push(self, report: Report) -> None:
        """Copy every local change the server lacks, from the push checkpoint on."""
        rep_id = self._id("push")
        since, kept = checkpoint.resume_from(self.local.checkpoint(rep_id),
                                             self.remote.get_local(rep_id))
        session = self._session(since, kept)
        server_rev: str | None = None
        while changes := self.local.changes(since, self.batch):
            written = self._push_batch(changes)
            session.stats["docs_written"] += written
            report.pushed += written
            since = changes[-1].seq
            doc = session.document(since)
            server_rev = self.remote.put_local(rep_id, doc, server_rev)
            self.local.save_checkpoint(rep_id, doc)

    def _push_batch(self, changes: list[Change]) -> int:
        trees = self.local.trees(dict.fromkeys(c.record_id for c in changes))
        revs = {record_id: [tree.rev(self.keys, leaf) for leaf in leaves]
                for record_id, leaves in trees.items()}
        missing = self.remote.revs_diff(revs)
        docs = [codec.encode(self.keys, leaf, encrypt=self.encrypt)
                for record_id, lacking in missing.items() for leaf in trees[record_id]
                if tree.rev(self.keys, leaf) in lacking]
        refused = self.remote.bulk_docs(docs)
        if refused:
            first = refused[0]
            reason = safe(str(first.get("reason") or first.get("error")))[:160]
            kind = "full" if first.get("error") in ("insufficient_storage", "enospc") \
                else "rejected"
            more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
            raise SyncError(kind, f"the sync server refused record {safe(str(first.get('id')))}"
                            f": {reason}{more}; it will be sent again at the next sync")
        return len(docs)

    def pull(self, report: Report) -> bool:
        """Copy, verify and merge every server change this laptop lacks; True if any record
        changed here."""
        rep_id = self._id("pull")
        since, kept = checkpoint.resume_from(self.remote.get_local(rep_id),
                                             self.local.checkpoint(rep_id))
        session = self._session(since, kept)
        server_rev: str | None = None
        changed = False
        while True:
            results, last_seq = self.remote.changes(since, self.batch)
            if not results:
                break
            batch = self._pull_batch(results, report)
            session.stats["docs_read"] += len(batch.trees)
            doc = session.document(last_seq)
            try:
                self.local.save(Batch(batch.trees, batch.quarantined, (rep_id, doc)))
            except Exception as error:  # the engine's write failure, whatever its type
                why = safe(str(error))[:160]
                raise SyncError("local", f"what was pulled could not be saved here ({why}); "
                                "nothing was changed, the sync will try again") from error
            changed = changed or bool(batch.trees)
            report.pulled += len(batch.trees)
            report.quarantined.extend(batch.quarantined)
            server_rev = self.remote.put_local(rep_id, doc, server_rev)
            since = last_seq
            if len(results) < self.batch:
                break
        return changed

    def _pull_batch(self, results: list[dict[str, Any]], report: Report) -> Batch:
        rows = [r for r in results if isinstance(r.get("id"), str)
                and not r["id"].startswith("_")]  # design documents are not records
        trees = self.local.trees(dict.fromkeys(r["id"] for r in rows))
        known = {record_id: {rev for leaf in leaves for rev in tree.path(self.keys, leaf)}
                 for record_id, leaves in trees.items()}
        wanted = [(r["id"], c["rev"]) for r in rows for c in r.get("changes", [])
                  if c.get("rev") not in known.get(r["id"], ())]
        pulled: dict[str, list[tree.Leaf]] = {}
        quarantined: list[Rejected] = []
        for doc in self.remote.bulk_get(dict.fromkeys(wanted)):
            found = codec.decode(self.keys, doc, self.verify)
            if isinstance(found, Rejected):
                quarantined.append(found)
            else:
                pulled.setdefault(found.record_id, []).append(found)
        merged: dict[str, tuple[tree.Leaf, ...]] = {}
        for record_id, leaves in pulled.items():
            result = tree.merge(self.keys, trees.get(record_id, ()), leaves)
            if result.changed:
                merged[record_id] = result.leaves
            if sum(not leaf.deleted for leaf in result.leaves) > 1:
                report.conflicts.add(record_id)
            else:
                report.conflicts.discard(record_id)
        return Batch(merged, quarantined)
