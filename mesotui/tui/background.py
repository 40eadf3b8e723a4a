"""What the app does once the patient list shows: make sure of the record file, then read
every session's summary, fold the journal and sync, each only while nobody types.

The list may show what the start-up index says before the file's digest is checked
(`Store.prove(quick=True)`: the index's MAC holds and the file has the stamp it recorded).
Nothing is written before the digest is checked too (the engine waits for it), and the work
that writes, folding and syncing, starts only once it is. If it fails, the file was read
whole: every screen refreshes from what it holds, and a note says why; a file that cannot
be read ends the app, which then offers its recovery screen (`cli.run_app`).
"""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import TYPE_CHECKING

from mesotui.errors import MesoError

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

PROOF_POLL_S = 0.05
"""How often the app looks whether the record file's proof is done, once the list shows."""
PREPARE_SLICE_S = 0.008
"""Reading the sessions' summaries once the list shows: this long at a time between keys."""
PREPARE_QUIET_S = 0.25
"""...and only once no key came for this long: typing and opening records (which read only
their own patient's rows) never wait behind it."""


class Background:
    """The app's work after the first frame (see the module's docstring)."""

    def __init__(self, app: MesoApp) -> None:
        self.app = app

    def start(self) -> None:
        """Once the file is proven (now, or when its proof is done), begin the rest."""
        app = self.app
        if not app.store.proof_done:
            app.set_timer(PROOF_POLL_S, self.start)
            return
        try:  # if the index did not describe the file, it is read whole: every screen hears
            app.store.prove()
        except MesoError as error:  # damaged, or changed while it was being read
            app.give_up(error)
            return
        for note in app.store.notes:  # the index ignored, say
            app.notify(note, markup=False)
        app.run_worker(self._prepare(), group="prepare", exit_on_error=False)
        app.folder.start()
        if app.sync:
            from mesotui.tui.syncing import BackgroundSync

            app.syncing = BackgroundSync.begin(app)

    async def _prepare(self) -> None:
        """The list needs only the patients' cards, a record only its patient's sessions: read
        every session's summary (for the lot searches, a save's checks) once the list shows,
        a thousand at a time while nobody types."""
        app = self.app
        await asyncio.sleep(0.002)  # the list is painted first
        if (home := app.home) is not None and app.screen is home:
            home.build_record()  # one keystroke may wait for it; every first opening did
        await self._quiet()
        budget = monotonic() + PREPARE_SLICE_S
        for _step in app.store.prepare():
            if monotonic() >= budget:  # a keystroke waits at most a slice, then runs
                await self._quiet()
                budget = monotonic() + PREPARE_SLICE_S

    async def _quiet(self) -> None:
        """Return once no key came for `PREPARE_QUIET_S` (at once if none did)."""
        await asyncio.sleep(0.002)
        while (quiet := monotonic() - self.app.folder.last_key) < PREPARE_QUIET_S:
            await asyncio.sleep(PREPARE_QUIET_S - quiet)  # someone is typing
