"""What the engine is told about a record file's tables: which stay bytes until read, which
hold revisioned records (sealed, in the change feed), and what each record's row says.

The engine stores documents it does not understand. The layer above hands it a `Layout` when
it opens a file; nothing else about the clinic reaches the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Write = tuple[str, str, Any]
"""(table, doc id, document): one document written whole."""

Rows = Callable[[], dict[str, list[list[Any]]]]
"""What the layer above says of each record of the lazy tables, for the start-up index: per
table, one row per document, `[doc id, record id, *what it needs]` (JSON values)."""

MANIFEST = "manifest"
"""The seal's list of records (mesotui/engine/manifest.py)."""
FEED = "feed"
"""Each record's last change in the change feed (mesotui/engine/feed.py)."""
LEAVES = "leaves"
"""A record's other versions when replication left it in conflict (mesotui/engine/replica.py)."""
QUARANTINE = "quarantine"
"""Documents pulled from another replica that failed verification: kept aside, never shown."""
CHECKPOINTS = "checkpoints"
"""Replication checkpoints: small documents by key, outside the change feed."""
DEFERRED = (MANIFEST, FEED)
"""The engine's own tables that are parsed only when first needed (never for the list)."""


@dataclass(frozen=True)
class Layout:
    """A record file's tables, as the layer above uses them.

    Attributes:
        tables: a new file's tables, in order (the first is its meta table).
        lazy: tables whose documents stay bytes until read, their places in the index.
        chunked: the lazy table whose rows are read a line at a time between keystrokes once
            the list shows (the others', the eager tables', are read as they are asked for).
        records: tables of revisioned records ({"id", owner?, "history": [...]}), each
            with the letter its manifest entries carry: sealed, and counted by the feed.
        owner: the field of a record naming the record it belongs to (its patient).
        tag: says which rules made the rows, given the checkpoint's small tables; an index
            made by other rules is not used (its rows would be stale).
        intact: whether a record document's revisions hold the content they are hashed over
            (each revision's hash recomputed); the seals cover the hashes, this their content.
        read_row: checks a row read at start-up (`[record id, *what it keeps]`, of `table`);
            raises ValueError (or KeyError, TypeError, IndexError) when it does not read.
            Asked only of an index whose MAC fails, which is then taken as damaged rather
            than altered if a row does not read (`index.rows_read`).
        head: what the index's head keeps of an eager table, made from its rows
            (`[record id, *what it keeps]`, in the order given, which is the order of the
            index's lines): read at every start, so the layer above can lay out what it shows
            first (the patient list's order) before any row is; None when nothing is kept.
        read_head: checks a head as `read_row` checks a row (and is asked only when it is).
    """

    tables: tuple[str, ...]
    lazy: tuple[str, ...] = ()
    chunked: str | None = None
    records: Mapping[str, str] = field(default_factory=dict)
    owner: str = "owner"
    tag: Callable[[Mapping[str, Any]], str] = lambda tables: ""
    read_row: Callable[[str, list[Any]], Any] = lambda table, row: row
    intact: Callable[[Any], bool] = lambda doc: True
    head: Callable[[str, list[list[Any]]], Any] = lambda table, rows: None
    read_head: Callable[[str, Any], Any] = lambda table, head: head

    @property
    def meta(self) -> str:
        return self.tables[0]

    def eager(self) -> tuple[str, ...]:
        """The lazy tables whose rows are read as they are asked for (before the chunked
        table's, between keystrokes), with a head read at every start."""
        return tuple(t for t in self.lazy if t != self.chunked)


PLAIN = Layout(("meta",))
"""A layout that knows no tables but meta: every table parsed, nothing sealed or counted."""
