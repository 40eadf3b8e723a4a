"""Type-ahead that lands where it was meant: the app's keys handed on one at a time, in order.

Textual 8 hands a key to the focused widget by posting it to that widget's message queue and
returns at once for the next key. A key the widget does not use (tab, enter in a form, `l` on
a list) then bubbles up the DOM, one queue at a time, to the binding that acts on it; the keys
typed meanwhile have already been posted to the widget that had focus *before* that binding
ran. So a scanner's `DU25-9999<tab>2027-01-31` lands whole in the lot field, and the letters
typed after `l` go to the list instead of the form it opens.

The gate fixes that for every screen at once: a key is handed on only when everything the
previous key started (its bubbling, the actions it ran, a screen it pushed or popped, the
focus that screen set) has been handled. Keys typed meanwhile wait, in order, and then go to
whatever has focus. A question dialog (`ANSWERS_TYPE_AHEAD = False`) is never answered by a
key typed before it was ready: the keys still waiting when it is are dropped, with a bell.

Textual has no public "this input is fully handled" signal; the gate reads the message
queues of the app and of the screens shown (all in this module, pinned to Textual 8.2.8).
"""

from __future__ import annotations

import asyncio
from collections import deque
from time import monotonic
from typing import TYPE_CHECKING

from textual import events

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump

SETTLE_LIMIT = 10.0
"""Seconds a key waits at most for the previous one: past that it is handed on anyway, with a
bell and a message (a screen that takes that long to open is broken, and keys must never
stop). Generous, so that a loaded machine does not reach it."""

FIRST_LOOKS = 20
"""How many times the gate looks at once (yielding to the loop in between) before it waits
between looks: most keys settle within a few turns of the loop."""
LOOK_EVERY = 0.005
"""Seconds between later looks, so a slow screen is waited for without spinning the CPU."""


def _busy(pump: MessagePump) -> bool:
    """Whether `pump` has a message queued, or a callback pending.

    Textual 8's message queue (textual._queue.Queue) keeps no count of the message being
    handled (its task_done does nothing): what is queued is what can be seen. A message being
    handled shows through what it queues in turn, and through the next looks of the gate.
    (This once asked for asyncio.Queue's unfinished count and, not finding it, fell back to
    this silently; tests/test_tui_type_ahead.py now pins the queue the gate reads.)"""
    return bool(pump._message_queue.qsize()) or bool(pump._next_callbacks)  # noqa: SLF001


class KeyGate:
    """Holds the app's keys while the previous one is still being handled."""

    def __init__(self, app: App[object]) -> None:
        self.app = app
        self._waiting: deque[tuple[events.Key, float]] = deque()
        """Keys held back, each with when it arrived."""
        self._released: set[int] = set()
        self._busy = False
        self._watch: asyncio.Task[None] | None = None

    @property
    def idle(self) -> bool:
        """No key is being handled or waiting."""
        return not self._busy and not self._waiting

    def admit(self, event: events.Key) -> bool:
        """Whether to handle `event` now; otherwise it is kept and handed on in its turn."""
        if id(event) in self._released:
            self._released.discard(id(event))
            return True
        arrived = monotonic()
        if self._busy or self._waiting:
            self._waiting.append((event, arrived))
            return False
        if not self._answers(arrived):
            self.app.bell()
            return False
        self._busy = True
        return True

    def handled(self) -> None:
        """The key just admitted was handed on: release the next once it has settled."""
        self._watch = asyncio.get_running_loop().create_task(self._release_when_settled())

    async def _release_when_settled(self) -> None:
        deadline = monotonic() + SETTLE_LIMIT
        looks = 0
        while True:
            await asyncio.sleep(0 if looks < FIRST_LOOKS else LOOK_EVERY)
            looks += 1
            if self.settled():
                break
            if monotonic() >= deadline:
                self.app.bell()
                self.app.notify("The screen took too long to answer: the keys typed meanwhile "
                                "went on to whatever has focus now. Check what they did.",
                                severity="warning", markup=False)
                break
        while self._waiting:
            event, arrived = self._waiting.popleft()
            if self._answers(arrived):
                self._released.add(id(event))
                self.app.post_message(event)
                return
            self.app.bell()
        self._busy = False

    def settled(self) -> bool:
        """Nothing the keys so far started is still queued, anywhere on the screens shown."""
        app = self.app
        if _busy(app):
            return False
        for screen in app.screen_stack:
            if screen._callbacks:  # noqa: SLF001  (call_after_refresh, e.g. a focus to set)
                return False
            if _busy(screen) or any(_busy(node) for node in screen.walk_children()):
                return False
        return True

    def _answers(self, arrived: float) -> bool:
        """Whether a key that arrived then may go to the screen shown: a question dialog takes
        only keys typed once it was ready (see `mark_ready`)."""
        screen = self.app.screen
        if getattr(screen, "ANSWERS_TYPE_AHEAD", True):
            return True
        ready = getattr(screen, "ready_at", None)
        return ready is not None and arrived >= ready


def mark_ready(screen: object) -> None:
    """A question dialog is on screen from now: keys typed from now on may answer it."""
    screen.ready_at = monotonic()  # type: ignore[attr-defined]
