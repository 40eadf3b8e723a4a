"""Recovery from a corrupt record file: find sound backups, restore one as the working copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mesotui import durable, recordfile
from mesotui.errors import MesoError, RecordFileError
from mesotui.store import Store, acquire_lock


@dataclass(frozen=True)
class Backup:
    """A backup that opens cleanly, with what it holds, so the user can pick the right one."""

    path: Path
    saved: datetime
    patients: int
    sessions: int

    def describe(self) -> str:
        return (f"{self.saved:%Y-%m-%d %H:%M:%S} UTC · {self.patients} patients, "
                f"{self.sessions} sessions · {self.path.name}")


def sound_backups(path: Path, limit: int = 10) -> list[Backup]:
    """The newest backups of `path` that open as valid record files, newest first."""
    found: list[Backup] = []
    for candidate in durable.list_backups(path):
        try:
            store = Store.open(candidate, readonly=True)
        except MesoError:
            continue
        found.append(Backup(candidate, _saved_at(candidate), len(store.patients()),
                            len(store.sessions())))
        if len(found) == limit:
            break
    return found


def restore(path: Path, backup: Path) -> Path | None:
    """Make `backup` the working record file; keep what it replaces, untouched, beside it.

    Returns:
        Where the replaced file was kept (for inspection), or None if there was none.

    Raises:
        RecordFileError: the backup does not open as a record file; nothing was changed.
    """
    try:
        Store.open(backup, readonly=True)
    except MesoError as error:
        raise RecordFileError(backup, f"is not a sound backup ({error})") from None
    lock = acquire_lock(path)  # never swap the file under another window
    try:
        return _swap_in(path, backup)
    finally:
        lock.release()


def _swap_in(path: Path, backup: Path) -> Path | None:
    """Move the record file and its journal aside (kept, renamed), then put the backup in place.

    The journal belongs to the file it replaces: replaying it onto the backup would mix two
    histories, so it is kept beside that file, for inspection, and never applied.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.stem}.replaced-{stamp}{path.suffix}")
    journal = recordfile.journal_path(path)
    moved: list[tuple[Path, Path]] = []
    for source, target in ((path, kept), (journal, recordfile.journal_path(kept))):
        if source.exists():
            source.rename(target)  # a rename keeps every byte exactly as it was
            moved.append((source, target))
    try:
        durable.atomic_write(path, backup.read_bytes(), keep_backup=False, guard=False)
    except OSError:
        for source, target in moved:
            if not source.exists():
                target.rename(source)
        raise
    return kept if moved else None


def _saved_at(backup: Path) -> datetime:
    """When a backup was taken, from its name (its file time if the name was changed)."""
    try:
        stamp = datetime.strptime(backup.stem.rsplit("-", 1)[-1], "%Y%m%dT%H%M%S%fZ")
        return stamp.replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(backup.stat().st_mtime, UTC)
