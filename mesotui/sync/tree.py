"""A record's revision tree and the merge rules, as pure functions.

A record's mesotui history (revisions 1..n, each chained to the one before by its SHA-256 hash)
is one path of its CouchDB revision tree: revision k is CouchDB revision `k-<id>`, the id keyed
from the revision's hash (keys.py). Two rooms that amend the same record offline grow two
branches from their last common revision; CouchDB keeps both and so do we. Each branch ends in
a leaf, and each leaf holds the whole record as it stands there (`Leaf.doc`). A leaf retired by
a resolution carries a tombstone: one more revision, `_deleted`, whose id is keyed too.

The winner among the leaves is CouchDB's (couch_doc:to_doc_info_path, PouchDB's winningRev):
a live leaf before a retired one, then the longer path, then the greater revision id (32
lowercase hex digits, so text order is byte order). Every replica with the same leaves
therefore shows the same winner, with no clock and no room preferred.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mesotui import history
from mesotui.sync.keys import SyncKeys

Path = tuple[str, ...]
"""CouchDB revision strings from the root to a leaf ("1-<id>", "2-<id>", ...)."""


@dataclass(frozen=True)
class Leaf:
    """One leaf of a record's revision tree: the record as it stands at the end of a branch.

    Attributes:
        table: the record file's table it belongs in ("patients", "sessions", ...).
        doc: the record document as the store keeps it: {"id", "patient_id"?, "history"}.
        deleted: the branch was retired by a resolution (a tombstone follows its last
            revision); its versions are kept, but it is no longer a conflict.
    """

    table: str
    doc: Mapping[str, Any]
    deleted: bool = False

    def __hash__(self) -> int:  # equal leaves hold equal documents, so the same last hash
        return hash((self.table, self.doc.get("id"), self.deleted,
                     self.doc["history"][-1].get("hash") if self.doc.get("history") else None))

    @property
    def record_id(self) -> str:
        return str(self.doc["id"])

    @property
    def revisions(self) -> Sequence[Mapping[str, Any]]:
        return self.doc["history"]

    @property
    def head(self) -> Mapping[str, Any]:
        """The last mesotui revision on this branch (the one a tombstone retires)."""
        return self.doc["history"][-1]


def path(keys: SyncKeys, leaf: Leaf) -> Path:
    """The CouchDB revisions of a leaf, root first (with its tombstone if it was retired)."""
    record = leaf.record_id
    revs = [f"{r['n']}-{keys.revision_id(record, r['hash'])}" for r in leaf.revisions]
    if leaf.deleted:
        revs.append(f"{len(revs) + 1}-{keys.tombstone_id(record, leaf.head['hash'])}")
    return tuple(revs)


def rev(keys: SyncKeys, leaf: Leaf) -> str:
    """The leaf's own CouchDB revision."""
    return path(keys, leaf)[-1]


def _rank(keys: SyncKeys, leaf: Leaf) -> tuple[bool, int, str]:
    pos, _, rev_id = rev(keys, leaf).partition("-")
    return (not leaf.deleted, int(pos), rev_id)


def ordered(keys: SyncKeys, leaves: Iterable[Leaf]) -> tuple[Leaf, ...]:
    """The leaves, CouchDB's winner first, then the others in CouchDB's order."""
    return tuple(sorted(leaves, key=lambda leaf: _rank(keys, leaf), reverse=True))


def winner(keys: SyncKeys, leaves: Iterable[Leaf]) -> Leaf:
    return ordered(keys, leaves)[0]


def conflicts(keys: SyncKeys, leaves: Sequence[Leaf]) -> tuple[Leaf, ...]:
    """The live leaves that lost to the winner: the versions a practitioner must look at."""
    return tuple(leaf for leaf in ordered(keys, leaves)[1:] if not leaf.deleted)


@dataclass(frozen=True)
class Merged:
    """What merging pulled leaves into a record's tree gave.

    `outcome` is one of: "new" (the record was not here), "unchanged" (everything pulled was
    already here), "fast-forward" (the pulled version extends the one here), "conflict" (two
    or more live versions now stand side by side), "resolved" (a resolution made elsewhere
    retired the other versions). `leaves` is the merged tree, the winner first.
    """

    outcome: str
    leaves: tuple[Leaf, ...]

    @property
    def changed(self) -> bool:
        return self.outcome != "unchanged"


def merge(keys: SyncKeys, local: Sequence[Leaf], pulled: Iterable[Leaf]) -> Merged:
    """Merge verified leaves pulled from the server into a record's local tree.

    As CouchDB merges revision trees: the union of the paths, less every path that is the
    start of a longer one (it is no longer a leaf). Nothing is ever resolved here: two
    histories that diverge after a common ancestor both stay, as a conflict.
    """
    by_path: dict[Path, Leaf] = {path(keys, leaf): leaf for leaf in local}
    before = set(by_path)
    for leaf in pulled:
        by_path.setdefault(path(keys, leaf), leaf)
    kept = {p: leaf for p, leaf in by_path.items()
            if not any(len(q) > len(p) and q[:len(p)] == p for q in by_path)}
    leaves = ordered(keys, kept.values())
    live = sum(not leaf.deleted for leaf in leaves)
    if not local:
        outcome = "new"
    elif set(kept) == before:
        outcome = "unchanged"
    elif live > 1:
        outcome = "conflict"
    elif any(leaf.deleted for p, leaf in kept.items() if p not in before) \
            or sum(not leaf.deleted for leaf in local) > 1:
        outcome = "resolved"
    else:
        outcome = "fast-forward"
    return Merged(outcome, leaves)


def extends(keys: SyncKeys, older: Leaf, newer: Leaf) -> bool:
    """Whether `newer` is `older` with revisions added after it (a fast-forward)."""
    a, b = path(keys, older), path(keys, newer)
    return len(b) > len(a) and b[:len(a)] == a and not older.deleted


def resolve(keys: SyncKeys, leaves: Sequence[Leaf], chosen: Leaf, data: Mapping[str, Any], *,
            at: datetime, by: str, reason: str, action: str = "amend") -> tuple[Leaf, ...]:
    """A practitioner's resolution of a conflict: the record's tree after it, winner first.

    The chosen version gets one more revision holding `data` (the version picked as it is, or
    merged by hand), stamped `at` or, if that is earlier, at the chosen version's last
    revision (times never go backwards in a chain, or no room would accept it), and every
    other live leaf is retired by a tombstone, as CouchDB expects; `action` is "void" when
    the record chosen is voided (a session is voided by its last revision's action);
    their versions stay in the tree. The new leaf (and the tombstones) are what the next push
    sends.

    Raises:
        ValueError: `chosen` is not a live leaf of this tree.
        ValidationError: no reason was given (history.append).
    """
    if chosen not in leaves or chosen.deleted:
        raise ValueError("the version chosen is not one of this record's live versions")
    revisions = tuple(history.Revision.from_doc(r) for r in chosen.revisions)
    at = history.not_before(revisions, at)  # the other room's clock may run ahead of ours:
    amended = history.append(revisions, action, data, at=at, by=by,  # a revision stamped
                             reason=reason)  # before the one it follows would not verify
    resolved = Leaf(chosen.table, {**chosen.doc, "history": [r.to_doc() for r in amended]})
    others = [leaf if leaf.deleted else Leaf(leaf.table, leaf.doc, deleted=True)
              for leaf in leaves if leaf is not chosen]
    return ordered(keys, [resolved, *others])
