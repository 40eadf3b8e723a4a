"""The record in memory: small tables parsed, the lazy tables' documents read by place on demand.

A checkpoint is written document by document (`encode`), so the writer knows where every
document sits in the file, which its index (mesotui/engine/index.py) keeps for the next
start: then only the small tables are parsed, and each lazy document is read from the file
(`Source`) and parsed when it is first asked for. The file itself is never held in memory.
"""

from __future__ import annotations

import gc
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from mesotui.engine.layout import DEFERRED, PLAIN, Layout, Write
from mesotui.engine.source import BytesSource, Source

if TYPE_CHECKING:
    from mesotui.engine.index import Catalogue

Range = tuple[int, int]
PIECE = 4 << 20
"""Bytes copied at a time from the old checkpoint into a new one."""
BIG_DOC = 1 << 20
"""A document this large (the seal's list, the change feed) is parsed with the garbage
collector paused: collections in the middle only rescan what is being built, for seconds."""
RUN_DOCS = 4096
"""Documents copied in one run at most, so a fold stepped between keystrokes is handed a
piece every few milliseconds (the bytes are the same)."""


def index_path(path: Path) -> Path:
    return path.with_name(path.name + ".index")


def new_token() -> str:
    return secrets.token_hex(8)


class Image:
    """The record file's tables, in TinyDB's layout, with some documents not parsed yet.

    Args:
        tables: table name -> {doc id: document}; a lazy table holds only the documents
            changed since the checkpoint.
        source: the checkpoint's bytes, which `stored` points into.
        stored: lazy (or deferred) table -> {doc id: (start, end)} of each document.
        order: the tables in the order the checkpoint holds them.
        layout: what the layer above said of the tables.
    """

    def __init__(self, tables: dict[str, dict[str, Any]], source: Source | bytes = b"",
                 stored: dict[str, dict[str, Range]] | None = None,
                 order: list[str] | None = None, layout: Layout = PLAIN) -> None:
        self.tables = tables
        self.source = BytesSource(source) if isinstance(source, bytes) else source
        self.stored: dict[str, dict[str, Range]] = stored if stored is not None else {}
        self.order = order or list(tables)
        self.layout = layout
        self.changed: set[tuple[str, str]] = set()
        """(table, doc id) of every document changed since the checkpoint was read."""
        self.catalogue: Catalogue | None = None
        """What the start-up index said (None when the checkpoint was parsed whole)."""
        self.notes: list[str] = []
        """What the reader should be told about how this record was read (one line each)."""
        self.index_altered = False
        """Its index was ignored because its seal did not hold (altered, or damaged)."""
        self.ids: dict[str, dict[str, str]] = {}
        """table -> {record id: doc id}, for the documents with an "id" known so far."""
        for table, docs in tables.items():
            self._note_ids(table, docs.items())

    def unproven(self) -> str | None:
        """Why what this image's index says cannot be trusted; None when it can (or when the
        image did not come from an index). Waits for the proof."""
        return None if self.catalogue is None else self.source.why_not()

    def vouched(self) -> bool:
        """Whether what this image's index says may be shown before its proof is done (see
        `Proof.vouches`); True when there is nothing to prove. Waits for the index's MAC."""
        return self.catalogue is None or self.source.vouched()

    @property
    def proof_done(self) -> bool:
        """Whether `unproven` would answer without waiting."""
        return self.catalogue is None or self.source.proof_done

    def release(self) -> None:
        """Let go of every document and byte held (the record was closed). The image is part
        of reference cycles the garbage collector may never see (a store's objects are frozen
        out of its sight, `checkpoint.no_gc`): without this, each store opened and closed in
        one process, as a view-only window does at every save it follows, would stay in
        memory for good."""
        for held in (self.tables, self.stored, self.changed, self.ids):
            held.clear()
        self.order = []
        if self.catalogue is not None:
            self.catalogue.release()
        self.catalogue = None
        self.source = BytesSource(b"")

    @property
    def raw(self) -> bytes:
        """The whole checkpoint as bytes (read again from the file if it is not held)."""
        return self.source.whole()

    def doc(self, table: str, doc_id: str) -> Any:
        """One document, parsed from the checkpoint's bytes if it was not read yet."""
        held = self.tables.get(table, {})
        if doc_id in held:
            return held[doc_id]
        start, end = self._place(table, doc_id)
        raw = self.source.read(start, end)
        if len(raw) < BIG_DOC:
            return orjson.loads(raw)
        paused = gc.isenabled()  # a seal's list: 200,000 objects at once, that all live on
        gc.disable()
        try:
            return orjson.loads(raw)
        finally:
            if paused:
                gc.enable()

    def docs(self, table: str, doc_ids: Iterable[str]) -> list[Any]:
        """Several documents of `table` (as `doc`, with neighbours read in one go)."""
        held = self.tables.get(table, {})
        wanted = [d for d in doc_ids]
        spans = [self._place(table, d) for d in wanted if d not in held]
        parts = iter(self.source.reads(spans))
        loads = orjson.loads
        return [held[d] if d in held else loads(next(parts)) for d in wanted]

    def doc_ids(self, table: str) -> list[str]:
        """Every document of `table`, in file order (new ones last)."""
        stored = self._places(table)
        return [*stored, *(d for d in self.tables.get(table, {}) if d not in stored)]

    def apply(self, changes: Iterable[Write]) -> None:
        for table, doc_id, doc in changes:
            if table not in self.order:
                self.order.append(table)
            self.tables.setdefault(table, {})[doc_id] = doc
            self.changed.add((table, doc_id))
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                self.ids.setdefault(table, {})[doc["id"]] = doc_id

    def remove(self, added: Iterable[tuple[str, str]]) -> None:
        """Take out documents applied since the checkpoint that were never saved."""
        for table, doc_id in added:
            doc = self.tables.get(table, {}).pop(doc_id, None)
            self.changed.discard((table, doc_id))
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                self.ids.get(table, {}).pop(doc["id"], None)

    def _note_ids(self, table: str, docs: Iterable[tuple[str, Any]]) -> None:
        ids = self.ids.setdefault(table, {})
        for doc_id, doc in docs:
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                ids[doc["id"]] = doc_id

    def locate(self, record_id: str, tables: Iterable[str]) -> tuple[str, str] | None:
        """(table, doc id) of the record `record_id` among `tables`, if it is there."""
        for table in tables:
            doc_id = self.ids.get(table, {}).get(record_id)
            if doc_id is not None:
                return table, doc_id
        return None

    def copy(self) -> Image:
        """A copy whose tables can be changed without touching this one (the bytes are shared)."""
        if self.catalogue is not None:
            self.catalogue.read_all()  # every place known first
        twin = Image({t: dict(docs) for t, docs in self.tables.items()}, self.source,
                     {t: dict(places) for t, places in self.stored.items()}, list(self.order),
                     self.layout)
        twin.catalogue, twin.changed = self.catalogue, set(self.changed)
        twin.ids = {t: dict(ids) for t, ids in self.ids.items()}
        return twin

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Every table with every document parsed: the record as plain TinyDB data."""
        return {t: dict(zip(ids, self.docs(t, ids), strict=True))
                for t in self.order for ids in [self.doc_ids(t)]}

    def meta(self) -> dict[str, Any]:
        name = self.layout.meta
        meta = self.tables.setdefault(name, {}).setdefault("1", {})
        if name not in self.order:
            self.order.insert(0, name)
        return meta

    def meta_value(self, key: str) -> Any:
        meta = self.tables.get(self.layout.meta, {}).get("1", {})
        return meta.get(key) if isinstance(meta, dict) else None

    def _place(self, table: str, doc_id: str) -> Range:
        """Where one document sits: known already once its index line was read (a record
        opened reads only its own lines), else after every line of its table is."""
        place = self.stored.get(table, {}).get(doc_id)
        return place if place is not None else self._places(table)[doc_id]

    def _places(self, table: str) -> dict[str, Range]:
        if self.catalogue is not None and table in self.layout.lazy:
            self.catalogue.read_all(table)  # fills in the table's places
        return self.stored.get(table, {})


def stamp(status: os.stat_result) -> list[int]:
    """What the file system says of one file as it is now: its inode (file id on Windows),
    size, and modification and change times (on Windows, its creation time). Writing to the
    file, or putting another file in its place, changes it; and no program can set a change
    time back."""
    return [status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns]


@dataclass
class Encoded:
    """A checkpoint being written, in pieces: where each table and each lazy document sits
    (complete once every piece was taken), its size, and its SHA-256 digest."""

    spans: dict[str, Range]
    places: dict[str, dict[str, Range]]
    size: int = 0
    digest: str = ""
    stamp: list[int] | None = None
    """The file's stamp once it is in place (`index.stamp`), for its index."""


def encode(image: Image, encoded: Encoded) -> Iterator[bytes]:
    """The whole record as one compact JSON object, the bytes `orjson.dumps` would give, in
    pieces; `encoded` is filled in as they are taken.

    Documents not read since the last checkpoint are copied as they are, unparsed, and runs
    of them as one piece straight from the old file.
    """
    import hashlib

    digest = hashlib.sha256()
    size = 0

    def out(piece: bytes) -> bytes:
        nonlocal size
        digest.update(piece)
        size += len(piece)
        return piece

    yield out(b"{")
    keep = (*image.layout.lazy, *DEFERRED)
    for n, table in enumerate(image.order):
        yield out((b"," if n else b"") + orjson.dumps(table) + b":")
        opened = size
        yield out(b"{")
        held, stored = image.tables.get(table, {}), image._places(table)
        spots: dict[str, Range] = {}
        run: tuple[int, int, int] | None = None  # (old start, old end, new start) of a copy
        for m, doc_id in enumerate(image.doc_ids(table)):
            lead = (b"," if m else b"") + orjson.dumps(doc_id) + b":"
            if doc_id not in held:
                begin, end = stored[doc_id]
                if run is not None and run[1] + len(lead) == begin and m % RUN_DOCS:
                    run = (run[0], end, run[2])  # the next document right after: same run
                else:
                    if run is not None:
                        yield from (out(p) for p in image.source.pieces(run[0], run[1], PIECE))
                    yield out(lead)
                    run = (begin, end, size)
                spots[doc_id] = (run[2] + begin - run[0], run[2] + end - run[0])
                continue
            if run is not None:
                yield from (out(p) for p in image.source.pieces(run[0], run[1], PIECE))
                run = None
            body = orjson.dumps(held[doc_id])
            yield out(lead)
            spots[doc_id] = (size, size + len(body))
            yield out(body)
        if run is not None:
            yield from (out(p) for p in image.source.pieces(run[0], run[1], PIECE))
        yield out(b"}")
        encoded.spans[table] = (opened, size)
        if table in keep:
            encoded.places[table] = spots
    yield out(b"}")
    encoded.size, encoded.digest = size, digest.hexdigest()


def encode_bytes(image: Image) -> tuple[bytes, Encoded]:
    """`encode` whole, into memory (small records, restores, tests)."""
    encoded = Encoded({}, {})
    return b"".join(encode(image, encoded)), encoded


def adopt(image: Image, encoded: Encoded, source: Source) -> None:
    """After `encoded` is on disk (as `source`): point the lazy tables at it and forget what
    changed."""
    image.source.close()
    image.source = source
    lazy = (*image.layout.lazy, *DEFERRED)
    for table in lazy:
        if table in encoded.places:
            image.stored[table] = encoded.places[table]
            image.tables[table] = {}
    image.changed.clear()
