"""Crash-safe file replacement and rotating backups, using nothing but the standard library.

A save writes a temporary file beside the record file, flushes and fsyncs it, keeps the
previous file as a backup, renames the new one over it, and fsyncs the folder. At every
instant the record file on disk is either the old version or the new one, whole.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

BACKUP_DIR = "backups"
KEEP_RECENT = 20
"""Backups of the most recent saves, always kept."""
KEEP_DAILY = 30
"""Besides those, the first backup of each of this many most recent days."""


def full_fsync(fd: int) -> None:
    """Push a file's data to stable storage (on macOS fsync alone stops at the drive cache)."""
    if sys.platform == "darwin":
        import fcntl

        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
            return
        except OSError:  # a filesystem without F_FULLFSYNC
            pass
    os.fsync(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable; Windows cannot open folders and needs no such step."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        full_fsync(fd)
    finally:
        os.close(fd)


def make_private_dir(folder: Path) -> None:
    """Create `folder` (and missing parents) readable by this user only (0700)."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def backup_dir(path: Path) -> Path:
    return path.parent / BACKUP_DIR


def atomic_write(path: Path, payload: bytes | Iterable[bytes], *,
                 keep_backup: bool = True) -> None:
    """Replace `path` with `payload`, all or nothing, keeping the previous file as a backup.

    `payload` may come in pieces (an export written as it is built, never whole in memory).

    Raises:
        OSError: the write failed; `path` is exactly as it was and no temporary file is left.
    """
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(payload, bytes):
                handle.write(payload)
            else:
                handle.writelines(payload)
            handle.flush()
            full_fsync(handle.fileno())
        if keep_backup and path.exists():
            _keep_backup(path)
        _replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(folder)


def _replace(source: Path, target: Path) -> None:
    """os.replace, retried briefly on Windows where an indexer may hold the target open."""
    for attempt in range(5):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if os.name != "nt" or attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))


def _keep_backup(path: Path) -> None:
    """Keep the current file under backups/ before it is replaced, then prune old backups."""
    folder = backup_dir(path)
    make_private_dir(folder)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
        n += 1
    try:
        os.link(path, target)  # the old inode lives on under the new name: no copy needed
    except OSError:
        shutil.copyfile(path, target)
        os.chmod(target, 0o600)
    prune_backups(path)


def list_backups(path: Path) -> list[Path]:
    """Backups of `path`, newest first."""
    folder = backup_dir(path)
    if not folder.is_dir():
        return []
    prefix = f"{path.stem}-"
    found = [p for p in folder.iterdir()
             if p.name.startswith(prefix) and p.suffix == path.suffix and p.is_file()]
    return sorted(found, key=lambda p: p.name[len(prefix):], reverse=True)


def prune_backups(path: Path, keep_recent: int = KEEP_RECENT, keep_daily: int = KEEP_DAILY) -> None:
    """Delete backups beyond the most recent `keep_recent` and one a day for `keep_daily` days."""
    backups = list_backups(path)
    keep = set(backups[:keep_recent])
    days: dict[str, Path] = {}
    prefix = len(path.stem) + 1
    for backup in backups:  # newest first, so the last one seen for a day is its first save
        days[backup.name[prefix:prefix + 8]] = backup
    keep.update(days[day] for day in sorted(days, reverse=True)[:keep_daily])
    for backup in backups:
        if backup not in keep:
            backup.unlink(missing_ok=True)


def remove_stale_temp_files(path: Path) -> None:
    """Delete temporary files left by a save that was killed before its rename."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
