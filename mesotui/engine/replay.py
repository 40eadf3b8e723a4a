"""The record file as saved: a TinyDB-layout JSON checkpoint plus the journal replayed over it.

A save appends one checksummed line to `<record>.journal` and fsyncs it, so it costs the same
with ten records or two hundred thousand. From time to time the journal is folded into a new
checkpoint (mesotui/engine/journal.py, the writer's side). Each checkpoint records the last
journal entry it holds and a random token, and every entry names the token of the checkpoint
it follows, so replaying is exact whatever moment a crash or a reader catches, and a journal
is never replayed onto another file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from mesotui.engine import durable, keys
from mesotui.engine.checkpoint import read_checkpoint
from mesotui.engine.image import Image, index_path
from mesotui.engine.layout import Layout, Write
from mesotui.engine.seal import Marked
from mesotui.errors import CorruptRecordFile, MissingRecordFile, RecordFileError

Identity = tuple[int, int, int, int]
"""Which file is at a path: device, inode, size and modification time."""


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def entry_line(seq: int, checkpoint: str | None, changes: Iterable[Write],
               mark: dict[str, Any] | None = None) -> bytes:
    """One journal entry: a checksum, then the entry's number, its checkpoint, its seal (see
    mesotui/engine/manifest.py) and its changes."""
    entry: dict[str, Any] = {"seq": seq, "cp": checkpoint}
    if mark is not None:
        entry["mf"] = mark
    entry["w"] = [list(c) for c in changes]
    payload = orjson.dumps(entry)
    return hashlib.blake2b(payload, digest_size=16).hexdigest().encode() + b" " + payload + b"\n"


def journal_seq(image: Image) -> int:
    """The last journal entry folded into this checkpoint (0 if none)."""
    seq = image.meta_value("journal_seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else 0


def checkpoint_token(image: Image) -> str | None:
    token = image.meta_value("checkpoint")
    return token if isinstance(token, str) else None


def identity(path: Path) -> Identity | None:
    """Which file is at `path` now (None if none): a checkpoint replaces it with a new one."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


@dataclass
class Tail:
    """Where the journal stood when the record was loaded."""

    seq: int = 0
    """The last entry's number (the checkpoint's, if the journal adds none)."""
    entries: int = 0
    """Entries newer than the checkpoint: saves not folded into it yet."""
    good: int = 0
    """Bytes of the journal that hold whole entries; beyond them, only a torn last line."""
    torn: bool = False
    marks: list[Marked] = field(default_factory=list)
    """The entries replayed, with their seals."""


@dataclass
class Loaded:
    """The record as saved: its image (None if there is no record file), where its journal
    stood, and which file it was read from."""

    image: Image | None
    tail: Tail = field(default_factory=Tail)
    identity: Identity | None = None
    checkpoint_meta: dict[str, Any] = field(default_factory=dict)
    """The checkpoint's meta table as read, before any journal entry was applied."""
    seen: tuple[int, str, str] | None = None
    """This machine's high-water mark of the file, read before the file was (keys.seen_at)."""


def replay(path: Path, image: Image) -> Tail:
    """Apply the journal's entries newer than the checkpoint to `image`; say where it ends.

    A torn last line (a save killed mid-append, never reported saved) is ignored. Damage
    anywhere else is corruption.

    Raises:
        CorruptRecordFile: a damaged entry before the end.
        _Raced: the journal does not follow the checkpoint read (a checkpoint happened while
            reading, or the journal belongs to another file: `load` tells which).
    """
    seq, token = journal_seq(image), checkpoint_token(image)
    tail = Tail(seq)
    try:
        raw = journal_path(path).read_bytes()
    except FileNotFoundError:
        return tail
    lines = raw.split(b"\n")
    complete, rest = lines[:-1], lines[-1]
    offset = 0
    for number, line in enumerate(complete, start=1):
        digest, _, payload = line.partition(b" ")
        entry = _entry(payload) if hashlib.blake2b(payload, digest_size=16).hexdigest().encode() \
            == digest else None
        if entry is None:
            if number == len(complete) and not rest:
                tail.torn = True
                break  # torn by a crash after the newline of the previous save
            raise CorruptRecordFile(journal_path(path), f"entry {number} is damaged")
        offset += len(line) + 1
        if entry["seq"] <= tail.seq and tail.entries == 0:
            tail.good = offset
            continue  # already in the checkpoint
        if entry["seq"] != tail.seq + 1 or entry.get("cp", token) != token:
            raise _Raced(number)
        changes = [tuple(change) for change in entry["w"]]
        image.apply(changes)  # type: ignore[arg-type]
        tail.marks.append(Marked(entry["seq"], entry.get("cp"), changes,  # type: ignore[arg-type]
                                 entry.get("mf")))
        tail.seq += 1
        tail.entries += 1
        tail.good = offset
    tail.torn = tail.torn or bool(rest)
    return tail


class _Raced(Exception):
    """The journal was rewritten between reading the checkpoint and reading the journal."""


def _entry(payload: bytes) -> dict[str, Any] | None:
    try:
        entry = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("seq"), int) \
            or not isinstance(entry.get("w"), list):
        return None
    if not all(isinstance(c, list) and len(c) == 3 and isinstance(c[0], str)
               and isinstance(c[1], str) for c in entry["w"]):
        return None
    return entry


def load(path: Path, layout: Layout, *, prove: bool = True, use_index: bool = True) -> Loaded:
    """The record as saved: checkpoint plus journal.

    A reader can meet the writer folding the journal into a new checkpoint; then the file it
    read is no longer the file on disk, and it reads again rather than return stale data.

    Raises:
        MissingRecordFile: there is no record file, but files beside it show there was one.
        CorruptRecordFile: the file, or its journal, cannot be read as this record.
    """
    for _attempt in range(10):
        before = identity(path)
        seen = keys.seen_at(path)  # first: a save that raised it is then in what is read
        image = read_checkpoint(path, layout, prove=prove, use_index=use_index)
        if image is None:
            if identity(path) != before:
                continue
            if found := evidence(path):
                raise MissingRecordFile(path, f"is missing, but {found} beside it show it "
                                              "existed: restore it (mesotui restore) rather "
                                              "than start an empty clinic over them")
            return Loaded(None)
        meta = image.tables.get(layout.meta, {}).get("1", {})
        checkpoint_meta = dict(meta) if isinstance(meta, dict) else {}
        try:
            tail = replay(path, image)
        except _Raced as raced:
            image.source.close()
            if identity(path) != before:
                continue
            raise CorruptRecordFile(journal_path(path), f"entry {raced.args[0]} does not follow "
                                    f"the record file {path.name} (was the file replaced or "
                                    "copied over?); nothing was replayed; restore a backup "
                                    "with mesotui restore") from None
        if identity(path) == before:
            return Loaded(image, tail, before, checkpoint_meta, seen)
        image.source.close()
    raise RecordFileError(path, "kept changing while being read; try again")


def evidence(path: Path) -> str:
    """What beside a missing record file shows it existed (its journal, index, backups, a
    replaced copy kept by a restore), in words; "" if nothing does."""
    found = [f"its {kind}" for kind, companion in
             (("journal", journal_path(path)), ("index", index_path(path)))
             if companion.exists()]
    if backups := durable.list_backups(path):
        found.append(f"{len(backups)} backup{'s' if len(backups) > 1 else ''}")
    if any(path.parent.glob(f"{path.stem}.replaced-*{path.suffix}")):
        found.append("a replaced copy kept by a restore")
    return " and ".join(found)
