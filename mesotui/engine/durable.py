"""Crash-safe file replacement and rotating backups, using nothing but the standard library.

A save writes a temporary file beside the record file, flushes and fsyncs it, keeps the
previous file as a backup, renames the new one over it, and fsyncs the folder. At every
instant the record file on disk is either the old version or the new one, whole.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

BACKUP_DIR = "backups"
KEEP_RECENT = 20
"""Backups of the most recent saves, always kept."""
KEEP_HOURLY = 24
"""Besides those, the first backup of each of this many most recent hours (a day's)."""
KEEP_DAILY = 30
"""And the first backup of each of this many most recent days (a month's)."""


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
    """Create `folder` and any missing parents, each 0700 whatever the umask, durably.

    Each new folder's entry is fsynced in its parent, so it survives a power cut with the
    first file written into it.
    """
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made meanwhile by another process: not ours to change
        os.chmod(new, 0o700)  # mkdir's mode is cut by the umask (0777 or 0000 would leak)
        fsync_dir(new.parent)


def backup_dir(path: Path) -> Path:
    return path.parent / BACKUP_DIR


def atomic_write(path: Path, payload: bytes | Iterable[bytes], *,
                 keep_backup: bool = True, guard: bool = True,
                 release: Callable[[], None] | None = None) -> os.stat_result:
    """Replace `path` with `payload`, all or nothing, keeping the previous file as a backup.

    `payload` may come in pieces (an export written as it is built, never whole in memory).

    Args:
        guard: refuse to replace a record file or one of the files that keep it (see
            `protected`); only the record file's own writer passes False.
        release: called once the new file is written, before it replaces the old one (which
            must not be held open then: Windows renames nothing over an open file).

    Returns:
        The status of the file written (its identity, now at `path`).

    Raises:
        OSError: the write failed or was refused; `path` is exactly as it was and no
            temporary file is left.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # /dev/null, a FIFO: never renamed over
            raise OSError(errno.EINVAL, f"{Path(path).name} is not a regular file; choose a "
                                        "file name")
    except FileNotFoundError:
        pass
    if guard and (why := protected(path)):
        raise OSError(errno.EPERM, why)
    tmp, written = write_temp(path, payload)
    try:
        if keep_backup and path.exists():
            back_up(path)
        install(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return written


def write_temp(path: Path, payload: bytes | Iterable[bytes]) -> tuple[Path, os.stat_result]:
    """Write `payload` complete and fsynced under a temporary name beside `path` (0600).

    A start removes such files (`remove_stale_temp_files`): one left by a crash is nothing.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(payload, bytes):
                handle.write(payload)
            else:
                handle.writelines(payload)
            handle.flush()
            full_fsync(handle.fileno())
            written = os.fstat(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, written


def install(tmp: Path, path: Path) -> None:
    """Rename `tmp` over `path` (atomic) and make the rename durable."""
    _replace(tmp, path)
    fsync_dir(path.parent)


COMPANIONS = (".journal", ".index", ".lock")
"""What sits beside a record file `clinic.json`: `clinic.json.journal`, `.index`, `.lock`."""
_RECORD_HEAD = re.compile(rb'\{\s*"[A-Za-z_][A-Za-z0-9_]*"\s*:\s*\{\s*("\d+"|\})')
"""The start of a TinyDB-layout file: a table of documents keyed by number (or empty)."""
_JOURNAL_HEAD = re.compile(rb"[0-9a-f]{32} \{")


_GUARDED: list[Callable[[], Path]] = []
"""Folders nothing but their owner may write into (the clinic keys': mesotui/engine/keys.py)."""


def guard_folder(where: Callable[[], Path]) -> None:
    """Have `protected` refuse any target inside the folder `where()` names when asked."""
    _GUARDED.append(where)


def protected(target: Path) -> str | None:
    """Why `target` must never be replaced by anything but the record's own writer, or None.

    A record file (this clinic's or another's, a backup, a replaced file kept aside), its
    journal, index and lock: a file read as TinyDB-layout JSON, a journal of checksummed
    lines, or a companion named after a record file. Symlinks are followed.
    """
    real = Path(os.path.realpath(target))
    for where in _GUARDED:
        folder = Path(os.path.realpath(where()))
        if real == folder or folder in real.parents:
            return ("it is in the folder that keeps the clinic keys, which must hold nothing "
                    "else; choose another place")
    for suffix in COMPANIONS:
        if real.name.endswith(suffix) and real.name != suffix:
            record = real.with_name(real.name.removesuffix(suffix))
            if real.exists() or record.exists():
                return (f"it is the {suffix[1:]} of the record file {record.name}; "
                        "choose another name")
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            return None  # a device or a pipe: reading it could block, and it is no record
        with open(real, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None  # nothing there, or nothing readable: not ours to keep
    if _RECORD_HEAD.match(head) or _JOURNAL_HEAD.match(head) or head.startswith(
            (b'{"format":"mesotui-index"', b"mesotui-index")):
        return f"{real.name} is a mesotui record file; choose another name"
    if any(real.with_name(real.name + suffix).exists() for suffix in COMPANIONS[:2]):
        return f"{real.name} is a mesotui record file; choose another name"
    return None


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


def clock() -> datetime:
    """Now, for naming backups (tests move it)."""
    return datetime.now(UTC)


STAMP = "%Y%m%dT%H%M%S%fZ"


def back_up(path: Path) -> None:
    """Keep the current file under backups/ before it is replaced, then prune old backups.

    The backup's name and its folder entry are made durable before the file is replaced.
    """
    folder = backup_dir(path)
    make_private_dir(folder)
    stamp = clock().astimezone(UTC).strftime(STAMP)
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
        n += 1
    try:
        os.link(path, target)  # the old inode lives on under the new name: no copy needed
    except OSError:
        private_copy(path, target)
    fsync_dir(folder)
    prune_backups(path)


def private_copy(source: Path, target: Path) -> None:
    """Copy `source` to a new file that is 0600 from its creation, and make it durable."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o600)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as held:
            shutil.copyfileobj(held, out, 1 << 20)
            out.flush()
            full_fsync(out.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def list_backups(path: Path) -> list[Path]:
    """Backups of `path`, newest first."""
    folder = backup_dir(path)
    if not folder.is_dir():
        return []
    prefix = f"{path.stem}-"
    named = re.compile(re.escape(prefix) + r"\d{8}T\d{12}Z(-\d+)?" + re.escape(path.suffix))
    found = [p for p in folder.iterdir()  # clinic-b.json's backups are not clinic.json's
             if named.fullmatch(p.name) and p.is_file()]
    return sorted(found, key=lambda p: p.name[len(prefix):], reverse=True)


def backup_time(backup: Path) -> datetime | None:
    """When a backup was taken, from its name; None if the name was changed."""
    stamp = backup.stem.rsplit("-", 1)[-1]
    if "T" not in stamp:  # `clinic-<stamp>-2`: a second backup in the same microsecond
        stamp = backup.stem.rsplit("-", 2)[-2]
    try:
        return datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def prune_backups(path: Path, keep_recent: int = KEEP_RECENT, keep_hourly: int = KEEP_HOURLY,
                  keep_daily: int = KEEP_DAILY) -> None:
    """Keep the newest `keep_recent` backups, and the first backup of each of the newest
    `keep_hourly` hours and `keep_daily` days that have any; delete the rest.

    However many writes come, a day's and a month's history stay: a burst of saves only
    replaces the most recent ones. The first of each hour and day is kept, not the last, so
    the one kept does not change with every later write.
    """
    backups = list_backups(path)
    keep = set(backups[:keep_recent])
    for width, count in ((11, keep_hourly), (8, keep_daily)):  # YYYYmmddTHH, YYYYmmdd
        first_of: dict[str, Path] = {}
        for backup in backups:  # newest first, so the last one seen in a bucket is its first
            when = backup_time(backup)
            if when is not None:
                first_of[when.strftime(STAMP)[:width]] = backup
        keep.update(first_of[bucket] for bucket in sorted(first_of, reverse=True)[:count])
    for backup in backups:
        if backup not in keep and backup_time(backup) is not None:
            backup.unlink(missing_ok=True)


def remove_stale_temp_files(path: Path) -> None:
    """Delete temporary files left by a save that was killed before its rename."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
