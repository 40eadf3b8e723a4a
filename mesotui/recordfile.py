"""The record file on disk: a TinyDB-layout JSON checkpoint plus an append-only journal of saves.

A save appends one checksummed line to `<record>.journal` and fsyncs it, so it costs the same
with ten patients or twenty thousand. From time to time (and on close) the journal is folded
into a new checkpoint, written whole by `durable.atomic_write` (temp file, fsync, rename, with
a rotating backup of the previous checkpoint). Each checkpoint records the last journal entry
it holds, so replaying is exact whatever moment a crash or a reader catches.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from mesotui import durable
from mesotui.errors import CorruptRecordFile, RecordFileError, ValidationError, WriteFailed
from mesotui.image import (
    Background,
    Change,
    Encoded,
    Image,
    adopt,
    encode,
    from_index,
    index_path,
    new_token,
)

Describe = Callable[[Encoded, str], bytes]
"""Builds the sidecar index of a checkpoint just encoded (given its token)."""

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


def _line(seq: int, changes: Iterable[Change]) -> bytes:
    payload = orjson.dumps({"seq": seq, "w": [list(change) for change in changes]})
    return hashlib.blake2b(payload, digest_size=16).hexdigest().encode() + b" " + payload + b"\n"


def journal_seq(image: Image) -> int:
    """The last journal entry folded into this checkpoint (0 if none)."""
    meta = image.tables.get("meta", {}).get("1", {})
    seq = meta.get("journal_seq", 0) if isinstance(meta, dict) else 0
    return seq if isinstance(seq, int) else 0


def read_checkpoint(path: Path) -> Image | None:
    """Read the checkpoint; None only when it does not exist or is empty, never when corrupt.

    With an index that matches it, only its small tables are parsed, and the rest of the file
    is read by a thread while the caller goes on; without, all of it is parsed now.
    """
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RecordFileError(path, f"cannot be read ({error.strerror})") from error
    try:
        size = os.fstat(file.fileno()).st_size
        image = _from_index(path, file, size) if size > 64 else None
        if image is not None:
            return image  # the thread reading the rest now owns the file
        raw = file.read()
    except OSError as error:
        file.close()
        raise RecordFileError(path, f"cannot be read ({error.strerror})") from error
    file.close()
    if not raw.strip():
        return None
    try:
        with no_gc():
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise CorruptRecordFile(path, f"is not valid JSON ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise CorruptRecordFile(path, "is JSON but not a mesotui record file")
    return Image(data)


def _from_index(path: Path, file: BinaryIO, size: int) -> Image | None:
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
            image = from_index(index, size, span)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, ValidationError):
        file.seek(0)
        return None  # no index, or one for another checkpoint

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

    image.raw = Background(read_rest)
    return image


def replay(path: Path, image: Image) -> int:
    """Apply the journal's entries newer than the checkpoint to `data`; return the last seq.

    A torn last line (a save killed mid-append, never reported saved) is ignored. Damage
    anywhere else is corruption.

    Raises:
        CorruptRecordFile: a damaged entry before the end, or entries missing.
        _Raced: the journal starts after the checkpoint (a checkpoint happened while reading).
    """
    seq = journal_seq(image)
    try:
        raw = journal_path(path).read_bytes()
    except FileNotFoundError:
        return seq
    lines = raw.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    for number, line in enumerate(complete, start=1):
        digest, _, payload = line.partition(b" ")
        entry = _entry(payload) if hashlib.blake2b(payload, digest_size=16).hexdigest().encode() \
            == digest else None
        if entry is None:
            if number == len(complete) and not tail:
                break  # torn by a crash after the newline of the previous save
            raise CorruptRecordFile(journal_path(path), f"entry {number} is damaged")
        if entry["seq"] <= seq:
            continue  # already in the checkpoint
        if entry["seq"] != seq + 1:
            raise _Raced()
        image.apply(tuple(change) for change in entry["w"])  # type: ignore[misc]
        seq += 1
    return seq


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


def load(path: Path) -> tuple[Image | None, int]:
    """The record as saved: checkpoint plus journal. Returns (data or None, last journal seq).

    A reader can meet the writer folding the journal into a new checkpoint; then the file it
    read is no longer the file on disk, and it reads again rather than return stale data.
    """
    for _attempt in range(10):
        before = _identity(path)
        image = read_checkpoint(path)
        if image is None and not journal_path(path).exists():
            if _identity(path) == before:
                return None, 0
            continue
        image = image if image is not None else Image({})
        try:
            seq = replay(path, image)
        except _Raced:
            continue
        if _identity(path) == before:
            return image, seq
    raise RecordFileError(path, "kept changing while being read; try again")


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Which file is at `path` now: a checkpoint replaces it with a new one."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


class Journal:
    """The writer's side: append saves durably, fold them into checkpoints."""

    def __init__(self, path: Path, seq: int) -> None:
        self.path = path
        self.seq = seq
        self.entries = 0
        self._handle: int | None = None

    def append(self, changes: list[Change]) -> None:
        """Make `changes` durable as one journal entry, or leave the journal as it was.

        Raises:
            WriteFailed: nothing was saved; the record file and journal are unchanged.
        """
        line = _line(self.seq + 1, changes)
        try:
            fd = self._open()
            held = os.fstat(fd)
            size = held.st_size
            on_disk = os.stat(journal_path(self.path))
        except OSError as error:
            self._close()
            raise WriteFailed(self.path, _why(error)) from error
        if (on_disk.st_ino, on_disk.st_dev) != (held.st_ino, held.st_dev):
            # The folder or the journal was deleted or replaced under us: a write now would
            # land in a file nobody can find again.
            self._close()
            raise WriteFailed(self.path, "could not be saved (its folder or journal was removed "
                                         "or replaced); the file on disk is unchanged")
        try:
            written = 0
            while written < len(line):  # a write may stop short (a size limit, a full disk)
                written += os.write(fd, line[written:])
            durable.full_fsync(fd)
        except OSError as error:
            try:
                os.ftruncate(fd, size)
                durable.full_fsync(fd)
                if size == 0:  # this save created the journal: leave no trace of it
                    self._close()
                    journal_path(self.path).unlink()
            except OSError:
                pass  # a torn line is still ignored on replay: it was never reported saved
            raise WriteFailed(self.path, _why(error)) from error
        self.seq += 1
        self.entries += 1

    def checkpoint(self, image: Image, describe: Describe | None = None) -> None:
        """Write `image` (which must hold every journal entry) as the new checkpoint.

        Then `describe` gives its sidecar index; failing to write that loses nothing (the
        next start reads the checkpoint whole), so it is never reported as a failed save.
        """
        meta = image.meta()
        meta["journal_seq"], meta["checkpoint"] = self.seq, new_token()
        with no_gc():
            encoded = encode(image)
        index = index_path(self.path)
        try:
            index.unlink(missing_ok=True)  # never an index that describes another checkpoint
            durable.atomic_write(self.path, encoded.raw, guard=False)
        except OSError as error:
            raise WriteFailed(self.path, _why(error)) from error
        adopt(image, encoded)
        self._close()
        journal_path(self.path).unlink(missing_ok=True)
        self.entries = 0
        if describe is not None:
            try:
                durable.atomic_write(index, describe(encoded, meta["checkpoint"]),
                                     keep_backup=False, guard=False)
            except Exception:  # noqa: BLE001 - the save is done; a missing index costs only time
                with suppress(OSError):
                    index.unlink(missing_ok=True)  # the next start reads the checkpoint whole

    def close(self) -> None:
        self._close()

    def _open(self) -> int:
        if self._handle is None:
            target = journal_path(self.path)
            created = not target.exists()
            self._handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND
                                   | getattr(os, "O_BINARY", 0), 0o600)
            if created:
                durable.fsync_dir(self.path.parent)
        return self._handle

    def _close(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None


def _why(error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"could not be saved ({reason}); the file on disk is unchanged"
