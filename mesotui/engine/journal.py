"""The writer's side of the record file: durable appends, checkpoints, and proof before each
that this window is still the only writer of the very file it loaded.

The single-writer lock is a file beside the record. If that file is deleted, a second mesotui
can take a new lock and write too; so before every append and checkpoint the writer checks
that the lock file is still the one it locked, that the record file is still the one it
loaded or last wrote, and that the journal is exactly as it left it. If any is not, it refuses
(`StaleWriter`) rather than write over another writer's saves.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Collection, Generator, Iterator
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from mesotui.engine import durable, paced
from mesotui.engine.checkpoint import no_gc
from mesotui.engine.image import Encoded, Image, adopt, encode, index_path, new_token, stamp
from mesotui.engine.layout import Write
from mesotui.engine.lock import WriterLock, appending
from mesotui.engine.replay import Identity, Tail, entry_line, identity, journal_path
from mesotui.engine.seal import Seal
from mesotui.engine.source import FileSource
from mesotui.errors import WriteFailed

Describe = Callable[[Encoded, str], bytes]
"""Builds the start-up index of a checkpoint just written (given its token)."""


class StaleWriter(WriteFailed):
    """This window is no longer the only writer of the file it loaded; nothing was written."""


class Superseded(WriteFailed):
    """A checkpoint written in steps was overtaken by a save: not put in place, nothing lost."""


class KeyMissing(WriteFailed):
    """The record file is sealed with a clinic key this machine does not have: a save here
    could not be sealed, so it is refused (nothing was written)."""


_TOKEN = re.compile(rb'"checkpoint":"([0-9a-f]+)"')


class Journal:
    """Append saves durably, fold them into checkpoints, and refuse when no longer alone.

    Args:
        path: the record file (its real path).
        tail: where its journal stood when loaded.
        token: the loaded checkpoint's token (None for a file not yet written).
        loaded: the identity of the record file loaded (None if there was none).
        lock: the single-writer lock held (None only in tests of this class).
        seal: the file's seal, kept up to date by every write (None: an unsealed file).
        unsealable: why a save cannot be sealed here (its clinic key is missing); every
            save and checkpoint is then refused with it.
    """

    def __init__(self, path: Path, tail: Tail, token: str | None, loaded: Identity | None,
                 lock: WriterLock | None = None, seal: Seal | None = None,
                 unsealable: str | None = None) -> None:
        self.seal = seal
        self.unsealable = unsealable
        self.path = path
        self.seq = tail.seq
        self.entries = tail.entries
        self.token = token
        self._good = tail.good
        self._dirty = tail.torn
        """The journal may hold bytes past `_good` that this writer left (a torn line)."""
        self._loaded = loaded
        self._lock = lock
        self._handle: int | None = None

    def append(self, changes: list[Write], replaced: Collection[str] = ()) -> None:
        """Make `changes` durable as one journal entry, or leave the journal as it was.

        Args:
            replaced: records whose version is replaced whole (see `Seal.mark`).

        Raises:
            StaleWriter: another writer may be at work; nothing was written.
            WriteFailed: nothing was saved; the record file and journal are unchanged.
        """
        self._check_alone("the save")
        mark, sealed = (self.seal.mark(self.seq + 1, self.token, changes, replaced)
                        if self.seal else (None, None))
        line = entry_line(self.seq + 1, self.token, changes, mark)
        with appending(self._open_raw()):  # checked and written as one, against any writer
            self._check_alone("the save")
            fd = self._open_checked()
            try:
                written = 0
                while written < len(line):  # a write may stop short (a size limit, full disk)
                    written += os.write(fd, line[written:])
                durable.full_fsync(fd)
            except OSError as error:
                self._dirty = True
                self._roll_back(fd)
                raise WriteFailed(self.path, _why(error)) from error
        self._good += len(line)
        self.seq += 1
        self.entries += 1
        if sealed is not None:
            sealed()

    def checkpoint(self, image: Image, describe: Describe | None = None, *,
                   bump: bool = False) -> None:
        """Write `image` (which must hold every journal entry) as the new checkpoint.

        Then `describe` gives its sidecar index; failing to write that loses nothing (the
        next start reads the checkpoint whole), so it is never reported as a failed save.

        Args:
            bump: the checkpoint holds more than the journal did (an import, an upgrade): it
                gets a save number of its own, so its seal's number still only grows.

        Raises:
            StaleWriter: the record file or the journal is not as this writer left them.
            WriteFailed: the checkpoint could not be written; the journal keeps every save.
        """
        for _step in self.checkpoint_steps(image, describe, bump=bump, piece=0):
            pass

    def checkpoint_steps(self, image: Image, describe: Describe | None = None, *,
                         bump: bool = False, piece: int = 4 << 20) -> Iterator[None]:
        """`checkpoint`, a step at a time: it pauses (yields) after every `piece` bytes
        written and while the new file is flushed to disk, so the app can fold its journal
        between keystrokes. Closed before its last step (a save came, or the window closes),
        it leaves everything as it was: the new file was never put in place, and its
        temporary file is removed. The last step puts it in place, and writes its index, at
        once. `piece=0` never pauses.

        Raises:
            StaleWriter, WriteFailed: as `checkpoint`.
        """
        doing = "the record file"
        self._check_alone(doing)
        self._check_journal(doing)
        self._check_token(doing)
        meta = image.meta()
        seq = self.seq + 1 if bump else self.seq
        meta["journal_seq"], meta["checkpoint"] = seq, new_token()
        sealed = self.seal.seal_checkpoint(image, seq, meta["checkpoint"]) if self.seal else None
        encoded = Encoded({}, {})
        index = index_path(self.path)
        placed, started = False, (self.seq, self.entries)
        try:
            if piece:
                written = yield from self._paced_write(image, encoded, index, piece, started)
            else:
                index.unlink(missing_ok=True)  # never an index of another checkpoint
                with no_gc():
                    written = durable.atomic_write(self.path, encode(image, encoded),
                                                   guard=False, release=image.source.close)
            placed = True
        except OSError as error:
            raise WriteFailed(self.path, _why(error)) from error
        finally:
            if not placed:
                meta["journal_seq"], meta["checkpoint"] = self.seq, self.token
        self._loaded = (written.st_dev, written.st_ino, written.st_size, written.st_mtime_ns)
        self.token, self.seq = meta["checkpoint"], seq
        if sealed is not None:
            sealed()
        try:  # held open from now on: what it reads is the file this writer wrote
            handle: BinaryIO | None = self.path.open("rb")
            encoded.stamp = stamp(os.fstat(handle.fileno()))  # as a start will see it
        except OSError:
            handle = None
        adopt(image, encoded, FileSource(self.path, handle, encoded.size))
        self._close()
        journal_path(self.path).unlink(missing_ok=True)
        self.entries, self._good, self._dirty = 0, 0, False
        if describe is not None:
            self._write_index(index, describe, encoded)

    def _paced_write(self, image: Image, encoded: Encoded, index: Path, piece: int,
                     started: tuple[int, int]) -> Generator[None, None, os.stat_result]:
        """The new checkpoint written beside the file a piece at a time, then put in place
        at once, if no save came meanwhile (else `Superseded`, and nothing was put in place)."""
        tmp, written = yield from paced.write_temp_steps(self.path, encode(image, encoded),
                                                           piece)
        try:
            doing = "the record file"
            self._check_alone(doing)
            self._check_journal(doing)
            if (self.seq, self.entries) != started:
                raise Superseded(self.path, "a save came while the journal was being folded; "
                                            "the journal keeps it")
            # Never an index that describes another checkpoint; until now the old one still
            # served the old checkpoint (a fold abandoned keeps it).
            index.unlink(missing_ok=True)
            if self.path.exists():
                durable.back_up(self.path)
            image.source.close()  # Windows renames nothing over an open file
            durable.install(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return written

    def index_only(self, image: Image, describe: Describe) -> None:
        """Write the start-up index of the checkpoint on disk, if `image` (read whole, with no
        save since) encodes to exactly its bytes; else leave it to the next checkpoint."""
        if self.entries or self._loaded is None or identity(self.path) != self._loaded:
            return
        encoded = Encoded({}, {})
        with no_gc():
            for _piece in encode(image, encoded):
                pass
        raw = image.raw
        if (encoded.size != len(raw) or encoded.digest != hashlib.sha256(raw).hexdigest()
                or self.token is None):
            return  # another program's layout: only a checkpoint can index it
        self._write_index(index_path(self.path), describe, encoded)

    def _write_index(self, index: Path, describe: Describe, encoded: Encoded) -> None:
        try:
            encoded.stamp = encoded.stamp or stamp(self.path.stat())
            durable.atomic_write(index, describe(encoded, self.token or ""), keep_backup=False,
                                 guard=False)
        except Exception:  # noqa: BLE001 - the save is done; a missing index costs only time
            with suppress(OSError):
                index.unlink(missing_ok=True)  # the next start reads the checkpoint whole

    def close(self) -> None:
        self._close()
        if self.seal is not None:
            self.seal.close()

    # -- the checks ---------------------------------------------------------------------

    def _check_alone(self, doing: str) -> None:
        name = self.path.name
        if self.unsealable is not None:
            raise KeyMissing(self.path, _refused(doing, self.unsealable))
        if self._lock is not None and not self._lock.intact():
            raise StaleWriter(self.path, _refused(doing, f"its lock file {name}.lock was "
                                                  "deleted or replaced, so another window may "
                                                  "be writing"))
        if identity(self.path) != self._loaded:
            raise StaleWriter(self.path, _refused(doing, f"{name} was changed by another "
                                                  "program since this window opened it"))

    def _check_token(self, doing: str) -> None:
        """The file on disk still carries the token of the checkpoint loaded or written (an
        in-place rewrite keeps the identity's inode and could keep its size and time)."""
        if self._loaded is None:
            return
        try:
            with self.path.open("rb") as handle:
                found = _TOKEN.search(handle.read(65536))
        except OSError as error:
            raise WriteFailed(self.path, _why(error)) from error
        if found is not None and found.group(1).decode() != self.token:
            raise StaleWriter(self.path, _refused(doing, f"{self.path.name} is not the file "
                                                  "this window loaded"))

    def _check_journal(self, doing: str) -> None:
        """The journal holds exactly the entries this writer appended (or replayed)."""
        target = journal_path(self.path)
        try:
            size = target.stat().st_size
        except FileNotFoundError:
            size = 0
        except OSError as error:
            raise WriteFailed(self.path, _why(error)) from error
        if size != self._good and not (self._dirty and size > self._good):
            raise StaleWriter(self.path, _refused(doing, "its journal holds saves this "
                                                  "window did not make"))

    def _open_checked(self) -> int:
        """The journal's descriptor, checked to be the journal on disk, as this writer left
        it; a torn line this writer left is cut first."""
        try:
            fd = self._open()
            held = os.fstat(fd)
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
        if held.st_size != self._good:
            if not (self._dirty and held.st_size > self._good):
                raise StaleWriter(self.path, _refused("the save", "its journal holds saves "
                                                      "this window did not make"))
            try:  # a torn line of ours: never let the next entry land after it
                os.ftruncate(fd, self._good)
                durable.full_fsync(fd)
            except OSError as error:
                raise WriteFailed(self.path, "could not be saved (a failed save left a torn "
                                             f"line that could not be cut: {_why(error)})"
                                  ) from error
        self._dirty = False
        return fd

    def _open_raw(self) -> int | None:
        try:
            return self._open()
        except OSError:
            return None  # `_open_checked` reports it

    def _roll_back(self, fd: int) -> None:
        try:
            os.ftruncate(fd, self._good)
            durable.full_fsync(fd)
            self._dirty = False
            if self._good == 0:  # this save created the journal: leave no trace of it
                self._close()
                journal_path(self.path).unlink()
        except OSError:
            pass  # the torn line is cut before the next save (or it refuses)

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


def _refused(doing: str, reason: str) -> str:
    verb = "could not be saved" if doing == "the save" else "was not written"
    return (f"{verb} ({reason}); nothing was written over it: open the file again (close "
            "this window first, or run the command again)")


def _why(error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"could not be saved ({reason}); the file on disk is unchanged"
