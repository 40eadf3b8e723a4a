"""The record file on disk: a TinyDB-layout JSON checkpoint plus an append-only journal of saves.

A save appends one checksummed line to `<record>.journal` and fsyncs it, so it costs the same
with ten patients or twenty thousand. From time to time (and on close) the journal is folded
into a new checkpoint, written whole by `durable.atomic_write` (mesotui/journal.py, the
writer's side). Each checkpoint records the last journal entry it holds and a random token,
and every entry names the token of the checkpoint it follows, so replaying is exact whatever
moment a crash or a reader catches, and a journal is never replayed onto another file.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from mesotui import clinickey, durable
from mesotui.errors import CorruptRecordFile, MissingRecordFile, RecordFileError, ValidationError
from mesotui.image import Background, Change, Encoded, Image, index_path
from mesotui.sealing import Marked
from mesotui.sidecar import ALTERED, Foreign, from_index

Describe = Callable[[Encoded, str], bytes]
"""Builds the sidecar index of a checkpoint just encoded (given its token)."""
Identity = tuple[int, int, int, int]
"""Which file is at a path: device, inode, size and modification time."""

CHECKPOINT_EVERY = 500
"""Journal entries before the checkpoint is rewritten (one full write per this many saves)."""


@contextmanager
def no_gc(*, freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of objects are built at once.

    Parsing a large record allocates objects that all live on; collecting in the middle
    only rescans them, and nearly triples the load time. With `freeze`, what was built is
    then moved out of the collector's sight (`gc.freeze`), so the first collection after does
    not rescan it all either; plain data without cycles is still freed when let go.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def entry_line(seq: int, checkpoint: str | None, changes: Iterable[Change],
               mark: dict[str, Any] | None = None) -> bytes:
    """One journal entry: a checksum, then the entry's number, its checkpoint, its seal (see
    mesotui/manifest.py) and its changes."""
    entry: dict[str, Any] = {"seq": seq, "cp": checkpoint}
    if mark is not None:
        entry["mf"] = mark
    entry["w"] = [list(c) for c in changes]
    payload = orjson.dumps(entry)
    return hashlib.blake2b(payload, digest_size=16).hexdigest().encode() + b" " + payload + b"\n"


def journal_seq(image: Image) -> int:
    """The last journal entry folded into this checkpoint (0 if none)."""
    meta = image.tables.get("meta", {}).get("1", {})
    seq = meta.get("journal_seq", 0) if isinstance(meta, dict) else 0
    return seq if isinstance(seq, int) else 0


def checkpoint_token(image: Image) -> str | None:
    meta = image.tables.get("meta", {}).get("1", {})
    token = meta.get("checkpoint") if isinstance(meta, dict) else None
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


def read_checkpoint(path: Path, *, prove: bool = True, use_index: bool = True) -> Image | None:
    """Read the checkpoint; None only when it does not exist or is empty, never when corrupt.

    With an index that matches it, only its small tables are parsed, and the rest of the file
    is read (and proven to be what the index describes) by a thread while the caller goes on;
    without, all of it is parsed now.

    Args:
        prove: wait for that proof, and read the file whole if it fails (with a note). Without,
            the caller must call `settle` before anything from the index is shown.
    """
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RecordFileError(path, f"cannot be read ({error.strerror})") from error
    notes: list[str] = []
    try:
        size = os.fstat(file.fileno()).st_size
        image = _from_index(path, file, size, notes) if size > 64 and use_index else None
        if image is not None:  # the thread reading the rest now owns the file
            return settle(path, image) if prove else image
        raw = file.read()
    except OSError as error:
        file.close()
        raise RecordFileError(path, f"cannot be read ({error.strerror})") from error
    file.close()
    image = _whole(path, raw)
    if image is not None:
        image.notes.extend(notes)
    return image


def settle(path: Path, image: Image) -> Image:
    """`image` if its index is proven to describe the checkpoint, else the checkpoint parsed
    whole from the bytes already read, with a note saying why."""
    why = image.unproven()
    if why is None:
        return image
    whole = _whole(path, image.raw) or Image({})
    whole.notes.append(f"{index_path(path).name} was ignored ({why}); the record file was "
                       "read whole")
    whole.index_altered = why == ALTERED
    return whole


def _whole(path: Path, raw: bytes) -> Image | None:
    if not raw.strip():
        return None
    try:
        with no_gc():
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise CorruptRecordFile(path, f"is not valid JSON ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise CorruptRecordFile(path, "is JSON but not a mesotui record file")
    image = Image(data)
    image.raw = raw
    return image


def _from_index(path: Path, file: BinaryIO, size: int, notes: list[str] | None = None
                ) -> Image | None:
    """The image its index describes, the rest of the file reading in the background; None
    when there is no index or it is for another checkpoint (then read the file whole)."""

    read_first: list[tuple[int, bytes]] = []

    def span(start: int, end: int) -> bytes:
        file.seek(start)
        read_first.append((start, file.read(end - start)))
        return read_first[-1][1]

    try:
        index = index_path(path).read_bytes()
    except OSError:
        return None
    try:
        with no_gc(freeze=True):  # thousands of cards and standings that all live on
            image, prove = from_index(index, size, span)
    except Foreign as foreign:
        file.seek(0)
        if "version" not in str(foreign) and notes is not None:
            notes.append(f"{index_path(path).name} was ignored ({foreign}); the record file "
                         "was read whole")
        return None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, ValidationError):
        file.seek(0)
        if notes is not None:
            notes.append(f"{index_path(path).name} was ignored (it is damaged); the record "
                         "file was read whole")
        return None

    def read_rest() -> bytes:
        try:
            with file:
                file.seek(0)
                raw = file.read()
        except OSError as error:
            raise RecordFileError(path, f"cannot be read ({error.strerror})") from None
        # The tables read first (the meta table's token among them) must be these bytes too:
        # another program rewriting the file in place, to the same size, would show here.
        if len(raw) != size or any(raw[start:start + len(part)] != part
                                   for start, part in read_first):
            raise RecordFileError(path, "changed while it was being read; open it again")
        return raw

    meta = image.tables.get("meta", {}).get("1", {})
    clinic = meta.get("clinic_id") if isinstance(meta, dict) else None
    key = clinickey.load(clinic) if isinstance(clinic, str) else None
    image.raw = Background(read_rest, lambda raw: prove(raw, key.secret if key else None))
    return image


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


def load(path: Path, *, prove: bool = True, use_index: bool = True) -> Loaded:
    """The record as saved: checkpoint plus journal.

    A reader can meet the writer folding the journal into a new checkpoint; then the file it
    read is no longer the file on disk, and it reads again rather than return stale data.

    Raises:
        MissingRecordFile: there is no record file, but files beside it show there was one.
        CorruptRecordFile: the file, or its journal, cannot be read as this record.
    """
    for _attempt in range(10):
        before = identity(path)
        image = read_checkpoint(path, prove=prove, use_index=use_index)
        if image is None:
            if identity(path) != before:
                continue
            if found := evidence(path):
                raise MissingRecordFile(path, f"is missing, but {found} beside it show it "
                                              "existed: restore it (mesotui restore) rather "
                                              "than start an empty clinic over them")
            return Loaded(None)
        meta = image.tables.get("meta", {}).get("1", {})
        checkpoint_meta = dict(meta) if isinstance(meta, dict) else {}
        try:
            tail = replay(path, image)
        except _Raced as raced:
            if identity(path) != before:
                continue
            raise CorruptRecordFile(journal_path(path), f"entry {raced.args[0]} does not follow "
                                    f"the record file {path.name} (was the file replaced or "
                                    "copied over?); nothing was replayed; restore a backup "
                                    "with mesotui restore") from None
        if identity(path) == before:
            return Loaded(image, tail, before, checkpoint_meta)
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


_JOURNAL_SEQ = re.compile(rb'"journal_seq":(\d+)')


def newest_seq(path: Path) -> int:
    """The newest save number on disk now: the journal's last whole entry, else the
    checkpoint's. A reader that met a writer mid-save asks this before crying rollback."""
    newest = 0
    try:
        with path.open("rb") as handle:
            found = _JOURNAL_SEQ.search(handle.read(65536))
        newest = int(found.group(1)) if found else 0
        lines = journal_path(path).read_bytes().split(b"\n")[:-1]
    except OSError:
        return newest
    for line in reversed(lines):
        entry = _entry(line.partition(b" ")[2])
        if entry is not None:
            return max(newest, entry["seq"])
    return newest
