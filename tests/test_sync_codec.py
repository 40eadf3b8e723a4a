"""A record's leaf on the server: encrypted, keyed, and checked before anything pulled is kept."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from mesotui import history
from mesotui.sync import codec, tree
from mesotui.sync.codec import Rejected
from mesotui.sync.keys import SyncKeys
from mesotui.sync.tree import Leaf
from tests.test_sync_tree import KEYS, START, grow

SECRET_WORDS = ("bruise", "Dr A", "2026-01-15", "volume_ml", "S-00001-01-note")


def session() -> Leaf:
    return grow(None, {"notes": "bruise on the vertex"}, {"volume_ml": 2.0})


def test_an_encrypted_document_shows_the_server_only_ids_revisions_and_ciphertext() -> None:
    doc = codec.encode(KEYS, session())
    assert set(doc) == {"_id", "_rev", "_revisions", "mesotui", "enc", "iv", "ct"}
    assert doc["_rev"] == tree.rev(KEYS, session())
    assert doc["_revisions"] == {"start": 2, "ids": [p.partition("-")[2] for p in reversed(
        tree.path(KEYS, session()))]}
    text = json.dumps(doc)
    for word in ("bruise", "Dr A", "2026", "volume", "P-00001", "sessions"):
        assert word not in text
    assert codec.decode(KEYS, doc) == session()


def test_a_plain_document_keeps_numbers_exactly_and_is_sealed() -> None:
    leaf = session()
    doc = codec.encode(KEYS, leaf, encrypt=False)
    assert "bruise on the vertex" in doc["record"] and '"volume_ml":2.0' in doc["record"]
    # A JavaScript server rewrites numbers in a document's fields, never inside a string.
    assert codec.decode(KEYS, json.loads(json.dumps(doc))) == leaf


def _tampered(doc: dict, **fields: object) -> dict:
    return {**doc, **fields}


def test_a_body_changed_moved_or_made_without_the_key_is_rejected() -> None:
    leaf = session()
    doc = codec.encode(KEYS, leaf)
    ct = bytearray(base64.b64decode(doc["ct"]))
    ct[5] ^= 1
    flipped = _tampered(doc, ct=base64.b64encode(bytes(ct)).decode())
    other_doc = codec.encode(KEYS, grow(None, {}))
    moved = _tampered(other_doc, _id="S-00002-01")  # another record's body under this id
    stranger = codec.encode(SyncKeys.derive(b"\x09" * 32, "0" * 32), leaf)
    for bad in (flipped, moved, stranger):
        found = codec.decode(KEYS, bad)
        assert isinstance(found, Rejected) and "key" in found.reason


def test_a_recomputed_chain_sealed_without_the_key_is_rejected() -> None:
    """The attack of issue 14 on the server: change the volume, recompute every SHA-256."""
    leaf = session()
    revisions = tuple(history.Revision.from_doc(r) for r in leaf.revisions[:1])
    forged = history.append(revisions, "amend", {**revisions[0].data, "volume_ml": 9.5},
                            at=START + timedelta(hours=1), by="Dr A", reason="corrected")
    forged_leaf = Leaf(leaf.table, {**leaf.doc, "history": [r.to_doc() for r in forged]})
    doc = codec.encode(KEYS, leaf, encrypt=False)
    payload = codec.payload(forged_leaf).decode()
    found = codec.decode(KEYS, _tampered(doc, record=payload))
    assert isinstance(found, Rejected) and "seal" in found.reason
    # Even with a valid seal (someone with the key), the revision id must match its content.
    sealed = _tampered(doc, record=payload, seal=KEYS.seal_of(doc["_id"], doc["_rev"],
                                                              payload.encode()))
    found = codec.decode(KEYS, sealed)
    assert isinstance(found, Rejected) and "revision id" in found.reason


def test_a_broken_chain_a_foreign_document_and_extra_checks_are_rejected() -> None:
    leaf = session()
    broken_history = [dict(r) for r in leaf.revisions]
    broken_history[1]["data"] = {**broken_history[1]["data"], "volume_ml": 9.5}
    broken = Leaf(leaf.table, {**leaf.doc, "history": broken_history})
    doc = codec.encode(KEYS, broken)
    doc["_rev"] = tree.rev(KEYS, broken)
    found = codec.decode(KEYS, doc)
    assert isinstance(found, Rejected) and "altered" in found.reason
    foreign = {"_id": "S-00001-01", "_rev": "3-" + "a" * 32, "notes": "typed in Fauxton"}
    assert isinstance(codec.decode(KEYS, foreign), Rejected)
    deleted = {"_id": "S-00001-01", "_rev": "3-" + "a" * 32, "_deleted": True}
    assert "deleted on the server" in codec.decode(KEYS, deleted).reason  # type: ignore[union-attr]
    refused = codec.decode(KEYS, codec.encode(KEYS, leaf), lambda table, doc: ["bad MAC"])
    assert refused == Rejected("S-00001-01", tree.rev(KEYS, leaf), "bad MAC")


def test_a_tombstone_carries_the_retired_version_whole() -> None:
    retired = Leaf("sessions", session().doc, deleted=True)
    doc = codec.encode(KEYS, retired)
    assert doc["_deleted"] is True and doc["_revisions"]["start"] == 3
    assert codec.decode(KEYS, doc) == retired


@pytest.mark.parametrize("secret", [b"", b"short"])
def test_a_clinic_key_too_short_is_refused(secret: bytes) -> None:
    with pytest.raises(ValueError):
        SyncKeys.derive(secret, "0" * 32)
