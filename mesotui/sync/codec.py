"""A record's leaf as a CouchDB document, and the checks a document pulled from a server passes.

On the server a record is one document under its own id; each leaf of its revision tree
carries the whole record as it stands there (all its revisions), so any leaf can be read
alone and a compaction on the server never loses a version. The body is one of:

- encrypted (the default): {"mesotui": FORMAT, "enc": "A256GCM", "iv": ..., "ct": ...}, the
  record's canonical JSON encrypted with AES-256-GCM, bound to the document's id and revision;
- plain, when the clinic has turned encryption off: {"mesotui": FORMAT, "enc": "none",
  "record": <the record's canonical JSON text>, "seal": <its MAC>}. The text is kept as text
  because a JavaScript server (PouchDB) rewrites 2.0 as 2, which would break the SHA-256 chain.

The server reads only ids, revision ids and ciphertext. A pulled document becomes a `Leaf`
only if its body was made with this clinic's key for exactly this id and revision, its
revisions verify (the SHA-256 chain, and `verify` for what the record file adds, such as
the clinic key's per-revision MAC), and its revision ids are the keyed ids of those revisions;
otherwise it is `Rejected`, to be quarantined, never merged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from mesotui import history, ids
from mesotui.errors import ValidationError
from mesotui.sync.keys import FORMAT, SyncKeys
from mesotui.sync.tree import Leaf, path

Verify = Callable[[str, Mapping[str, Any]], list[str]]
"""Extra checks of a pulled record document (its table, the doc): what is wrong, or []."""

REV = re.compile(r"([1-9][0-9]{0,5})-([0-9a-f]{32})")
SPECIAL_IDS = ("settings",)
"""Record ids outside the id pattern: the clinic's settings record."""


@dataclass(frozen=True)
class Rejected:
    """A pulled document that did not verify: it is quarantined and flagged, never merged."""

    record_id: str
    rev: str
    reason: str


def payload(leaf: Leaf) -> bytes:
    """The exact bytes a body carries: the record's canonical JSON and its table."""
    return history.canonical({"table": leaf.table, "record": leaf.doc}).encode("utf-8")


def encode(keys: SyncKeys, leaf: Leaf, *, encrypt: bool = True) -> dict[str, Any]:
    """The CouchDB document of a leaf, for `_bulk_docs` with `new_edits: false`."""
    revs = path(keys, leaf)
    doc_id, rev = leaf.record_id, revs[-1]
    doc: dict[str, Any] = {"_id": doc_id, "_rev": rev, "_revisions": {
        "start": len(revs), "ids": [r.partition("-")[2] for r in reversed(revs)]}}
    if leaf.deleted:
        doc["_deleted"] = True
    body = payload(leaf)
    if encrypt:
        nonce, ciphertext = keys.encrypt(doc_id, rev, body)
        doc.update({"mesotui": FORMAT, "enc": "A256GCM", "iv": _b64(nonce),
                    "ct": _b64(ciphertext)})
    else:
        doc.update({"mesotui": FORMAT, "enc": "none", "record": body.decode("utf-8"),
                    "seal": keys.seal_of(doc_id, rev, body)})
    return doc


def decode(keys: SyncKeys, doc: Mapping[str, Any], verify: Verify | None = None
           ) -> Leaf | Rejected:
    """The leaf a pulled document holds, or why it is rejected."""
    doc_id, rev = doc.get("_id"), doc.get("_rev")
    if not isinstance(doc_id, str) or not isinstance(rev, str):
        return Rejected(str(doc_id), str(rev), "the server sent a document without id or "
                        "revision")
    try:
        leaf = _open(keys, doc_id, rev, doc)
        problems = _problems(keys, doc_id, rev, doc, leaf)
        if not problems and verify is not None:
            problems = verify(leaf.table, leaf.doc)
    except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as error:
        problems = [str(error) or type(error).__name__]
    if problems:
        return Rejected(doc_id, rev, problems[0])
    return leaf


def _open(keys: SyncKeys, doc_id: str, rev: str, doc: Mapping[str, Any]) -> Leaf:
    if not (ids.PATTERN.fullmatch(doc_id) or doc_id in SPECIAL_IDS):
        raise ValueError("its id is not a mesotui record id")
    if not REV.fullmatch(rev):
        raise ValueError("its revision id was not made by mesotui")
    if doc.get("mesotui") != FORMAT:
        raise ValueError("it was not written by mesotui's sync"
                         + (" (deleted on the server)" if doc.get("_deleted") else ""))
    if doc.get("enc") == "A256GCM":
        body = keys.decrypt(doc_id, rev, _unb64(doc["iv"]), _unb64(doc["ct"]))
        if body is None:
            raise ValueError("its body was not encrypted with this clinic's key for this "
                             "document")
    elif doc.get("enc") == "none":
        body = str(doc["record"]).encode("utf-8")
        if not _same(keys.seal_of(doc_id, rev, body), doc.get("seal")):
            raise ValueError("its seal does not verify with this clinic's key")
    else:
        raise ValueError("its body is in an unknown form")
    content = orjson.loads(body)
    table, record = content["table"], content["record"]
    if not isinstance(table, str) or not isinstance(record, dict):
        raise ValueError("its body is not a record")
    return Leaf(table, record, deleted=doc.get("_deleted") is True)


def _problems(keys: SyncKeys, doc_id: str, rev: str, doc: Mapping[str, Any],
              leaf: Leaf) -> list[str]:
    if leaf.record_id != doc_id:
        return [f"its body holds another record ({leaf.record_id})"]
    revisions = tuple(history.Revision.from_doc(r) for r in leaf.revisions)
    problems = history.verify(revisions)
    if not revisions:
        problems.append("it holds no revision")
    if problems:
        return problems
    revs = path(keys, leaf)
    if revs[-1] != rev:
        return ["its revision id does not match its revisions"]
    told = doc.get("_revisions")
    if isinstance(told, Mapping):
        start, chain = told.get("start"), told.get("ids")
        if start != len(revs) or not isinstance(chain, list) or not chain or \
                chain != [r.partition("-")[2] for r in reversed(revs)][:len(chain)]:
            return ["its revision history does not match its revisions"]
    return []


def _same(a: str, b: object) -> bool:
    return isinstance(b, str) and hmac.compare_digest(a, b)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("its body is damaged")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("its body is damaged") from None
