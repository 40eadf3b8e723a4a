"""The app's sync thread and the app's thread, side by side: who goes first, and how a step of
the sync on the record file is handed to the app's thread.

The record file is only ever read and written on the app's thread; the sync's thread does the
network, the encryption and the protocol, and hands each step on the file over (`OnAppThread`).
Both give way to the keyboard (`Courtesy`): the sync thread waits before each request and each
step while someone types, and a step waiting on the app's thread lets any key queued go first.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

QUIET_S = 1.0
"""The sync waits until no key has come for this long (a practitioner typing goes first)."""
LOOK_EVERY_S = 0.05


class Stopped(Exception):
    """The app is closing: the sync thread gives up where it is (nothing half-saved)."""


class Courtesy:
    """The sync gives way to the keyboard: it goes on only once nobody has typed for a while.

    `last_key` is the monotonic time of the latest key; `keys_idle` says no key is being
    handled or waiting. Both are read from the sync's thread too (plain reads of one value).
    """

    def __init__(self, last_key: Callable[[], float], keys_idle: Callable[[], bool],
                 stopping: threading.Event, quiet_s: float | None = None) -> None:
        self.last_key, self.keys_idle, self.stopping = last_key, keys_idle, stopping
        self.quiet_s = QUIET_S if quiet_s is None else quiet_s
        self.waits = 0
        """Times the sync waited for the typing to stop (tests and the curious)."""

    def quiet(self) -> bool:
        return time.monotonic() - self.last_key() >= self.quiet_s and self.keys_idle()

    def wait(self) -> None:
        """In the sync's thread, before each step: wait while someone types."""
        if not self.quiet():
            self.waits += 1
        while not self.quiet():
            if self.stopping.is_set():
                raise Stopped
            time.sleep(LOOK_EVERY_S)
        if self.stopping.is_set():
            raise Stopped

    async def wait_here(self) -> None:
        """On the app's thread, before a step runs there: any key queued meanwhile first."""
        await asyncio.sleep(0)
        while not self.quiet():
            if self.stopping.is_set():
                raise Stopped
            await asyncio.sleep(LOOK_EVERY_S)


class OnAppThread:
    """The record file's replica, each call of it made on the app's thread."""

    def __init__(self, replica: Any, loop: asyncio.AbstractEventLoop,
                 stopping: threading.Event, courtesy: Courtesy) -> None:
        self._replica, self._loop, self._stopping = replica, loop, stopping
        self._courtesy = courtesy
        self.steps = 0
        """Steps run on the app's thread (tests)."""

    def _call(self, name: str, *args: Any) -> Any:
        async def call() -> Any:
            await self._courtesy.wait_here()
            member = getattr(self._replica, name)
            self.steps += 1
            return member if name == "replica_id" else member(*args)
        if self._stopping.is_set() or self._loop.is_closed():
            raise Stopped
        self._courtesy.wait()  # between two steps of the sync, the practitioner goes first
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
