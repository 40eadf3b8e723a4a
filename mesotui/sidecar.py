"""The sidecar index (`<record>.index`): where every record sits in a checkpoint, with what the
patient list needs of each patient and the schedule of each session, so a start reads it and
the small tables instead of parsing the whole record file.

The index is only a cache, and it is proven before anything it says is used: its first line
is a MAC of the rest (keyed with the clinic key when there is one, a plain SHA-256 digest
otherwise), and its head holds the size, the token and the SHA-256 digest of the checkpoint it
describes. The size and token are checked at once; the digest and the MAC by the thread that
reads the rest of the checkpoint meanwhile (`Background`). An index that fails any of them
(an older mesotui, a crash between the two writes, a restore, a damaged or forged index, a
record file edited in place) is ignored and the checkpoint is parsed whole.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from mesotui import __version__
from mesotui.image import DEFERRED, LAZY, Encoded, Image
from mesotui.models import Card
from mesotui.schedule import Standing

CHUNK = 1000
"""Session rows per line of the index: the app reads them a line at a time between keys."""
INDEX_FORMAT = 2
"""2 added the MAC line and the checkpoint's digest."""
MAGIC = b"mesotui-index"
ALTERED = "it was altered or damaged"


def seal(body: bytes | memoryview, key: bytes | None) -> bytes:
    """The first line of an index: a MAC of the rest (a digest when there is no key)."""
    if key is None:
        return b"sha256:" + hashlib.sha256(body).hexdigest().encode()
    return b"hmac-sha256:" + hmac.new(key, body, hashlib.sha256).hexdigest().encode()


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


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



def index_bytes(encoded: Encoded, token: str, patients: list[list[Any]],
                sessions: list[list[Any]], key: bytes | None = None) -> bytes:
    """The sidecar index: its seal, a head line (tables, patients), then lines of session rows.

    Args:
        key: the clinic key that seals it (None: a plain digest, for a file without one).
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
            "size": len(encoded.raw), "token": token, "digest": digest(encoded.raw),
            "order": list(encoded.spans), "spans": encoded.spans, "next_doc": next_doc,
            "places": {table: encoded.places[table] for table in DEFERRED
                       if table in encoded.places},
            "patients": [[doc_id, pid, *places[doc_id], card.to_data(),
                          standing.to_data() if standing else None]
                         for doc_id, pid, card, standing in patients]}
    rows = [[*row, *session_places[row[0]]] for row in sessions]
    lines = [orjson.dumps(rows[n:n + CHUNK]) for n in range(0, len(rows), CHUNK)]
    body = b"\n".join([orjson.dumps(head), *lines]) + b"\n"
    return MAGIC + b" " + seal(body, key) + b"\n" + body


class Foreign(ValueError):
    """The index is for another checkpoint, or from another mesotui version."""


def from_index(index: bytes, size: int, span: Callable[[int, int], bytes]
               ) -> tuple[Image, Callable[[bytes, bytes | None], str | None]]:
    """The image of a checkpoint as its index describes it, its bytes not yet attached (the
    caller sets `raw`, or the `Background` reading them), and the proof still to make.

    Args:
        size: the checkpoint's size.
        span: reads bytes [start, end) of the checkpoint: the small tables are read through
            it, so they need not wait for the rest.

    Returns:
        The image, and `prove(checkpoint bytes, key)`: why the index does not describe those
        bytes (None when it does). Nothing the index says may be shown before it ran.

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
    if (head.get("format") != "mesotui-index" or head.get("version") != INDEX_FORMAT
            or head.get("app") != __version__):
        raise Foreign("the index is from another mesotui version")
    if head.get("size") != size:
        raise Foreign("the index is for another checkpoint")
    tables: dict[str, dict[str, Any]] = {}
    for table in head["order"]:
        if table in LAZY or table in DEFERRED:
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
        raise Foreign("the index is for another checkpoint")
    patients = head["patients"]
    stored = {"patients": {doc_id: (start, end) for doc_id, _pid, start, end, *_ in patients}}
    for table, places in head["places"].items():
        stored[table] = {doc_id: (int(start), int(end)) for doc_id, (start, end) in
                         places.items() if 0 <= int(start) <= int(end) <= size}
    image = Image(tables, b"", stored, list(head["order"]))
    image.catalogue = Catalogue(
        [[doc_id, pid, Card.from_data(pid, card), Standing.from_data(standing) if standing
          else None] for doc_id, pid, _start, _end, card, standing in patients],
        {k: int(v) for k, v in head["next_doc"].items()},
        memoryview(index)[end_of_head + 1:], image)
    expected = str(head["digest"])

    def prove(raw: bytes, key: bytes | None) -> str | None:
        keyed = sealed.startswith(b"hmac-sha256:")
        if keyed and key is None:
            return "it is sealed with a clinic key this machine does not have"
        if not hmac.compare_digest(seal(body, key), sealed):
            return ALTERED if keyed or key is None else "it is not sealed with the clinic key"
        if not hmac.compare_digest(digest(raw), expected):
            return "the record file was changed since the index was written"
        return None

    return image, prove
