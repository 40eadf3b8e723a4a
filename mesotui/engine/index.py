"""The start-up index (`<record>.index`): where every document of the lazy tables sits in a
checkpoint, with the row the layer above keeps for each, so a start reads it and the small
tables instead of parsing the whole record file.

The index is only a cache, and it is proven before anything it says is used: its first line
is a MAC of its head (keyed with the clinic key when there is one, a plain SHA-256 digest
otherwise). The head gives the SHA-256 of each line of rows after it (each checked as it is
read, and all of them by the proof), the size, the token, the stamp (`stamp`) and the
SHA-256 digest of the checkpoint it describes, and the tag of the rules that made its rows.
The size, token and tag are checked at once; the MAC, then the lines and the digest, by the
thread that reads the checkpoint through meanwhile (mesotui/engine/source.py). An index that
fails any of them (an older mesotui, a crash between the two writes, a restore, a damaged or
forged index, a record file edited in place, rows made by other rules) is ignored and the
checkpoint is parsed whole.

The app may show the patient list once the MAC holds and the file still has the stamp the
index recorded (no program can set a file's change time back), before the digest is done
(`Proof.vouches`); nothing is written, and no command reads, before the digest too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import orjson

from mesotui.engine.catalogue import CHUNK, EAGER_CHUNK, Catalogue
from mesotui.engine.image import Encoded, Image
from mesotui.engine.layout import DEFERRED, Layout

INDEX_FORMAT = 6
"""2 added the MAC line and the checkpoint's digest; 3 the rules' tag and generic rows; 4 the
rows per line (`chunks`), so the line holding a given row can be read alone; 5 the
checkpoint's stamp, so the list can be shown before the digest of a large file is done; 6
the eager tables' rows in lines too, read as asked for, and only their heads at start-up; the
MAC over the head only, which gives each line's digest (a start proves 2 MB, not 24)."""
MAGIC = b"mesotui-index"
ALTERED = "it was altered or damaged"
DAMAGED = "it is damaged"



def seal(body: bytes | memoryview, key: bytes | None) -> bytes:
    """The first line of an index: a MAC of the rest (a digest when there is no key)."""
    if key is None:
        return b"sha256:" + hashlib.sha256(body).hexdigest().encode()
    return b"hmac-sha256:" + hmac.new(key, body, hashlib.sha256).hexdigest().encode()


def index_bytes(encoded: Encoded, token: str, layout: Layout, rows: dict[str, list[list[Any]]],
                tag: str, key: bytes | None = None) -> bytes:
    """The start-up index: its seal, a head line (tables, the eager tables' heads), then
    lines of rows, the eager tables' first.

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
    heads = {table: layout.head(table, [row[1:] for row in rows.get(table, [])])
             for table in layout.eager()}
    lines: list[bytes] = []
    tables = []
    chunks = {**dict.fromkeys(layout.eager(), EAGER_CHUNK), layout.chunked or "": CHUNK}
    for table in (*layout.eager(), *([layout.chunked] if layout.chunked else [])):
        held, chunk = placed.get(table, []), chunks[table]
        made = [orjson.dumps(held[n:n + chunk]) for n in range(0, len(held), chunk)]
        lines += made
        tables.append([table, len(made)])
    next_doc = {table: max((int(d) for d in encoded.places.get(table, {}) if d.isdigit()),
                           default=0) + 1 for table in layout.lazy}
    head = {"format": "mesotui-index", "version": INDEX_FORMAT, "tag": tag,
            "size": encoded.size, "token": token, "digest": encoded.digest,
            "stamp": encoded.stamp,
            "order": list(encoded.spans), "spans": encoded.spans, "next_doc": next_doc,
            "places": {table: encoded.places[table] for table in DEFERRED
                       if table in encoded.places}, "chunks": chunks,
            "heads": heads, "lines": tables, "lengths": [len(line) for line in lines],
            "digests": [hashlib.sha256(line).hexdigest() for line in lines]}
    sealed = orjson.dumps(head)  # the MAC covers the head; the head, each line's digest
    return MAGIC + b" " + seal(sealed, key) + b"\n" + b"\n".join([sealed, *lines]) + b"\n"


class Foreign(ValueError):
    """The index is for another checkpoint, another format or other rules."""


def from_index(index: bytes, size: int, span: Callable[[int, int], bytes], layout: Layout,
               begin: Callable[[Proof, dict[str, Any]], None] | None = None,
               rest: Callable[[], bytes] | None = None) -> tuple[Image, Proof]:
    """The image of a checkpoint as its index describes it (its source not yet attached),
    and the proof still to make.

    Args:
        index: the index, or its first two lines (`catalogue.read_first_lines`) and then `rest`.
        size: the checkpoint's size.
        span: reads bytes [start, end) of the checkpoint: the small tables are read through
            it, so they need not wait for the rest.
        begin: given the proof and the small tables, as soon as they are read (before the
            index's rows are): the proof can then run beside the rest of the reading.
        rest: the index's lines of rows (`catalogue.Later`) when `index` does not hold them.

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
    end_of_head = index.index(b"\n", first + 1)
    body = memoryview(index)[first + 1:end_of_head]
    if rest is None:
        lines_read = index[end_of_head + 1:]
        rest = lambda: lines_read  # noqa: E731 - the whole index was given
    head = orjson.loads(body)
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
    lines = _line_places(head["lengths"])
    digests = [str(digest) for digest in head["digests"]]
    if len(digests) != len(lines):
        raise ValueError("the index's lines are not where its head says")
    tables_of = [str(table) for table, count in head["lines"] for _ in range(int(count))]

    def damaged(number: int, line: memoryview) -> bool:
        """Whether a line that fails its digest does not read at all: damage, not forgery."""
        try:
            rows = orjson.loads(line)
            for row in rows:
                if tables_of[number] in layout.eager():
                    layout.read_row(tables_of[number], row[3:])
        except Exception:  # noqa: BLE001 - whatever does not read is damage
            return True
        return not isinstance(rows, list)

    prove = Proof(sealed, body, str(head["digest"]),
                  [int(n) for n in stamped] if isinstance(stamped, list) else None,
                  (rest, lines, digests), damaged)
    if begin is not None:
        begin(prove, tables)
    stored: dict[str, dict[str, tuple[int, int]]] = {}
    image = Image(tables, b"", stored, list(head["order"]), layout)
    for table, places in head["places"].items():
        stored[table] = {doc_id: (int(start), int(end)) for doc_id, (start, end) in
                         places.items() if 0 <= int(start) <= int(end) <= size}
    image.catalogue = Catalogue(head["heads"], {k: int(v) for k, v in head["next_doc"].items()},
                                str(head["tag"]), rest, list(lines), digests,
                                [(str(t), int(n)) for t, n in head["lines"]], image,
                                chunks={str(t): int(n) for t, n in head["chunks"].items()})
    return image, prove


def _line_places(lengths: list[int]) -> list[tuple[int, int]]:
    """Where each line of rows sits among them, from the lengths the head gives (a line
    that is not all there fails its digest)."""
    places, start = [], 0
    for length in lengths:
        if int(length) < 0:
            raise ValueError("the index's lines are not where its head says")
        places.append((start, start + int(length)))
        start += int(length) + 1
    return places


class Proof:
    """Whether an index describes the checkpoint beside it: called with the checkpoint's
    digest and the clinic key, why it does not (None: it does).

    Args:
        body: the head, which the MAC covers.
        lines: the index, where each line of rows is in it, and the digest the head gives
            each: the MAC covers those, so a line is proven by its digest alone.
    """

    def __init__(self, sealed: bytes, body: memoryview, expected: str,
                 stamp: list[int] | None,
                 lines: tuple[Callable[[], bytes], list[tuple[int, int]], list[str]] = (
                     bytes, [], []),
                 damaged: Callable[[int, memoryview], bool] = lambda number, line: False
                 ) -> None:
        self.sealed, self.body, self.expected, self.stamp = sealed, body, expected, stamp
        self.lines, self._damaged = lines, damaged
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

    def lines_fault(self) -> str | None:
        """Why a line of rows does not have the digest the head gives it (None: each does)."""
        rest, places, digests = self.lines
        view = memoryview(rest())
        for number, ((start, end), digest) in enumerate(zip(places, digests, strict=True)):
            line = view[start:end]
            if not hmac.compare_digest(hashlib.sha256(line).hexdigest(), digest):
                return DAMAGED if self._damaged(number, line) else ALTERED
        return None

    def __call__(self, digest: str, key: bytes | None) -> str | None:
        why = self.seal_fault(key) or self.lines_fault()
        if why is None and not hmac.compare_digest(digest, self.expected):
            return "the record file was changed since the index was written"
        return why


def rows_read(catalogue: Catalogue, layout: Layout) -> bool:
    """Whether every row and head of the eager tables reads (`Layout.read_row`). Rows are taken as
    written while the index's MAC holds (this very code wrote them: the rules' tag says
    so); asked only when it does not, to tell a damaged index from an altered one."""
    try:
        for table in layout.eager():
            layout.read_head(table, catalogue.heads.get(table))
            for row in catalogue.peek(table):
                layout.read_row(table, row)
    except Exception:  # noqa: BLE001 - whatever does not read is damage
        return False
    return True
