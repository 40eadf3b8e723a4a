"""A view-only window on a record file another mesotui has open for changes: it follows
the writer's saves within a second or two, and never takes a lock, so it never blocks or slows it.

Each half second it compares the identity of the record file and of its journal (device,
inode, size, modification time: two `stat` calls, no read). When either changed, it reads
the file again, read-only and off the app's thread, and shows the new reading.

Reading a large clinic again takes a second of processor time, and the writer is on the same
laptop: a view-only window runs below normal priority, so the window where a patient is being
recorded always comes first (`lower_priority`, called by the command that opens the window).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mesotui.engine.replay import journal_path
from mesotui.errors import MesoError
from mesotui.store import Saved, Store

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

POLL_SECONDS = 0.5
"""How often the files are looked at: a save shows within about this (plus its reading)."""

WRITES = frozenset({"log", "new", "settings", "amend", "void", "consent", "evaluate", "edit",
                    "course", "archive", "undo", "import_spreadsheet"})
"""Actions that change the record: not offered in a view-only window."""

Identity = tuple[tuple[int, int, int, int] | None, ...]

NICENESS = 10
"""How far below normal a view-only window's processes run (POSIX `nice`; on Windows, the
"below normal" priority class)."""


def lower_priority() -> bool:
    """Run this process below normal priority, where the system allows it; whether it did."""
    try:
        if sys.platform == "win32":
            import ctypes

            kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
            below_normal = 0x00004000  # BELOW_NORMAL_PRIORITY_CLASS
            return bool(kernel.SetPriorityClass(kernel.GetCurrentProcess(), below_normal))
        os.nice(NICENESS)
        return True
    except (OSError, AttributeError):
        return False  # not allowed here: the window still works, only at normal priority


def identity(path: Path) -> Identity:
    """What tells a changed file: (device, inode, size, mtime) of the record and journal."""
    found = []
    for each in (path, journal_path(path)):
        try:
            st = os.stat(each)
        except OSError:
            found.append(None)
            continue
        found.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(found)


class Follower:
    """Re-reads the record file when the writer saves, and hands the app the new reading."""

    def __init__(self, app: MesoApp) -> None:
        self.app = app
        assert app.store.path is not None
        self.path = app.store.path
        self.seen = identity(self.path)
        self.reading = False
        self.following = True
        """False once a reading failed unexpectedly (and said so), until one succeeds."""
        self.subtitle = app.sub_title
        self.reloads = 0
        """How many new readings were shown (tests and the benchmark count them)."""

    def start(self) -> None:
        self.app.set_interval(POLL_SECONDS, self.poll, name="view-only poll")

    def poll(self) -> None:
        if self.reading:
            return
        now = identity(self.path)
        if now != self.seen:
            self.reading = True
            self.app.run_worker(lambda: self._read(now), thread=True, group="view-only",
                                exclusive=True, exit_on_error=False)

    def _read(self, seen: Identity) -> None:
        """In a thread: a fresh read-only store (a reader meeting a fold reads again).

        Whatever happens, the window hears of it: a reading shown, a retry at the next poll
        (mid-save), or, for anything else, "not following" said on screen, never silence."""
        store: Store | None = None
        failure: BaseException | None = None
        try:
            store = Store.open(self.path, readonly=True, clock=self.app.store.clock)
        except MesoError:
            pass  # mid-save: the next poll reads again
        except Exception as error:  # noqa: BLE001  (said on screen, see _failed)
            failure = error
        finally:
            try:
                if failure is not None:
                    self.app.call_from_thread(self._failed, failure, seen)
                else:
                    self.app.call_from_thread(self._show, store, seen)
            except RuntimeError:  # the app has closed meanwhile
                self.reading = False

    def _failed(self, error: BaseException, seen: Identity) -> None:
        """A reading that failed unexpectedly: say the window no longer follows, and why; the
        next change to the file is read again."""
        self.reading = False
        self.seen = seen
        self.following = False
        self.app.sub_title = f"VIEW ONLY · NOT FOLLOWING the other window · {self.app.db_label}"
        self.app.notify(f"This window no longer follows the other window's saves: "
                        f"{type(error).__name__}: {error}. Close it and open it again.",
                        severity="error", timeout=30, markup=False)

    def _show(self, store: Store | None, seen: Identity) -> None:
        self.reading = False
        if store is None:
            return
        if not self.following:
            self.following = True
            self.app.sub_title = self.subtitle
        self.seen = seen
        old, self.app.store = self.app.store, store
        old.close()
        self.reloads += 1
        self.app.announce(Saved(everyone=True, here=False))  # every row and record read again
