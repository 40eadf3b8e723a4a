"""Folding the record file's journal into it while the app is idle, a piece at a time.

Every save is durable the moment it is appended to the journal; folding the journal into the
record file (a new checkpoint) only keeps the next start quick. For a group's 200 MB file that
rewrite takes seconds, so it is never done inside a save or on the way out: once nobody has
typed for a few seconds, the app writes the new file a few megabytes at a time between
keystrokes. A save, or closing the window, abandons a fold under way: the new file is never
put in place, and the journal keeps everything (mesotui/engine/journal.py).
"""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

QUIET_S = 3.0
"""Seconds without a key before a fold starts."""
CHECK_EVERY_S = 1.0
PAUSE_S = 0.005
"""Between two pieces of a fold: time for a keystroke to be handled and painted."""


class IdleFold:
    """Starts a fold when the journal is worth folding and the window has been quiet."""

    def __init__(self, app: MesoApp) -> None:
        self.app = app
        self.last_key = monotonic()
        self.folds = 0
        """Folds finished in this window (for tests and the curious)."""
        self._running = False

    def start(self) -> None:
        if not self.app.view_only:
            self.app.set_interval(CHECK_EVERY_S, self.check)

    def key(self) -> None:
        """A key was pressed: the window is not quiet."""
        self.last_key = monotonic()

    def check(self) -> None:
        store = self.app.store
        if (self._running or store.readonly or not store.fold_wanted
                or monotonic() - self.last_key < QUIET_S or not self.app.keys.idle):
            return
        self._running = True
        self.app.run_worker(self._fold(), group="fold", exit_on_error=False)

    async def _fold(self) -> None:
        steps = self.app.store.folding()
        try:
            for _step in steps:
                await asyncio.sleep(PAUSE_S)
            self.folds += 1
        finally:
            steps.close()  # cancelled (the app closing): nothing of it is kept
            self._running = False
