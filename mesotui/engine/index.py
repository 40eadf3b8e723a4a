"""The start-up index (`<record>.index`): where every document of the lazy tables sits in a
checkpoint, with the row the layer above keeps for each, so a start reads it and the small
tables instead of parsing the whole record file.

The index is only a cache, and it is proven before anything it says is used: its first line
is a MAC of the rest (keyed with the clinic key when there is one, a plain SHA-256 digest
otherwise), and its head holds the size, the token, the stamp (`stamp`) and the SHA-256
digest of the checkpoint it describes, and the tag of the rules that made its rows. The size,
token and tag are checked at once; the MAC, then the digest, by the thread that reads the
checkpoint through meanwhile (mesotui/engine/source.py). An index that fails any of them (an
older mesotui, a crash between the two writes, a restore, a damaged or forged index, a record
file edited in place, rows made by other rules) is ignored and the checkpoint is parsed whole.

The app may show the patient list once the MAC holds and the file still has the stamp the
index recorded (no program can set a file's change time back), before the digest is done
(`Proof.vouches`); nothing is written, and no command reads, before the digest too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from mesotui.engine.image import Encoded, Image
from mesotui.engine.layout import DEFERRED, Layout

CHUNK = 1000
"""Rows of the chunked table per line of the index: read a line at a time between keys."""
INDEX_FORMAT = 5
"""2 added the MAC line and the checkpoint's digest; 3 the rules' tag and generic rows; 4 the
rows per line (`chunk`), so the line holding a given row can be read alone; 5 the
checkpoint's stamp, so the list can be shown before the digest of a large file is done."""
MAGIC = b"mesotui-index"
ALTERED = "it was altered or damaged"



def seal(body: bytes | memoryview, key: bytes | None) -> bytes:
    """The first line of an index: a MAC of the rest (a digest when there is no key)."""
    if key is None:
        return b"sha256:" + hashlib.sha256(body).hexdigest().encode()
    return b"hmac-sha256:" + hmac.new(key, body, hashlib.sha256).hexdigest().encode()


@dataclass
class Catalogue:
    """What the index says of each record: the rows of the tables read at start-up, and the
    chunked table's rows, parsed a line at a time when asked (`step`, `read_rows`).

    Chunked rows are `[record id, *what the layer above keeps]`; their places go into the
    image. Each line of them is handed once to `on_rows` (set by the layer above before the
    first step) and then let go.
    """

    rows: dict[str, list[Any]]
    """Per table read at start-up, each row as the index holds it (`rows_read`)."""
    next_doc: dict[str, int]
    tag: str
    _rest: memoryview | list[bytes | None]
    _image: Image | None = field(default=None, repr=False)
    on_rows: Callable[[list[list[Any]]], None] | None = None
    chunk: int = CHUNK
    """Rows per line, as the index was written."""
    _next: int = 0
    """The first line `step` has not looked at yet."""
    _left: int = -1
    """Lines not parsed yet (-1: not counted yet)."""

    def release(self) -> None:
        """Let go of every row held (the record was closed; see `Image.release`)."""
        self.rows.clear()
        self._rest, self._image, self.on_rows, self._left = [], None, None, 0

    @property
    def _lines(self) -> list[bytes | None]:
        if isinstance(self._rest, memoryview):
            self._rest = [line for line in bytes(self._rest).split(b"\n") if line.strip()]
            self._left = len(self._rest)
        return self._rest

    @property
    def left(self) -> int:
        """Lines of chunked rows not parsed yet."""
        self._lines  # noqa: B018 - counted once split
        return self._left

    @property
    def done(self) -> bool:
        return not isinstance(self._rest, memoryview) and self._left == 0

    def step(self) -> bool:
        """Parse the next line of chunked rows not parsed yet; False when none is left.

        Raises:
            ValueError: the line does not parse (the index's damage, not the record's).
        """
        lines = self._lines
        while self._next < len(lines) and lines[self._next] is None:
            self._next += 1
        if self._next >= len(lines):
            return False
        self._parse(self._next)
        return True

    def read_rows(self, first: int, count: int) -> None:
        """Parse the lines that hold chunked rows [first, first + count), if not parsed yet:
        one record's rows, when the layer above keeps them together, without the rest.

        Raises:
            ValueError: a line does not parse, or there is no such row.
        """
        if count <= 0:
            return
        lines = self._lines
        last = (first + count - 1) // self.chunk
        if first < 0 or last >= len(lines):
            raise ValueError("the index's rows are malformed")
        for number in range(first // self.chunk, last + 1):
            if lines[number] is not None:
                self._parse(number)

    def _parse(self, number: int) -> None:
        lines = self._lines
        rows = orjson.loads(lines[number] or b"")
        if not isinstance(rows, list):
            raise ValueError("the index's rows are malformed")
        try:  # whole lines at a time: 200,000 rows are read between keystrokes
            if self._image is not None:
                table = self._image.layout.chunked or ""
                self._image.stored.setdefault(table, {}).update(
                    {row[0]: (row[1], row[2]) for row in rows})
                self._image.ids.setdefault(table, {}).update({row[3]: row[0] for row in rows})
            for row in rows:
                del row[:3]
        except (TypeError, IndexError, KeyError):
            raise ValueError("the index's rows are malformed") from None
        lines[number] = None
        self._left -= 1
        if self.on_rows is not None:
            self.on_rows(rows)

    def read_all(self) -> None:
        """Parse every line still pending (which also records each document's place).

        Called before every read of a chunked document not placed yet, so it returns at once
        when done.
        """
        while not self.done and self.step():
            pass


def index_bytes(encoded: Encoded, token: str, layout: Layout, rows: dict[str, list[list[Any]]],
                tag: str, key: bytes | None = None) -> bytes:
    """The start-up index: its seal, a head line (tables, eager rows), then lines of rows.

    Args:
        rows: per lazy table, `[doc id, record id, *payload]` for every document.
        tag: the rules that made the rows (`Layout.tag` of the checkpoint's small tables).
        key: the clinic key that seals it (None: a plain digest, for a file without one).

    Raises:
        ValueError: the rows do not cover exactly the documents of the checkpoint.
    """
    placed = {}
    for table in layout.lazy:
        places = encoded.places.get(table, {})
        given = rows.get(table, [])
        if {row[0] for row in given} != set(places) or len(given) != len(places):
            raise ValueError("the index would not describe every record of the checkpoint")
        placed[table] = [[row[0], *places[row[0]], *row[1:]] for row in given]
    next_doc = {table: max((int(d) for d in encoded.places.get(table, {}) if d.isdigit()),
                           default=0) + 1 for table in layout.lazy}
    head = {"format": "mesotui-index", "version": INDEX_FORMAT, "tag": tag,
            "size": encoded.size, "token": token, "digest": encoded.digest,
            "stamp": encoded.stamp,
            "order": list(encoded.spans), "spans": encoded.spans, "next_doc": next_doc,
            "places": {table: encoded.places[table] for table in DEFERRED
                       if table in encoded.places}, "chunk": CHUNK,
            "rows": {table: placed[table] for table in layout.eager()}}
    chunked = placed.get(layout.chunked or "", [])
    lines = [orjson.dumps(chunked[n:n + CHUNK]) for n in range(0, len(chunked), CHUNK)]
    body = b"\n".join([orjson.dumps(head), *lines]) + b"\n"
    return MAGIC + b" " + seal(body, key) + b"\n" + body


class Foreign(ValueError):
    """The index is for another checkpoint, another format or other rules."""


def from_index(index: bytes, size: int, span: Callable[[int, int], bytes], layout: Layout,
               begin: Callable[[Proof, dict[str, Any]], None] | None = None
               ) -> tuple[Image, Proof]:
    """The image of a checkpoint as its index describes it (its source not yet attached),
    and the proof still to make.

    Args:
        size: the checkpoint's size.
        span: reads bytes [start, end) of the checkpoint: the small tables are read through
            it, so they need not wait for the rest.
        begin: given the proof and the small tables, as soon as they are read (before the
            index's rows are): the proof can then run beside the rest of the reading.

    Returns:
        The image, and the proof: nothing the index says may be shown before it ran.

    Raises:
        Foreign: the index is for another checkpoint; parse it whole instead.
        ValueError (or KeyError, TypeError, IndexError, orjson.JSONDecodeError): it is
        damaged; parse the checkpoint whole instead.
    """
    first = index.index(b"\n")
    magic, _, sealed = index[:first].partition(b" ")
    if magic != MAGIC:
        raise Foreign("the index is from an older mesotui")
    body = memoryview(index)[first + 1:]
    end_of_head = index.index(b"\n", first + 1)
    head = orjson.loads(memoryview(index)[first + 1:end_of_head])
    if head.get("format") != "mesotui-index" or head.get("version") != INDEX_FORMAT:
        raise Foreign("the index is from another mesotui version")
    if head.get("size") != size:
        raise Foreign("the index is for another checkpoint")
    tables: dict[str, dict[str, Any]] = {}
    for table in head["order"]:
        if table in layout.lazy or table in DEFERRED:
            tables[table] = {}
            continue
        start, end = head["spans"][table]
        if not 0 <= start <= end <= size:
            raise ValueError(f"the index's {table} span is outside the checkpoint")
        tables[table] = orjson.loads(span(start, end))
        if not isinstance(tables[table], dict):
            raise ValueError(f"the index's {table} span is not a table")
    meta = tables.get(layout.meta, {}).get("1")
    if not isinstance(meta, dict) or meta.get("checkpoint") != head["token"]:
        raise Foreign("the index is for another checkpoint")
    if head.get("tag") != layout.tag(tables):
        raise Foreign("the index was made by other rules")
    stamped = head.get("stamp")
    prove = Proof(sealed, body, str(head["digest"]),
                  [int(n) for n in stamped] if isinstance(stamped, list) else None)
    if begin is not None:
        begin(prove, tables)
    stored: dict[str, dict[str, tuple[int, int]]] = {}
    rows: dict[str, list[Any]] = {}
    image = Image(tables, b"", stored, list(head["order"]), layout)
    for table, placed in head["rows"].items():  # taken as written: see `rows_read`
        stored[table] = {row[0]: (row[1], row[2]) for row in placed}
        image.ids[table] = {row[3]: row[0] for row in placed}
        rows[table] = [row[3:] for row in placed]
    for table, places in head["places"].items():
        stored[table] = {doc_id: (int(start), int(end)) for doc_id, (start, end) in
                         places.items() if 0 <= int(start) <= int(end) <= size}
    image.catalogue = Catalogue(rows, {k: int(v) for k, v in head["next_doc"].items()},
                                str(head["tag"]), memoryview(index)[end_of_head + 1:], image,
                                chunk=int(head["chunk"]))
    if image.catalogue.chunk < 1:
        raise ValueError("the index's rows per line are impossible")
    return image, prove


class Proof:
    """Whether an index describes the checkpoint beside it: called with the checkpoint's
    digest and the clinic key, why it does not (None: it does)."""

    def __init__(self, sealed: bytes, body: memoryview, expected: str,
                 stamp: list[int] | None) -> None:
        self.sealed, self.body, self.expected, self.stamp = sealed, body, expected, stamp
        self._checked: dict[bytes | None, str | None] = {}

    def seal_fault(self, key: bytes | None) -> str | None:
        """Why the index's own MAC fails (None: it holds); computed once per key."""
        if key not in self._checked:
            keyed = self.sealed.startswith(b"hmac-sha256:")
            if keyed and key is None:
                why = "it is sealed with a clinic key this machine does not have"
            elif not hmac.compare_digest(seal(self.body, key), self.sealed):
                why = ALTERED if keyed or key is None else "it is not sealed with the clinic key"
            else:
                why = None
            self._checked[key] = why
        return self._checked[key]

    def vouches(self, key: bytes | None, now: list[int] | None) -> bool:
        """The index's MAC holds and the checkpoint has the stamp it recorded (`now`): what
        it says may be shown before the digest is checked. The MAC is checked either way."""
        return self.seal_fault(key) is None and self.stamp is not None and self.stamp == now

    def __call__(self, digest: str, key: bytes | None) -> str | None:
        why = self.seal_fault(key)
        if why is None and not hmac.compare_digest(digest, self.expected):
            return "the record file was changed since the index was written"
        return why


def rows_read(rows: dict[str, list[Any]], layout: Layout) -> bool:
    """Whether every row read at start-up reads (`Layout.read_row`). Rows are taken as
    written while the index's MAC holds (this very code wrote them: the rules' tag says
    so); asked only when it does not, to tell a damaged index from an altered one."""
    try:
        for table, held in rows.items():
            for row in held:
                layout.read_row(table, row)
    except Exception:  # noqa: BLE001 - whatever does not read is damage
        return False
    return True
