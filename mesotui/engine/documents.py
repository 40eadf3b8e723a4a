"""A record's documents in memory, and the one way to change them: one durable save each.

Documents are handed out by place (read from the checkpoint when first asked for) or by
record id; `saving()` groups what is `put` into one save through the backend, which numbers
each record changed (the change feed) and tells every listener once it is on disk; from time
to time the saves are folded into a new checkpoint with its start-up index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mesotui.engine.backend import Backend, FileBackend
from mesotui.engine.feed import Change, Feed
from mesotui.engine.image import Encoded, Image
from mesotui.engine.index import index_bytes
from mesotui.engine.layout import Rows, Write
from mesotui.engine.lock import WriterLock
from mesotui.engine.seal import Seal, State
from mesotui.errors import ReadOnlyStore, WriteFailed

Saved = Callable[[list[Write]], None]
"""Told of each save once it is durable: the documents it wrote."""


class Documents:
    """One record's documents, and the one way to change them: `saving()`."""

    def __init__(self, image: Image, backend: Backend | None, *, path: Path | None = None,
                 lock: WriterLock | None = None, fresh: bool = False) -> None:
        self.image = image
        self.fresh = fresh
        """The record did not exist: its first save creates it."""
        self.layout = image.layout
        self.backend = backend
        self.path = path
        self.readonly = backend is None
        self._lock = lock
        self.notes: list[str] = list(image.notes)
        """What to tell the user about how the record was read (one line each)."""
        self.integrity = State()
        """How far the file's integrity can be told here, and what its seals found."""
        self.seal: Seal | None = None
        self.feed = Feed(image)
        self.rows: Rows = dict
        """The layer above's rows for the start-up index (see `Layout`)."""
        self.listeners: list[Saved] = []
        self._depth = 0
        self._changes: list[Write] = []
        self._replaced: set[str] = set()
        self._next_doc: dict[str, int] = {}
        self._folding: Iterator[None] | None = None
        self._index_places = True
        """The lazy tables' places are still the start-up index's (no checkpoint since)."""
        self.on_reread: Callable[[], None] = lambda: None
        """Told when a write found the start-up index unproven and the file was read again
        (the layer above rebuilds what it built from the index)."""

    # -- reading --------------------------------------------------------------------------

    def table(self, name: str) -> dict[str, Any]:
        """A parsed table's documents by doc id (empty if it has none)."""
        return self.image.tables.get(name, {})

    def doc(self, table: str, doc_id: str) -> Any:
        return self.image.doc(table, doc_id)

    def docs(self, table: str, doc_ids: list[str]) -> list[Any]:
        return self.image.docs(table, doc_ids)

    def locate(self, record_id: str) -> tuple[str, str] | None:
        """(table, doc id) of a record, the chunked table's rows read first if need be."""
        found = self.image.locate(record_id, self.layout.records)
        if found is None and self.image.catalogue is not None and not \
                self.image.catalogue.done:
            self.image.catalogue.read_all()
            found = self.image.locate(record_id, self.layout.records)
        return found

    @property
    def seq(self) -> int:
        """The number of the last save."""
        return self.backend.seq if self.backend is not None else 0

    def changes(self, since: int, limit: int) -> list[Change]:
        """The change feed (see mesotui/engine/feed.py)."""
        return self.feed.changes(since, limit)

    # -- saving -----------------------------------------------------------------------------

    @contextmanager
    def saving(self) -> Iterator[None]:
        """Group what is `put` into one durable save; on failure nothing changes, anywhere.

        Nested uses make one save. Listeners are told once it is on disk.
        """
        if self.backend is None:
            raise ReadOnlyStore(self.read_only_message())
        if not self._depth:
            self._writable()
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if not self._depth:
                self._changes.clear()
                self._replaced.clear()
            raise
        self._depth -= 1
        if self._depth:
            return
        changes, self._changes = self._changes, []
        replaced, self._replaced = self._replaced, set()
        if not changes:
            return
        self.stop_folding()  # a fold under way would not hold this save
        self.backend.commit(self.image, changes, replaced)
        self.feed.note(changes)
        for listener in list(self.listeners):
            listener(changes)
        if self.backend.due():
            self.fold()

    @property
    def busy(self) -> bool:
        """A save is under way (inside `saving`)."""
        return self._depth > 0

    def put(self, table: str, doc_id: str, doc: Any, *, replaced: bool = False) -> None:
        """Stage a document for the save under way (`saving`).

        Args:
            replaced: the record's version is replaced whole (pulled from another replica),
                not grown by one revision: its seal takes it as it is.
        """
        assert self._depth, "put outside saving()"
        self._changes.append((table, doc_id, doc))
        if replaced and isinstance(doc, dict):
            self._replaced.add(str(doc.get("id")))

    def staged(self, table: str, record_id: str) -> str | None:
        """The doc id of a record staged in the save under way, if it is."""
        for staged_table, doc_id, doc in self._changes:
            if staged_table == table and isinstance(doc, dict) and doc.get("id") == record_id:
                return doc_id
        return None

    def new_doc_id(self, table: str) -> str:
        """The next TinyDB doc id of `table` (TinyDB numbers documents 1, 2, 3...)."""
        if table not in self._next_doc:
            self._next_doc[table] = self._first_free(table)
        doc_id = self._next_doc[table]
        self._next_doc[table] += 1
        return str(doc_id)

    def _first_free(self, table: str) -> int:
        """The first doc id of `table` no document has. While the documents' places are the
        start-up index's, its count says it without looking at 200,000 ids."""
        catalogue, stored = self.image.catalogue, self.image.stored.get(table, {})
        known = 1
        if catalogue is not None and self._index_places:
            known, stored = catalogue.next_doc.get(table, 1), {}
        held = [int(k) for k in (*stored, *self.image.tables.get(table, {})) if k.isdigit()]
        return max(known, max(held, default=0) + 1)

    def _before_checkpoint(self) -> None:
        """The places are about to be the new checkpoint's: count the doc ids first."""
        for table in self.layout.lazy:
            if table not in self._next_doc:
                self._next_doc[table] = self._first_free(table)
        self._index_places = False

    def create(self, changes: list[Write]) -> None:
        """A new record's first documents (its meta), written by the first checkpoint."""
        if self.backend is None:
            raise ReadOnlyStore(self.read_only_message())
        self.backend.create(self.image, changes)

    def rewrite(self, image: Image) -> None:
        """Replace the whole record by `image` in one checkpoint of its own (an upgrade)."""
        if self.backend is None:
            raise ReadOnlyStore(self.read_only_message())
        self._writable()
        self.stop_folding()
        self.image = image
        self._next_doc.clear()
        self._index_places = False  # a record built anew: its own places, not an index's
        self._before_checkpoint()
        self.backend.checkpoint(image, None, bump=True)

    def load(self, changes: list[Write], then: Callable[[], None] = lambda: None,
             undo: Callable[[], None] = lambda: None) -> None:
        """Write many new documents in one checkpoint of their own (an import): one whole,
        atomic write, not the journal. On failure nothing changes.

        Args:
            then: called once the documents are in the image, before the checkpoint is
                written (the layer above's rows must describe them).
            undo: called after a failure, once they are gone again.
        """
        if self.backend is None:
            raise ReadOnlyStore(self.read_only_message())
        self._writable()
        self.image.apply(changes)
        feed = self.feed.mark()
        self.feed.note(changes)  # in the checkpoint's feed
        try:
            then()
            self._checkpoint(self.backend, bump=True)
        except BaseException:
            self.image.remove([(table, doc_id) for table, doc_id, _doc in changes])
            self.feed.back_to(feed)
            self._next_doc.clear()
            undo()
            raise
        for listener in list(self.listeners):
            listener(changes)

    def fold(self) -> None:
        """Fold the journal into a new checkpoint now (if that fails, the journal keeps all)."""
        if self.backend is None or not self.backend.pending():
            return
        try:
            self._checkpoint(self.backend)
        except WriteFailed:
            if isinstance(self.backend, FileBackend):
                self.backend.failed_fold()

    @property
    def fold_wanted(self) -> bool:
        """Whether the journal holds enough saves to be worth folding while the app is idle."""
        return isinstance(self.backend, FileBackend) and not self._depth \
            and self.backend.fold_wanted(self.image)

    def folding(self) -> Iterator[None]:
        """Fold the journal into a new checkpoint a piece at a time, pausing (yielding)
        between pieces, so an app can do it while idle; nothing is written on the way out.

        A save made before it finishes abandons it, as does `close` (and closing this
        generator): the new file is never put in place, and the journal keeps every save.
        """
        backend = self.backend
        if not isinstance(backend, FileBackend) or not backend.pending() or self._depth:
            return
        self.stop_folding()
        try:  # before this fold is held: a reread stops the fold held
            self._writable()
        except WriteFailed:
            return
        self._folding = steps = self._fold_steps(backend)
        yield from steps

    def _fold_steps(self, backend: FileBackend) -> Iterator[None]:
        try:
            self._before_checkpoint()
            self.feed.into(self.image)
            yield from backend.checkpoint_steps(self.image, self.describe)
        except WriteFailed:  # overtaken by a save, or a full disk: the journal keeps all
            backend.failed_fold()
            return
        finally:
            self._folding = None
        self.feed.folded()

    def stop_folding(self) -> None:
        """Abandon a fold under way (`folding`), if any: nothing of it is kept."""
        if self._folding is not None:
            self._folding.close()
            self._folding = None

    def _checkpoint(self, backend: Backend, *, bump: bool = False) -> None:
        self._writable()
        self.stop_folding()
        self._before_checkpoint()
        self.feed.into(self.image)
        backend.checkpoint(self.image, self.describe, bump=bump)
        self.feed.folded()

    def _writable(self) -> None:
        """Before anything is written: what was read must be proven (see `Engine`)."""

    def describe(self, encoded: Encoded, token: str) -> bytes:
        """The start-up index of a checkpoint just written."""
        from mesotui.engine.checkpoint import no_gc

        key = self.seal.key.secret if self.seal else None  # the index is sealed too
        with no_gc():  # hundreds of thousands of rows at once, let go when written
            return index_bytes(encoded, token, self.layout, self.rows(),
                               self.layout.tag(self.image.tables), key)

    def read_only_message(self) -> str:
        return f"{self.path.name if self.path else 'the record'} is open read-only"

