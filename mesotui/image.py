"""The record in memory: small tables parsed, patients and sessions read from their bytes on demand.

A checkpoint is written document by document (`encode`), so the writer knows where every
patient and session sits in the file. It keeps those places, with what the patient list needs
of each patient and what the schedule needs of each session, in a sidecar index
(`<record>.index`). The next start reads the index and the small tables and leaves the rest of
the file as bytes: a record is parsed when it is first asked for.

The index is only a cache. It names the checkpoint it describes (its size and a random token
written into the checkpoint's meta table); when they differ (an older mesotui, a crash between
the two writes, a file restored or edited by hand) the checkpoint is parsed whole instead.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from mesotui import __version__
from mesotui.models import Card
from mesotui.schedule import Standing

LAZY = ("patients", "sessions")
"""Tables whose documents stay as bytes until read; the others are small and parsed at once."""
CHUNK = 1000
"""Session rows per line of the index: the app reads them a line at a time between keys."""
INDEX_FORMAT = 1

Range = tuple[int, int]
Change = tuple[str, str, Any]
"""(table, doc id, document) — one document written whole."""


def index_path(path: Path) -> Path:
    return path.with_name(path.name + ".index")


def new_token() -> str:
    return secrets.token_hex(8)


@dataclass
class Catalogue:
    """What the index says of each patient and session, for the store to build its own from.

    `patients` rows are [doc id, patient id, Card, Standing or None]; `sessions` rows
    [doc id, session id, patient id, date, voided, lot, lot expiry]. The sessions' rows are
    parsed only when first needed: the patient list needs the patients' alone.
    """

    patients: list[list[Any]]
    next_doc: dict[str, int]
    _rest: memoryview | list[bytes]
    """The index's lines of session rows (CHUNK rows each) not parsed yet: at first the bytes
    they are in, split when first needed (not before the patient list shows)."""
    _image: Image | None = field(default=None, repr=False)
    _chunks: list[list[list[Any]]] = field(default_factory=list)

    @property
    def _pending(self) -> list[bytes]:
        if isinstance(self._rest, memoryview):
            self._rest = [line for line in bytes(self._rest).split(b"\n") if line.strip()]
        return self._rest

    def chunks(self) -> Iterator[list[list[Any]]]:
        """The session rows a line at a time, parsing each line when first reached."""
        done = 0
        while done < len(self._chunks) or self._pending:
            if done == len(self._chunks):
                self._chunks.append(self._parse(self._pending.pop(0)))
            yield self._chunks[done]
            done += 1

    def settle(self) -> None:
        """Parse every line still pending (which also records each session's place).

        Called before every read of a session, so it returns at once when nothing is left.
        """
        if isinstance(self._rest, list) and not self._rest:
            return
        for _chunk in self.chunks():
            pass

    def _parse(self, line: bytes) -> list[list[Any]]:
        rows = orjson.loads(line)
        if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == 9
                                                 for r in rows):
            raise ValueError("the index's session rows are malformed")
        places = self._image.stored.setdefault("sessions", {}) if self._image else {}
        for row in rows:
            places[row[0]] = (row[7], row[8])
            del row[7:]
        return rows


class Background:
    """The rest of the checkpoint, read by a thread while start-up goes on.

    A file read lets other Python code run meanwhile, so the 40 MB of a big clinic arrive
    while the app draws its list; `result` waits for them the first time a record is opened.

    Args:
        read: reads and returns the whole checkpoint (and closes what it opened).
    """

    def __init__(self, read: Callable[[], bytes]) -> None:
        self._read = read
        self._data: bytes | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mesotui-read", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._data = self._read()
        except BaseException as error:  # noqa: BLE001 - handed to the thread that waits
            self._error = error

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
        self._raw = raw
        self.stored: dict[str, dict[str, Range]] = stored or {}
        self.order = order or list(tables)
        self.changed: set[tuple[str, str]] = set()
        """(table, doc id) of every document changed since the checkpoint was read."""
        self.catalogue: Catalogue | None = None

    @property
    def raw(self) -> bytes:
        if isinstance(self._raw, Background):
            self._raw = self._raw.result()
        return self._raw

    @raw.setter
    def raw(self, value: bytes | Background) -> None:
        self._raw = value

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
    for table in LAZY:
        image.stored[table] = encoded.places.get(table, {})
    image.changed.clear()


def index_bytes(encoded: Encoded, token: str, patients: list[list[Any]],
                sessions: list[list[Any]]) -> bytes:
    """The sidecar index: a head line (tables, patients), then lines of session rows.

    Args:
        patients: [doc id, patient id, Card, Standing] for every patient.
        sessions: [doc id, session id, patient id, date, voided, lot, lot expiry] for each.

    Raises:
        ValueError: the rows do not cover exactly the documents of the checkpoint.
    """
    places = encoded.places.get("patients", {})
    session_places = encoded.places.get("sessions", {})
    if ({row[0] for row in patients} != set(places)
            or {row[0] for row in sessions} != set(session_places)):
        raise ValueError("the index would not describe every record of the checkpoint")
    next_doc = {table: max((int(d) for d in encoded.places.get(table, {}) if d.isdigit()),
                           default=0) + 1 for table in LAZY}
    head = {"format": "mesotui-index", "version": INDEX_FORMAT, "app": __version__,
            "size": len(encoded.raw), "token": token,
            "order": list(encoded.spans), "spans": encoded.spans, "next_doc": next_doc,
            "patients": [[doc_id, pid, *places[doc_id], card.to_data(),
                          standing.to_data() if standing else None]
                         for doc_id, pid, card, standing in patients]}
    rows = [[*row, *session_places[row[0]]] for row in sessions]
    lines = [orjson.dumps(rows[n:n + CHUNK]) for n in range(0, len(rows), CHUNK)]
    return b"\n".join([orjson.dumps(head), *lines]) + b"\n"


def from_index(index: bytes, size: int, span: Callable[[int, int], bytes]) -> Image:
    """The image of a checkpoint as its index describes it, its bytes not yet attached (the
    caller sets `raw`, or the `Background` reading them).

    Args:
        size: the checkpoint's size.
        span: reads bytes [start, end) of the checkpoint: the small tables are read through
            it, so they need not wait for the rest.

    Raises:
        ValueError (or KeyError, TypeError, IndexError, orjson.JSONDecodeError): the index
        does not describe this checkpoint; parse it whole instead.
    """
    end_of_head = index.index(b"\n")
    head = orjson.loads(memoryview(index)[:end_of_head])
    if (head.get("format") != "mesotui-index" or head.get("version") != INDEX_FORMAT
            or head.get("app") != __version__ or head.get("size") != size):
        raise ValueError("the index is for another checkpoint")
    tables: dict[str, dict[str, Any]] = {}
    for table in head["order"]:
        if table in LAZY:
            tables[table] = {}
            continue
        start, end = head["spans"][table]
        if not 0 <= start <= end <= size:
            raise ValueError(f"the index's {table} span is outside the checkpoint")
        tables[table] = orjson.loads(span(start, end))
        if not isinstance(tables[table], dict):
            raise ValueError(f"the index's {table} span is not a table")
    meta = tables.get("meta", {}).get("1")
    if not isinstance(meta, dict) or meta.get("checkpoint") != head["token"]:
        raise ValueError("the index is for another checkpoint")
    patients = head["patients"]
    stored = {"patients": {doc_id: (start, end) for doc_id, _pid, start, end, *_ in patients}}
    image = Image(tables, b"", stored, list(head["order"]))
    image.catalogue = Catalogue(
        [[doc_id, pid, Card.from_data(pid, card), Standing.from_data(standing) if standing
          else None] for doc_id, pid, _start, _end, card, standing in patients],
        {k: int(v) for k, v in head["next_doc"].items()},
        memoryview(index)[end_of_head + 1:], image)
    return image
