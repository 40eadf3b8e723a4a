"""Recovery: find sound backups, and restore one as the working record file, crash-safely.

A restore never leaves the record file's path empty, never replays the old journal onto the
restored file, and never loses a save of the file it replaces:

1. under the file's lock, the old journal is folded into the old file when that file can be
   read (otherwise file and journal are kept together, as they are);
2. the restored record is written complete and fsynced under a temporary name, as a new
   checkpoint (a new token, so no old journal entry can ever follow it);
3. the old file (and its journal) get a second, collision-proof name: hard links, fsynced;
4. the old journal and index are removed; then the restored file is renamed over the path.

A kill at any point leaves at the path either the old file (with its journal) or the restored
one, and the kept copy holds everything the old one held.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mesotui.clinic.rows import LAYOUT
from mesotui.engine import durable, replay, verify
from mesotui.engine.image import Encoded, Image, encode, index_path, new_token
from mesotui.engine.lock import WriterLock
from mesotui.engine.replay import journal_path
from mesotui.engine.seal import Seal
from mesotui.errors import CorruptRecordFile, MesoError, RecordFileError
from mesotui.store import Store, record_path

KEEP_RESTORES = 20
"""Restores remembered in the record's meta table (when, from which file)."""


@dataclass(frozen=True)
class Backup:
    """A backup that opens cleanly, with what it holds, so the user can pick the right one."""

    path: Path
    saved: datetime
    patients: int
    sessions: int
    sealed: bool = True
    """False: it carries no seal (from before seals, or stripped of it): restored into a
    sealed clinic, it stays flagged, since what it holds cannot be checked."""

    def describe(self) -> str:
        unsealed = "" if self.sealed else " · carries no seal: its content cannot be checked"
        return (f"{self.saved:%Y-%m-%d %H:%M:%S} UTC · {self.patients} patients, "
                f"{self.sessions} sessions{unsealed} · {self.path.name}")


def sound_backups(path: Path, limit: int = 10) -> list[Backup]:
    """The newest backups of `path` that open as valid record files, newest first; then the
    copies earlier restores kept of the files they replaced."""
    path = record_path(path)
    found: list[Backup] = []
    kept = sorted(path.parent.glob(f"{path.stem}.replaced-*{path.suffix}"),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for candidate in [*durable.list_backups(path), *kept]:
        try:
            store = Store.open(candidate, readonly=True)
        except MesoError:
            continue
        found.append(Backup(candidate, _saved_at(candidate), len(store.patients()),
                            len(store.sessions()), store.integrity.status != "unsealed"))
        if len(found) == limit:
            break
    return found


def restore(path: Path, backup: Path) -> Path | None:
    """Make `backup` the working record file; keep what it replaces, untouched, beside it.

    Returns:
        Where the replaced file was kept (its journal beside it, if it had one), or None if
        there was nothing to keep.

    Raises:
        RecordFileError: the backup does not open as a record file; nothing was changed.
        RecordFileLocked: the file is open in a mesotui window.
    """
    path, backup = record_path(path), record_path(backup)
    try:
        Store.open(backup, readonly=True).close()  # every record parses
        loaded = replay.load(backup, LAYOUT, use_index=False)
    except MesoError as error:
        raise RecordFileError(backup, f"is not a sound backup ({error})") from None
    assert loaded.image is not None
    state, _seal = verify.inspect(backup, loaded.image, loaded.checkpoint_meta,
                                   loaded.tail.marks, whole=True, against_seen=False)
    durable.make_private_dir(path.parent)
    lock = WriterLock(path)  # never swap the file under another window
    try:
        seq, clinic, feed = _fold(path, lock)
        image = Image(loaded.image.to_dict(), layout=LAYOUT)
        meta = image.meta()
        held = meta.get("feed_seq")
        meta["feed_seq"] = max(feed, held if isinstance(held, int) else 0)  # numbers only grow
        seal = verify.for_restore(path, image, state, clinic,
                                  max(seq, replay.journal_seq(image)))
        return _swap_in(path, image, seal.seq if seal else seq + 1, Path(backup).name, seal)
    finally:
        lock.release()


def _fold(path: Path, lock: WriterLock) -> tuple[int, str | None, int]:
    """Fold the old file's journal into it, if the file can be read; return its last save's
    number (0 if unknown), its clinic (None if unknown) and its last change number. A file
    that cannot be read is kept with its journal as they are."""
    if not path.exists():
        return 0, None, 0
    try:
        old = Store.open(path, lock=lock)
    except (CorruptRecordFile, RecordFileError):
        return 0, None, 0
    seq, feed = old.engine.seq, old.engine.feed.seq
    clinic = old.integrity.clinic or None
    old.engine.fold()  # the old file then holds every save alone (else the journal is kept)
    old.close()
    return seq, clinic, feed


def _swap_in(path: Path, image: Image, seq: int, source: str,
             seal: Seal | None) -> Path | None:
    meta = image.meta()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    meta["journal_seq"] = seq
    meta["checkpoint"] = new_token()  # no entry of any old journal can follow this file
    meta.pop("replica_id", None)  # an older copy: replication starts afresh from it
    meta["restored"] = [*(meta.get("restored") or [])[-KEEP_RESTORES + 1:],
                        {"at": now, "from": source, "journal_seq": seq}]
    sealed = seal.seal_checkpoint(image, seq, meta["checkpoint"]) if seal else None
    tmp, _written = durable.write_temp(path, encode(image, Encoded({}, {})))
    journal = journal_path(path)
    kept: Path | None = None
    try:
        kept = _keep(path, journal)
        journal.unlink(missing_ok=True)  # now only the kept copy has it
        index_path(path).unlink(missing_ok=True)
        durable.fsync_dir(path.parent)
        durable.install(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if kept is not None:
            _unkeep(path, journal, kept)
        raise
    if sealed is not None:
        sealed()  # the high-water mark: this restore is the newest file seen
        seal.close()  # type: ignore[union-attr]
    return kept


def _keep(path: Path, journal: Path) -> Path | None:
    """Give the record file and its journal a second name, unique even within a second."""
    if not path.exists() and not journal.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    while True:
        kept = path.with_name(f"{path.stem}.replaced-{stamp}-{secrets.token_hex(3)}"
                              f"{path.suffix}")
        if not kept.exists() and not journal_path(kept).exists():
            break
    for source, target in ((path, kept), (journal, journal_path(kept))):
        if source.exists():
            try:
                os.link(source, target)  # the same bytes under a second name, no copy
            except OSError:
                durable.private_copy(source, target)
    durable.fsync_dir(path.parent)
    return kept


def _unkeep(path: Path, journal: Path, kept: Path) -> None:
    """A restore that failed before its rename: put the journal back, drop the second names."""
    kept_journal = journal_path(kept)
    if kept_journal.exists() and not journal.exists():
        os.link(kept_journal, journal)
    if path.exists():
        kept.unlink(missing_ok=True)
        kept_journal.unlink(missing_ok=True)


def _saved_at(backup: Path) -> datetime:
    """When a backup was taken, from its name (its file time if the name was changed)."""
    return durable.backup_time(backup) or datetime.fromtimestamp(backup.stat().st_mtime, UTC)
