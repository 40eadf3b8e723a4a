"""The record in memory: small tables parsed, patients and sessions read from their bytes on demand.

A checkpoint is written document by document (`encode`), so the writer knows where every
patient and session sits in the file, which its sidecar index (mesotui/sidecar.py) keeps for
the next start: then the small tables are parsed and the rest of the file stays bytes, read
by a thread while the list is drawn; a record is parsed when it is first asked for.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from mesotui.sidecar import Catalogue

LAZY = ("patients", "sessions")
"""Tables whose documents stay as bytes until read; the others are small and parsed at once."""
DEFERRED = ("manifest",)
"""Tables parsed only when needed too (the seal's list: needed by the first save, not by the
list), whose places the index keeps apart from the rows of the lazy tables."""

Range = tuple[int, int]
Change = tuple[str, str, Any]
"""(table, doc id, document) — one document written whole."""


def index_path(path: Path) -> Path:
    return path.with_name(path.name + ".index")


def new_token() -> str:
    return secrets.token_hex(8)


class Background:
    """The rest of the checkpoint, read by a thread while start-up goes on.

    A file read (and a digest of large bytes) lets other Python code run meanwhile, so the
    40 MB of a big clinic arrive, and are proven to be what the index describes, while the app
    starts; `result` and `why_not` wait for them the first time they are needed.

    Args:
        read: reads and returns the whole checkpoint (and closes what it opened).
        prove: given those bytes, says why the index does not describe them (None if it does).
    """

    def __init__(self, read: Callable[[], bytes],
                 prove: Callable[[bytes], str | None] | None = None) -> None:
        self._read = read
        self._prove = prove
        self._data: bytes | None = None
        self._why: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mesotui-read", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._data = self._read()
            if self._prove is not None:
                self._why = self._prove(self._data)
        except BaseException as error:  # noqa: BLE001 - handed to the thread that waits
            self._error = error

    def why_not(self) -> str | None:
        """Why the index does not describe the checkpoint read; None when it is proven to."""
        self.result()
        return self._why

    def result(self) -> bytes:
        self._thread.join()
        if self._error is not None:
            raise self._error.with_traceback(None)  # each time anew, not an ever longer trace
        assert self._data is not None
        return self._data


class Image:
    """The record file's tables, in TinyDB's layout, with some documents not parsed yet.

    Args:
        tables: table name -> {doc id: document}; a lazy table holds only the documents
            read back or changed since the checkpoint.
        raw: the checkpoint's bytes, which `stored` points into (or their `Background`
            reading, waited for when first needed).
        stored: lazy table -> {doc id: (start, end)} of each document in `raw`.
        order: the tables in the order the checkpoint holds them.
    """

    def __init__(self, tables: dict[str, dict[str, Any]], raw: bytes | Background = b"",
                 stored: dict[str, dict[str, Range]] | None = None,
                 order: list[str] | None = None) -> None:
        self.tables = tables
        self.raw = raw
        self.stored: dict[str, dict[str, Range]] = stored or {}
        self.order = order or list(tables)
        self.changed: set[tuple[str, str]] = set()
        """(table, doc id) of every document changed since the checkpoint was read."""
        self.catalogue: Catalogue | None = None
        self.notes: list[str] = []
        """What the reader should be told about how this record was read (one line each)."""
        self.index_altered = False
        """Its index was ignored because its seal did not hold (altered, or damaged)."""

    def unproven(self) -> str | None:
        """Why what this image's index says cannot be trusted; None when it can (or when the
        image did not come from an index). Waits for the background read."""
        if self.catalogue is None or self._background is None:
            return None
        return self._background.why_not()

    @property
    def raw(self) -> bytes:
        if isinstance(self._raw, Background):
            self._raw = self._raw.result()
        return self._raw

    @raw.setter
    def raw(self, value: bytes | Background) -> None:
        self._raw = value
        self._background = value if isinstance(value, Background) else None

    def doc(self, table: str, doc_id: str) -> Any:
        """One document, parsed from the checkpoint's bytes if it was not read yet."""
        held = self.tables.get(table, {})
        if doc_id in held:
            return held[doc_id]
        start, end = self._places(table)[doc_id]
        return orjson.loads(memoryview(self.raw)[start:end])

    def docs(self, table: str, doc_ids: Iterable[str]) -> list[Any]:
        """Several documents of `table` (as `doc`, in one go: an export reads every one)."""
        held, places = self.tables.get(table, {}), self._places(table)
        view, loads = memoryview(self.raw), orjson.loads
        return [held[d] if d in held else loads(view[places[d][0]:places[d][1]])
                for d in doc_ids]

    def doc_ids(self, table: str) -> list[str]:
        """Every document of `table`, in file order (new ones last)."""
        stored = self._places(table)
        return [*stored, *(d for d in self.tables.get(table, {}) if d not in stored)]

    def apply(self, changes: Iterable[Change]) -> None:
        for table, doc_id, doc in changes:
            if table not in self.tables:
                self.tables[table] = {}
                if table not in self.order:
                    self.order.append(table)
            self.tables[table][doc_id] = doc
            self.changed.add((table, doc_id))

    def copy(self) -> Image:
        """A copy whose tables can be changed without touching this one (the bytes are shared)."""
        self._places("sessions")  # settle the catalogue's places into this image first
        twin = Image({t: dict(docs) for t, docs in self.tables.items()}, self.raw,
                     {t: dict(places) for t, places in self.stored.items()}, list(self.order))
        twin.catalogue = self.catalogue
        return twin

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Every table with every document parsed: the record as plain TinyDB data."""
        return {t: {d: self.doc(t, d) for d in self.doc_ids(t)} for t in self.order}

    def meta(self) -> dict[str, Any]:
        meta = self.tables.setdefault("meta", {}).setdefault("1", {})
        if "meta" not in self.order:
            self.order.insert(0, "meta")
        return meta

    def _places(self, table: str) -> dict[str, Range]:
        if table == "sessions" and self.catalogue is not None:
            self.catalogue.settle()  # fills in the sessions' places
        return self.stored.get(table, {})


@dataclass
class Encoded:
    """A checkpoint as bytes, with where each table and each lazy document sits in them."""

    raw: bytes
    spans: dict[str, Range]
    places: dict[str, dict[str, Range]]


def encode(image: Image) -> Encoded:
    """The whole record as one compact JSON object, the bytes `orjson.dumps` would give.

    Documents not read since the last checkpoint are copied as they are, unparsed.
    """
    out = bytearray(b"{")
    spans: dict[str, Range] = {}
    places: dict[str, dict[str, Range]] = {}
    raw = memoryview(image.raw)
    for n, table in enumerate(image.order):
        out += (b"," if n else b"") + orjson.dumps(table) + b":"
        opened = len(out)
        out += b"{"
        held, stored = image.tables.get(table, {}), image._places(table)
        spots = places[table] = {}
        for m, doc_id in enumerate(image.doc_ids(table)):
            out += (b"," if m else b"") + orjson.dumps(doc_id) + b":"
            start = len(out)
            if doc_id in held:
                out += orjson.dumps(held[doc_id])
            else:
                begin, end = stored[doc_id]
                out += raw[begin:end]
            spots[doc_id] = (start, len(out))
        out += b"}"
        spans[table] = (opened, len(out))
    out += b"}"
    return Encoded(bytes(out), spans, places)


def adopt(image: Image, encoded: Encoded) -> None:
    """After `encoded` is on disk: point the lazy tables at it and forget what changed."""
    image.raw = encoded.raw
    for table in (*LAZY, *DEFERRED):
        image.stored[table] = encoded.places.get(table, {})
    image.changed.clear()
