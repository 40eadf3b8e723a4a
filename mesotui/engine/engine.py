"""The storage engine: tables of documents it does not understand, kept in one record file.

It opens, locks and reads the file (through its start-up index when one is proven to
describe it), checks the seal of what it read, and seals what it writes with the clinic key;
everything else about the documents is `Documents`' (mesotui/engine/documents.py). What the
documents mean is the layer above's business (mesotui/store.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mesotui.engine import durable, keys, verify
from mesotui.engine.backend import FileBackend, MemoryBackend
from mesotui.engine.documents import Documents
from mesotui.engine.feed import Feed
from mesotui.engine.image import Image
from mesotui.engine.layout import Layout
from mesotui.engine.lock import WriterLock
from mesotui.engine.replay import load
from mesotui.engine.seal import Seal, State
from mesotui.errors import (
    CorruptRecordFile,
    IndexReread,
    MesoError,
    ReadOnlyStore,
    RecordFileError,
    WriteFailed,
)

RESEALS_KEPT = 20
"""Reseals remembered in the record's meta (each one says when and why)."""


def record_path(path: str | Path) -> Path:
    """The record file's real path: symlinks followed, so its lock, journal, index, backups and
    writes all go beside the real file (a write would otherwise replace the link itself)."""
    return Path(os.path.realpath(Path(path).expanduser()))


class Engine(Documents):
    """One record's documents, kept in a record file (or in memory).

    Build it with `Engine.open(path, layout)` or `Engine.memory(layout)`.
    """

    # -- opening and closing ------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, layout: Layout, *, readonly: bool = False,
             prove: bool = True, lock: WriterLock | None = None) -> Engine:
        """Open (or, for a writer, create) the record file; refuse a second writer.

        Args:
            prove: wait until the start-up index is proven to describe the record file (and
                read it whole if not); without, call `prove` before anything is shown.
            lock: the file's lock, already held by the caller, who releases it.

        Raises:
            RecordFileLocked: another mesotui holds the file (writers only).
            CorruptRecordFile: the file cannot be read as a record (MissingRecordFile: it is
                missing while files beside it show it existed).
        """
        path = record_path(path)
        if readonly:
            loaded = load(path, layout, prove=prove)
            if loaded.image is None:
                raise RecordFileError(path, "does not exist")
            engine = cls(loaded.image, None, path=path)
            engine._opened(loaded)
            return engine
        durable.make_private_dir(path.parent)
        held = lock or WriterLock(path)
        try:
            durable.remove_stale_temp_files(path)
            loaded = load(path, layout, prove=prove)
            image = loaded.image or Image({}, layout=layout)
            state, seal = (verify.open_seal(path, loaded) if loaded.image
                           else (State(), None))
            backend = FileBackend(path, loaded, held, seal, _unsealable(state, path))
            engine = cls(image, backend, path=path, lock=None if lock else held,
                         fresh=loaded.image is None)
            engine._opened(loaded, state, seal)
            return engine
        except BaseException:
            if lock is None:
                held.release()
            raise

    @classmethod
    def memory(cls, layout: Layout, storage: Any = None) -> Engine:
        """An engine over memory, or over a TinyDB-style storage (read/write/close)."""
        data = storage.read() if storage is not None else None
        return cls(Image(data or {}, layout=layout), MemoryBackend(storage), fresh=data is None)

    def _opened(self, loaded: Any, state: State | None = None,
                seal: Seal | None = None) -> None:
        if state is None:
            state, seal = verify.open_seal(self.path or Path(), loaded)
        self._sealed(state, seal)
        for marked in loaded.tail.marks:
            self.feed.note(marked.changes)

    def _sealed(self, state: State, seal: Seal | None) -> None:
        self.integrity, self.seal = state, seal
        self.notes.extend(verify.notes(state, self.path or Path("record")))
        if isinstance(self.backend, FileBackend):
            self.backend.journal.seal = seal
            self.backend.journal.unsealable = _unsealable(state, self.path or Path())

    def prove(self, *, quick: bool = False) -> bool:
        """Make sure nothing of an unproven start-up index is used: if it does not describe
        the record file, read the file whole instead (and say so in `notes`).

        Args:
            quick: enough that the index may be shown (`Proof.vouches`: its MAC holds and
                the file has the stamp it recorded), without waiting for the digest; the
                digest is still checked before anything is written (`_writable`), and the
                caller calls `prove` again once `proof_done`.

        Returns:
            True when the file was read again (the layer above must rebuild what it built).
        """
        if self.path is None or self.image.catalogue is None:
            return False
        if quick and self.image.vouched():
            return False
        if self.image.unproven() is not None:
            self.reread(None)
            return True
        return False

    @property
    def proof_done(self) -> bool:
        """Whether `prove` would answer at once (the digest of the file is checked)."""
        return self.image.proof_done

    def _writable(self) -> None:
        """Nothing is written over a file read through an index not proven to describe it:
        wait for the proof; if it fails, read the file again whole, and write nothing.

        Raises:
            IndexReread: the index did not describe the file (which was read again).
        """
        if self.path is None or self.image.unproven() is None:
            return
        self.reread(None)
        self.on_reread()
        raise IndexReread(self.path, "nothing was saved: its start-up index did not describe "
                                     "it, so it was read again whole; save again")

    def reread(self, why: str | None) -> None:
        """Read the record file again, whole (the index it was read through cannot be used)."""
        assert self.path is not None
        if self._changes:
            raise CorruptRecordFile(self.path, "its index could not be used mid-save; "
                                               "open the file again")
        self.stop_folding()
        loaded = load(self.path, self.layout, use_index=why is None)
        if loaded.image is None:
            raise RecordFileError(self.path, "does not exist")
        self.image.source.close()
        self.image = loaded.image
        self.notes.extend(loaded.image.notes)
        self.feed = Feed(self.image)
        self._next_doc.clear()
        self._index_places = True
        self._opened(loaded)
        if why is not None:
            self.notes.append(f"{self.path.name}.index was ignored ({why}); the record file "
                              "was read whole")

    def close(self, *, fold: bool = True) -> None:
        """Let go of the record file. A small checkpoint takes in the journal first; a large
        one keeps its journal, which the next open replays (every save is durable already).

        Args:
            fold: False lets go without writing anything at all (as a process killed leaves
                the file: the journal holds every save).

        Raises:
            StaleWriter: another writer may have written the file meanwhile: nothing was
                written over it, and this says so.
        """
        self.stop_folding()  # a fold under way is abandoned: nothing of it is kept
        backend, self.backend = self.backend, None
        try:
            if fold and isinstance(backend, FileBackend):
                self._close_fold(backend)
        finally:
            if backend is not None:
                backend.close()
            self.image.source.close()
            if self._lock is not None:
                self._lock.release()
                self._lock = None
            if self.path is not None:  # a file's engine: nothing reads it once closed
                self.image.release()
                self.listeners.clear()

    def _close_fold(self, backend: FileBackend) -> None:
        from mesotui.engine.journal import StaleWriter

        try:
            if backend.pending() and backend.cheap(self.image):
                self._checkpoint(backend)
            elif self.image.catalogue is None and not backend.pending() \
                    and backend.cheap(self.image) and not self.integrity.unsealed:
                # Read whole (no index, or one that failed): leave an index for the next
                # start, written beside the file as it is; the file itself is not rewritten.
                # Never while the read found changes no seal carries yet: an index would
                # let every later open skip the comparison that found them.
                backend.journal.index_only(self.image, self.describe)
        except StaleWriter:
            raise
        except WriteFailed:
            pass  # nothing is lost: the next open replays the journal

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sealing ---------------------------------------------------------------------------

    def seal_first(self, *, new: bool, key: keys.ClinicKey | None = None) -> None:
        """Seal the record file for the first time, in a checkpoint of its own: a new record's
        first save, or (once) a record made before seals. If that cannot be written now (a
        full disk), an old file is sealed at a later open instead.

        Args:
            key: the clinic key a new record file joins (another room of the clinic); by
                default a new clinic key is made.
        """
        assert isinstance(self.backend, FileBackend) and self.path is not None
        journal = self.backend.journal
        if key is not None and new:  # another room's new file: its saves are numbered above
            seen = keys.HighWater(key.clinic, self.path).read()[0]  # the mark imported with
            journal.seq = max(journal.seq, seen)  # the key, or it passes for an older copy
        journal.seal = self.seal = verify.begin(self.path, self.image, self.integrity,
                                                journal.seq + 1, key)
        try:
            self._checkpoint(self.backend, bump=True)
        except WriteFailed:
            if new:
                raise
            if key is None:
                keys.forget(journal.seal.key)
            journal.seal = self.seal = None
            self.integrity = State()
            return
        keys.remember_path(self.path, self.integrity.clinic)
        if not new:
            self.notes.append(verify.first_note(self.path, journal.seal.count))

    def reseal(self, entry: dict[str, Any]) -> str:
        """Seal the record anew with a new clinic key, its own lost for good, as it stands, in
        a checkpoint of its own; `entry` (when, why, which key it replaces) is kept in meta
        `resealed`, so `check` says that changes made before cannot be detected.

        Returns:
            The new key's fingerprint.

        Raises:
            MesoError: the file's key is on this machine (nothing to do), or it is not sealed.
            WriteFailed: the new seal could not be written; nothing changed.
        """
        if not isinstance(self.backend, FileBackend) or self.path is None:
            raise ReadOnlyStore(self.read_only_message())
        if self.integrity.status != "no-key":
            raise MesoError(f"{self.path.name}: its clinic key is on this machine (or it is not "
                            "sealed yet), so it needs no new key; nothing was changed")
        journal, lost = self.backend.journal, self.integrity.clinic
        meta = self.image.meta()
        before = meta.get("resealed")
        meta["resealed"] = [*(before or [])[-RESEALS_KEPT + 1:], {**entry, "from_clinic": lost}]
        journal.unsealable, self.integrity = None, State()
        try:
            self.seal_first(new=True)
        except BaseException:
            if journal.seal is not None:
                keys.forget(journal.seal.key)
            journal.seal = self.seal = None
            if before is None:
                meta.pop("resealed", None)
            else:
                meta["resealed"] = before
            self.integrity = State(status="no-key", clinic=lost)
            journal.unsealable = _unsealable(self.integrity, self.path)
            raise
        assert journal.seal is not None
        return journal.seal.key.fingerprint

    @property
    def sealed(self) -> bool:
        return isinstance(self.backend, FileBackend) and self.backend.journal.seal is not None

    def unseal(self) -> None:
        """Save without sealing from here on (a benchmark's yardstick, never the app)."""
        if isinstance(self.backend, FileBackend):
            self.backend.journal.seal = self.seal = None


def _unsealable(state: State, path: Path) -> str | None:
    return verify.unsealable(state, path)

