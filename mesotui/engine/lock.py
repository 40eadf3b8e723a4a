"""The single-writer lock: a file beside the record, locked by the OS for the writer's life.

If that file is deleted, a second writer could take a new lock beside the first; so the lock
can tell whether its file is still the one it locked (`intact`), and the journal asks before
every write (mesotui/engine/journal.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

from mesotui.errors import RecordFileError, RecordFileLocked


class WriterLock:
    """The single-writer lock, taken at once, which can tell whether its file is still there.

    Raises:
        RecordFileLocked: another mesotui process has the file open.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(str(path) + ".lock")
        self._held: tuple[int, int] | None = None
        try:
            self._lock = FileLock(str(self.path), mode=0o600, on_acquired=self._note)
        except (TypeError, ValueError):  # a filelock without the hook, or a soft lock
            self._lock = FileLock(str(self.path), mode=0o600)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise RecordFileLocked(path) from None
        except OSError as error:
            raise RecordFileError(path, f"cannot be locked ({error.strerror})") from error
        if self._held is None:
            with suppress(OSError):
                status = os.stat(self.path)
                self._held = (status.st_dev, status.st_ino)

    def _note(self, fd: int) -> None:
        status = os.fstat(fd)
        self._held = (status.st_dev, status.st_ino)

    def intact(self) -> bool:
        """Whether the lock file on disk is still the one this process locked."""
        try:
            status = os.stat(self.path)
        except OSError:
            return False
        return (status.st_dev, status.st_ino) == self._held

    def release(self) -> None:
        self._lock.release()


@contextmanager
def appending(fd: int | None) -> Iterator[None]:
    """Hold the journal exclusively while a writer checks it is as it left it and appends.

    Two writers can only meet after the lock file was deleted (a second mesotui then takes a
    new one): without this, both could check the journal between the other's check and write,
    and both append the same save number. An advisory lock on the journal itself makes the
    second wait, then see the first's line and refuse. Windows refuses to delete a lock file
    held open, so there the lock file alone keeps writers apart.
    """
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    locked = False
    if fd is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            locked = True
        except OSError:
            pass  # a file system without locks: the checks still run, as before
    try:
        yield
    finally:
        if locked:
            with suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
