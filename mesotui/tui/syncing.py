"""The app's background sync with the clinic's server, and the title line's word on it.

A sync runs in a thread of its own: the network, the encryption and the replication protocol
happen there, while every read and write of the record file is handed to the app's thread
and done between keystrokes, as any save is (the engine is never touched from two threads).
A sync starts soon after each save made here, and every few seconds while the server
answers; when it does not, the pause between tries doubles up to a minute. The title line
says how it stands: synced at what time, changes waiting, offline, records in two versions.
What another room saved shows on the list as soon as it is pulled.

The practitioner comes first: while keys are being typed (and for a second after the last),
the sync waits where it is, before its next request or step on the record file, and the steps
it hands to the app's thread are small and wait for any key to be handled first. A save made
meanwhile is sent as soon as the typing stops; quitting never waits for the sync.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from mesotui.clinic.writer import Saved
from mesotui.sync import room
from mesotui.sync.credentials import SyncSettings
from mesotui.sync.errors import SyncError
from mesotui.sync.keys import SyncKeys
from mesotui.tui.syncstep import Courtesy, OnAppThread, Stopped

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

EVERY = 5.0
"""Seconds between syncs while the server answers."""
AFTER_SAVE = 0.3
"""A save is sent this soon (several saves in a row go together)."""
LONGEST_PAUSE = 60.0
BATCH = 50
"""Documents per step in the app (the command line's 500): each step's work on the app's
thread, and the encryption between two steps, stay short."""
SWITCH = 0.001
"""The interpreter's thread switch interval while a sync runs (Python's default: 5 ms)."""
TIMEOUT = 10.0
FAILED = {"unreachable": "offline", "timeout": "offline",
          "credentials": "sync: password refused", "forbidden": "sync: not allowed",
          "rejected": "sync: a record refused", "full": "sync: server full",
          "missing": "sync: no such database", "key": "sync: no clinic key",
          "local": "sync: could not save", "refused": "sync: address refused"}
"""The title line's word for each failure (the whole line is said once, as a notice)."""


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
        self.courtesy = Courtesy(lambda: app.folder.last_key, lambda: app.keys.idle,
                                 self.stopping)

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
        if event.here or not self.running:
            self.show()  # what a sync saves (a checkpoint, a batch) is told when it ends

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
                            self.stopping, self.courtesy)
        threading.Thread(target=self._run, args=(local, keys), name="mesotui sync",
                         daemon=True).start()

    def _run(self, local: OnAppThread, keys: SyncKeys) -> None:
        """In the sync thread: one sync, then its outcome handed to the app's thread."""
        from mesotui.sync.remote import RemoteDB
        from mesotui.sync.replicator import Replicator

        failure: SyncError | None = None
        connection = room.client(self.settings, timeout=TIMEOUT)
        connection.before = self.courtesy.wait
        switching = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH)  # a keystroke waits less for the sync thread's turn
        try:
            Replicator(local, RemoteDB(connection), keys, create=self.create,
                       batch=BATCH, encrypt=self.settings.encrypt).sync()
        except Stopped:
            self.running = False  # the app is closing, or the sync was stopped: no outcome
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
