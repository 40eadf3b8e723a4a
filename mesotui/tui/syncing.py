"""The app's background sync with the clinic's server, and the title line's word on it.

A sync runs in a thread of its own: the network, the encryption and the replication protocol
happen there, while every read and write of the record file is handed to the app's thread
and done between keystrokes, as any save is (the engine is never touched from two threads).
A sync starts soon after each save made here, and every few seconds while the server
answers; when it does not, the pause between tries doubles up to a minute. The title line
says how it stands: synced at what time, changes waiting, offline, records in two versions.
What another room saved shows on the list as soon as it is pulled.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mesotui.clinic.writer import Saved
from mesotui.sync import room
from mesotui.sync.credentials import SyncSettings
from mesotui.sync.errors import SyncError
from mesotui.sync.keys import SyncKeys

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

EVERY = 5.0
"""Seconds between syncs while the server answers."""
AFTER_SAVE = 0.3
"""A save is sent this soon (several saves in a row go together)."""
LONGEST_PAUSE = 60.0
BATCH = 100
"""Documents per step in the app (the command line's 500): each step's work on the app's
thread, and the encryption between two steps, stay short."""
SWITCH = 0.001
"""The interpreter's thread switch interval while a sync runs (Python's default: 5 ms)."""
YIELD = 0.003
"""The sync thread rests this long before each step, so a keystroke never queues behind it."""
TIMEOUT = 10.0
FAILED = {"unreachable": "offline", "timeout": "offline",
          "credentials": "sync: password refused", "forbidden": "sync: not allowed",
          "rejected": "sync: a record refused", "full": "sync: server full",
          "missing": "sync: no such database", "key": "sync: no clinic key",
          "local": "sync: could not save", "refused": "sync: address refused"}
"""The title line's word for each failure (the whole line is said once, as a notice)."""


class Stopped(Exception):
    """The app is closing: the sync thread gives up where it is (nothing half-saved)."""


class OnAppThread:
    """The record file's replica, each call of it made on the app's thread."""

    def __init__(self, replica: Any, loop: asyncio.AbstractEventLoop,
                 stopping: threading.Event) -> None:
        self._replica, self._loop, self._stopping = replica, loop, stopping

    def _call(self, name: str, *args: Any) -> Any:
        async def call() -> Any:
            member = getattr(self._replica, name)
            return member if name == "replica_id" else member(*args)
        if self._stopping.is_set() or self._loop.is_closed():
            raise Stopped
        time.sleep(YIELD)  # between two steps of the sync, the app's thread runs alone
        try:
            future = asyncio.run_coroutine_threadsafe(call(), self._loop)
        except RuntimeError:  # the app's loop has closed
            raise Stopped from None
        while True:
            try:
                return future.result(timeout=0.25)
            except FutureTimeout:
                if self._stopping.is_set() or self._loop.is_closed():
                    future.cancel()
                    raise Stopped from None

    @property
    def replica_id(self) -> str:
        return self._call("replica_id")

    def changes(self, since: int, limit: int) -> Any:
        return self._call("changes", since, limit)

    def trees(self, record_ids: Any) -> Any:
        return self._call("trees", list(record_ids))

    def save(self, batch: Any) -> None:
        self._call("save", batch)

    def checkpoint(self, key: str) -> Any:
        return self._call("checkpoint", key)

    def save_checkpoint(self, key: str, doc: Any) -> None:
        self._call("save_checkpoint", key, doc)


class BackgroundSync:
    """Keeps the app's record file in sync with the server set up on this laptop."""

    def __init__(self, app: MesoApp, settings: SyncSettings,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self.app, self.settings, self.clock = app, settings, clock
        self.base_title = app.sub_title
        self.stopping = threading.Event()
        self.running = False
        self.due = time.monotonic()
        self.pause = EVERY
        self.last_synced: datetime | None = None
        self.failure: SyncError | None = None
        self.create = False
        """The next sync may create the server's database (just set up in the app)."""
        self.known_conflicts: set[str] = set()
        self.syncs = 0
        """Syncs finished, well or not (tests wait on it)."""

    @classmethod
    def begin(cls, app: MesoApp) -> BackgroundSync | None:
        """Start syncing if a server is set up on this laptop (else nothing, no network)."""
        from mesotui.sync import credentials

        try:
            settings = credentials.load()
        except SyncError as error:
            app.notify(str(error), severity="warning", markup=False)
            return None
        if settings is None:
            return None
        syncing = cls(app, settings)
        syncing.start()
        return syncing

    def start(self) -> None:
        self.app.store.listeners.append(self._saved)
        self.app.set_interval(0.25, self._tick, name="background sync")
        self.show()

    def stop(self) -> None:
        self.stopping.set()

    def _saved(self, event: Saved) -> None:
        """Any save: a change made here goes out soon (what another room's pulled save
        changed, the app's own save message refreshes on every screen)."""
        if event.here:
            self.soon()
        self.show()

    def _tick(self) -> None:
        if self.running or self.stopping.is_set() or time.monotonic() < self.due:
            return
        from mesotui.engine.replica import Replica

        try:
            keys = room.clinic_keys(self.app.store.engine)
        except SyncError as error:
            self._done(error)
            return
        self.running = True
        local = OnAppThread(Replica(self.app.store.engine), asyncio.get_running_loop(),
                            self.stopping)
        threading.Thread(target=self._run, args=(local, keys), name="mesotui sync",
                         daemon=True).start()

    def _run(self, local: OnAppThread, keys: SyncKeys) -> None:
        """In the sync thread: one sync, then its outcome handed to the app's thread."""
        from mesotui.sync.remote import RemoteDB
        from mesotui.sync.replicator import Replicator

        failure: SyncError | None = None
        connection = room.client(self.settings, timeout=TIMEOUT)
        switching = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH)  # a keystroke waits less for the sync thread's turn
        try:
            Replicator(local, RemoteDB(connection), keys, create=self.create,
                       batch=BATCH, encrypt=self.settings.encrypt).sync()
        except Stopped:
            return
        except SyncError as error:
            failure = error
        except Exception as error:  # a bug must not end the app: said, and tried again
            failure = SyncError("server", f"the sync stopped ({type(error).__name__})")
        finally:
            sys.setswitchinterval(switching)
            connection.close()
        if not self.stopping.is_set():
            try:
                local._loop.call_soon_threadsafe(self._done, failure)
            except RuntimeError:  # the app has closed meanwhile
                pass

    def _done(self, failure: SyncError | None) -> None:
        self.running = False
        self.syncs += 1
        if failure is not None and (self.failure is None or self.failure.kind != failure.kind):
            self.app.notify(str(failure), title="Sync", severity="warning", markup=False,
                            timeout=8)
        self.failure = failure
        now = self.conflicts()
        if new := [c for c in now if c not in self.known_conflicts]:
            them = "it" if len(new) == 1 else "them"
            self.app.notify(f"{', '.join(new)}: two rooms changed {them} while apart, and "
                            "both versions are kept. Choose one: ctrl+p, \"Two versions\".",
                            title="Sync", severity="warning", markup=False, timeout=12)
        self.known_conflicts = set(now)
        if failure is None:
            self.create = False
            self.last_synced = self.clock()
            self.pause = EVERY
        elif failure.retry:
            self.pause = min(LONGEST_PAUSE, self.pause * 2)
        else:
            self.pause = LONGEST_PAUSE
        self.due = time.monotonic() + self.pause
        self.show()

    def soon(self) -> None:
        """Sync shortly (a save, or a conflict settled, waits to be sent)."""
        self.due = min(self.due, time.monotonic() + AFTER_SAVE)

    def conflicts(self) -> tuple[str, ...]:
        return room.standing(self.app.store.engine, self.settings).conflicts

    def compare(self, record_id: str) -> None:
        """Open a record's two versions to choose one (the command palette offers it)."""
        from mesotui.tui.screens.conflict import ConflictScreen

        def settled(done: str | None) -> None:
            if done:
                self.app.notify(f"{done}: the version kept is saved; the other stays in its "
                                "history", markup=False)
                self.soon()
                self.show()

        keys = room.clinic_keys(self.app.store.engine)
        self.app.push_screen(ConflictScreen(self.app.store, record_id, keys,
                                            by=self.app.user, now=self.app.store.clock()),
                             settled)

    def words(self) -> str:
        """The sync's state in words, as the title line shows it."""
        now = room.standing(self.app.store.engine, self.settings)
        parts: list[str] = []
        if self.failure is not None:
            parts.append(FAILED.get(self.failure.kind, "sync failed"))
        elif self.last_synced is not None:
            parts.append(f"synced {self.last_synced:%H:%M}")
        else:
            parts.append("syncing")
        if now.waiting:
            parts.append(f"{room.plural(now.waiting, 'change')} waiting")
        if now.conflicts:
            parts.append(f"{room.plural(len(now.conflicts), 'conflict')}")
        if now.quarantined:
            parts.append(f"{now.quarantined} set aside")
        return " · ".join(parts)

    def show(self) -> None:
        self.app.sub_title = f"{self.base_title} · {self.words()}"


def set_up(app: MesoApp) -> None:
    """The sync server form; once saved, syncing starts (or goes on with the new settings)."""
    from mesotui.sync import credentials
    from mesotui.tui.screens.sync_setup import SyncSetupScreen

    try:
        current = credentials.load()
    except SyncError:
        current = None  # unreadable: the form writes them anew

    def saved(settings: SyncSettings | None) -> None:
        if settings is None:
            return
        syncing = app.syncing
        if syncing is None:
            syncing = app.syncing = BackgroundSync(app, settings)
            syncing.create = True
            syncing.start()
        else:
            syncing.settings, syncing.create, syncing.failure = settings, True, None
            syncing.last_synced = None
            syncing.soon()
            syncing.show()
        app.notify(f"Sync set up with {settings.where} as {settings.user}; the first sync "
                   "checks the password.", markup=False)

    app.push_screen(SyncSetupScreen(current), saved)
