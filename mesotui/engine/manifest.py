"""The keyed manifest: proof, with the clinic key, of which records the file must hold, as saved.

Every record's revisions are chained by SHA-256 (each revision document carries its number
`n`, its `hash` and the `prev` hash it follows: mesotui/history.py), so a MAC over its
latest revision's hash covers every revision before it. The manifest keeps, per record, that
latest revision (its number and hash, and its patient), and seals the whole set with the
clinic key: a keyed set hash (the sum mod 2**256 of an HMAC per record), updated by what each
save changes, so a save never rehashes the clinic. Each checkpoint carries the sealed head
(save number, record count, set hash, findings; in its meta table) and the list itself (its
`manifest` table); each journal entry carries the head after it, chained to the one before by
its MAC. The save number only grows, and a high-water mark beside the key remembers the
newest seen (mesotui/engine/keys.py).

So a recomputed chain, a deleted record, a dropped revision, a rolled-back file, a deleted or
truncated journal or a forged index no longer match what was sealed. What was found once
(`findings`) is sealed into every later head: saving over it never hides it. Someone who
holds both the record folder and the key (the same user account, say) can still forge.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from mesotui.engine.layout import Layout

HEAD = 32
"""Hex digits of a revision hash the manifest keeps (128 bits: beyond any forgery)."""
MOD = 1 << 256
FILE = "@file"
"""The findings' key for what concerns the whole file, not one record."""

Entry = list[Any]
"""[table letter, revision count, latest revision hash (HEAD hex digits), patient id]."""


@dataclass(frozen=True)
class Latest:
    """A record document's latest revision, as the manifest sees it."""

    record: str
    number: int
    head: str
    prev: str
    patient: str

    def entry(self, letter: str) -> Entry:
        return [letter, self.number, self.head, self.patient]


def latest(doc: Any, owner: str) -> Latest | None:
    """The latest revision of a record document; None if it has no readable one."""
    try:
        last = doc["history"][-1]
        number, head, prev = last["n"], last["hash"], last["prev"]
        record = doc["id"]
    except (KeyError, IndexError, TypeError):
        return None
    if not (isinstance(number, int) and isinstance(head, str) and isinstance(prev, str)
            and isinstance(record, str)):
        return None
    patient = doc.get(owner, "")
    return Latest(record, number, head[:HEAD], prev[:HEAD], patient if isinstance(
        patient, str) else "")


def term(key: bytes, record: str, entry: Entry) -> int:
    """One record's share of the set hash."""
    letter, number, head = entry[0], entry[1], entry[2]
    message = f"set\x1f{letter}\x1f{record}\x1f{number}\x1f{head}".encode()
    return int.from_bytes(hmac.digest(key, message, "sha256"), "big")


def set_of(key: bytes, records: dict[str, Entry]) -> int:
    total = 0
    for record, entry in records.items():
        total += term(key, record, entry)
    return total % MOD


def mac(key: bytes, *parts: object) -> str:
    message = "\x1e".join(p if isinstance(p, str) else canonical(p) for p in parts)
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def canonical(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def head_mac(key: bytes, clinic: str, token: str, head: dict[str, Any]) -> str:
    """The seal of a checkpoint's head (and, through its `meta` digest, of the meta table)."""
    parts: list[Any] = ["checkpoint", clinic, token, head["seq"], head["count"], head["set"],
                        head.get("findings") or {}]
    if "meta" in head:  # heads from before it sealed no meta; a head stripped of it fails
        parts.append(head["meta"])
    return mac(key, *parts)


def meta_digest(meta: dict[str, Any]) -> str:
    """What a head seals of its checkpoint's meta table: all of it but the seal itself (the
    save number, the clinic, every restore and reseal noted)."""
    rest = {k: v for k, v in meta.items() if k != "seal"}
    return hashlib.sha256(canonical(rest).encode()).hexdigest()


def changes_digest(changes: Iterable[Any], layout: Layout) -> list[list[str]]:
    """What an entry's MAC covers of its changes: each record's latest revision (its chain
    covers the rest), and any other document whole."""
    covered = []
    for table, doc_id, doc in changes:
        found = latest(doc, layout.owner) if table in layout.records else None
        covered.append([table, doc_id, f"{found.record}:{found.number}:{found.head}" if found
                        else hashlib.sha256(canonical(doc).encode()).hexdigest()])
    return covered


def entry_mac(key: bytes, clinic: str, seq: int, checkpoint: str | None, prev: str,
              mark: dict[str, Any], changes: Iterable[Any], layout: Layout) -> str:
    """The seal of one journal entry, chained to the one before (or to the checkpoint's)."""
    return mac(key, "entry", clinic, seq, checkpoint or "", prev, mark["count"], mark["set"],
               mark.get("find") or {}, changes_digest(changes, layout))


@dataclass
class Finding:
    """Something the seals show was changed outside mesotui: a record, or the whole file."""

    record: str
    """A record id, or "" for the file."""
    what: str
    patient: str = ""
    """The patient the record belongs to (itself, for a patient), when known."""

    def line(self) -> str:
        return f"{self.record}: {self.what}" if self.record else self.what


@dataclass
class Ledger:
    """Findings by record id (FILE for the file), as sealed: code, and the save that saw it."""

    found: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, record: str, code: str, seq: int, patient: str = "") -> bool:
        """Note a finding once; True if it is new. The file can have several (one of each
        kind: an older copy put back whose meta was edited too)."""
        if record == FILE:
            base = code.split(":", 1)[0]
            if FILE in self.found and str(self.found[FILE][0]).split(":", 1)[0] == base:
                return False  # sealed so by an earlier mesotui, one file finding only
            record = f"{FILE}:{base}"
        if record in self.found and self.found[record][0] == code:
            return False
        self.found[record] = [code, seq, patient]
        return True

    def merge(self, other: dict[str, Any] | None) -> None:
        for record, value in (other or {}).items():
            if isinstance(value, list) and len(value) >= 2 and record not in self.found:
                self.found[record] = list(value[:3]) + [""] * (3 - len(value[:3]))

    def findings(self) -> list[Finding]:
        return [Finding("" if record.startswith(FILE) else record, describe(code, seq), patient)
                for record, (code, seq, patient, *_rest) in sorted(self.found.items())]


CODES = {
    "altered": "altered outside mesotui (its revisions are not the ones sealed)",
    "missing": "missing: sealed, but no longer in the file (deleted outside mesotui)",
    "dropped": "revisions dropped: the file holds fewer revisions than were sealed",
    "added": "not sealed: added to the file outside mesotui",
    "journal": "a journal entry was altered or forged outside mesotui",
    "list": "the list of records the seal covers was altered outside mesotui",
    "head": "the record file's seal was altered outside mesotui",
    "unsealed": "the record file's seal was removed outside mesotui",
    "older": "older than a file already seen on this machine (an older copy put back, or a "
             "deleted or truncated journal)",
    "index": "the start-up index was altered outside mesotui (ignored; the file is read whole)",
    "rekeyed": "sealed anew with a new clinic key: its history before is not checked",
    "meta": "the record file's meta table (its save number, clinic, restores or reseals "
            "noted) was altered outside mesotui",
    "claims": "the record file claims another clinic than the one sealed at this path here "
              "(its clinic id altered outside mesotui, or another clinic's file put here)",
    "unchecked": "restored from a backup that carries no seal (made before seals, or with "
                 "its seal removed): what it holds could not be checked",
}


def describe(code: str, seq: int) -> str:
    what = CODES.get(code.split(":", 1)[0], code)
    detail = code.split(":", 1)[1] if ":" in code else ""
    return f"{what}{f' ({detail})' if detail else ''}, noticed at save #{seq}"
