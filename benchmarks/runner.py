"""Child-process side of the benchmark: one measurement per process, results as one JSON line.

Usage: runner.py generate|startup-meso|startup-bare|interactive|saves ARGS (see `MODES`).
Imports stay inside each mode, so a start-up run pays only for what the app itself imports.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

TODAY = date(2026, 1, 15)
SIZE = (120, 40)
READY = b"READY\n"


def emit(result: dict[str, Any]) -> None:
    """The last stdout line of every mode is its result."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def generate(path: str, patients: str, sessions: str) -> None:
    from mesotui.demo import generate as make_clinic
    from mesotui.store import Store

    started = time.perf_counter()
    clinic = make_clinic(TODAY, int(patients), sessions_per_patient=int(sessions))
    with Store.open(path) as store:
        store.bulk_load(clinic.patients, clinic.sessions, clinic.settings)
        counts = {"patients": len(store.patients()), "sessions": len(store.sessions())}
    emit({**counts, "seconds": time.perf_counter() - started})


class Frames:
    """Watches the frames the app composes, so a test of 'shown' is checked as it is painted.

    Headless Textual composes every frame (every visible line is rendered) but writes nothing;
    `App._display` receives each frame, and is the one private hook this benchmark relies on.
    """

    def __init__(self, app: Any) -> None:
        import asyncio

        self.want: Callable[[Any], bool] | None = None
        self.hit: float | None = None
        self.done = asyncio.Event()
        self.on_hit: Callable[[], None] | None = None
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None and self.want is not None and self._wanted(screen):
                self.hit, self.want = time.perf_counter(), None
                self.done.set()
                if self.on_hit is not None:
                    self.on_hit()

        app._display = display

    def _wanted(self, screen: Any) -> bool:
        try:
            return bool(self.want and self.want(screen))
        except Exception:  # noqa: BLE001 - a screen half-mounted is simply not ready yet
            return False

    def expect(self, test: Callable[[Any], bool]) -> None:
        self.hit, self.want = None, test
        self.done.clear()

    async def wait(self, timeout: float = 20.0, what: Callable[[], str] = lambda: "") -> float:
        import asyncio

        try:
            await asyncio.wait_for(self.done.wait(), timeout)
        except TimeoutError:
            raise SystemExit(f"no frame showed the expected state within {timeout:.0f} s "
                             f"{what()}") from None
        assert self.hit is not None
        return self.hit


def _shows_patients(screen: Any) -> bool:
    from mesotui.tui.screens.patients import PatientsScreen

    return isinstance(screen, PatientsScreen) and bool(screen.patients.shown)


def startup_meso(path: str) -> None:
    """`mesotui --db PATH`, through its command line, as a user starts it.

    Textual is imported first here, to watch the frames; `mesotui` itself imports it with the
    garbage collector paused, so this measures a little more than a user waits, not less.
    """
    _through_the_command_line(path, lambda app: _start(app, _shows_patients))


def _through_the_command_line(path: str, run: Callable[[Any], None]) -> None:
    """Start `mesotui --db PATH --today TODAY`, handing its app to `run` instead of running it
    (which runs it headless, watched)."""
    from textual.app import App

    from mesotui.cli import main

    original = App.run

    def instead(app: Any, *_args: Any, **_kwargs: Any) -> None:
        App.run = original  # type: ignore[method-assign]
        run(app)

    App.run = instead  # type: ignore[method-assign]
    if main(["--db", path, "--today", TODAY.isoformat()]) != 0:
        raise SystemExit("mesotui did not start")


def startup_bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield DataTable(id="table")
            yield Footer()

    _start(Bare(), lambda screen: bool(screen.query("#table")))


def _start(app: Any, ready: Callable[[Any], bool]) -> None:
    """Write READY straight to stdout (Textual captures `print`) at the first interactive frame."""
    frames = Frames(app)
    frames.expect(ready)

    def ready_now() -> None:
        os.write(1, READY)  # fd 1 itself: Textual swaps sys.stdout while it runs
        app.exit()

    frames.on_hit = ready_now
    app.run(headless=True, size=SIZE)
    if frames.hit is None:
        raise SystemExit("the app exited before it was interactive")


FRAGMENTS = ("fletcher", "kenji", "sofia", "p-001", "ström")
"""Typed one key at a time, then deleted: 56 keystrokes over names, an id and non-ASCII."""
OPENS = 10
TYPING_GAP_S = 0.03
"""A fast typist's gap between keys, so each keystroke starts from an idle app."""


def key(app: Any, name: str, char: str | None) -> None:
    from textual import events

    app.post_message(events.Key(name, char))


async def type_fragments(app: Any, frames: Frames, shows: Callable[[Any, str], bool],
                         applied: list[float]) -> tuple[list[float], list[float]]:
    """Type and delete each fragment; per key, seconds until painted and until `applied`.

    Args:
        shows: whether a screen, as painted, shows the result of the filter text given.
        applied: the caller appends the time the filter ran (left empty: same as painted).
    """
    import asyncio

    painted, handled = [], []
    for fragment in FRAGMENTS:
        steps = [fragment[:n] for n in range(1, len(fragment) + 1)]
        steps += [fragment[:n] for n in range(len(fragment) - 1, -1, -1)]
        typed = ""
        for text in steps:
            frames.expect(lambda s, t=text: shows(s, t))
            applied.clear()
            started = time.perf_counter()
            if len(text) > len(typed):
                char = text[-1]
                key(app, char if char.isalnum() else _key_name(char), char)
            else:
                key(app, "backspace", None)
            hit = await frames.wait(what=lambda t=text: f"(typed {t!r}; {state(app.screen)})")
            painted.append(hit - started)
            handled.append((applied[0] if applied else hit) - started)
            typed = text
            await asyncio.sleep(TYPING_GAP_S)
    return painted, handled


def state(screen: Any) -> str:
    """What the filter shows now, for an error message."""
    try:
        return (f"focus {screen.app.focused!r}, stack {screen.app.screen_stack!r}, "
                f"input {screen.query_one('Input').value!r}, "
                f"needle {getattr(getattr(screen, 'patients', None), 'needle', None)!r}")
    except Exception as error:  # noqa: BLE001 - only for a message
        return f"state unknown: {error!r}"


def interactive(path: str) -> None:
    """Filter keystrokes and record openings inside one running app, over the given file."""
    import asyncio

    from mesotui.tui.screens.record import RecordScreen

    result: dict[str, Any] = {}

    async def script(pilot: Any) -> None:
        app = pilot.app
        frames = Frames(app)
        frames.expect(_shows_patients)
        if not _shows_patients(app.screen):
            await frames.wait()
        screen = app.screen
        applied: list[float] = []
        original_filter = screen.patients.filter

        def timed_filter(**kwargs: Any) -> None:
            original_filter(**kwargs)
            applied.append(time.perf_counter())

        screen.patients.filter = timed_filter
        frames.expect(lambda s: s.search.has_focus)
        key(app, "slash", "/")
        await frames.wait()
        await asyncio.sleep(TYPING_GAP_S)
        result["filter_painted_s"], result["filter_handled_s"] = await type_fragments(
            app, frames, lambda s, text: s.search.value == text
            and s.patients.needle == text.strip().casefold(), applied)
        frames.expect(lambda s: s.patients.has_focus)
        key(app, "enter", "\r")
        await frames.wait()
        opened = []
        for _ in range(OPENS):
            frames.expect(lambda s: isinstance(s, RecordScreen)
                          and s.query_one("#sessions").row_count > 0)
            started = time.perf_counter()
            key(app, "enter", "\r")
            opened.append(await frames.wait() - started)
            for back_then_next in ("escape", "down"):
                frames.expect(lambda s: s is screen)
                key(app, back_then_next, None)
                await frames.wait(what=lambda k=back_then_next: f"(after {k}; {state(app.screen)})")
            await asyncio.sleep(TYPING_GAP_S)
        result["open_s"] = opened
        app.exit()

    def run(app: Any) -> None:
        result["rows"] = len(app.store.cards(include_archived=True))
        app.run(headless=True, size=SIZE, auto_pilot=script)

    _through_the_command_line(path, run)  # as a user starts it
    if "open_s" not in result:
        raise SystemExit("the interactive script did not finish")
    emit(result)


def keystroke_bare() -> None:
    """The floor for a keystroke: the same typing into a bare app's Input, nothing filtered."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header, Input

    result: dict[str, Any] = {}

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Input(id="filter")
            yield DataTable()
            yield Footer()

    async def script(pilot: Any) -> None:
        app = pilot.app
        frames = Frames(app)
        frames.expect(lambda s: s.query_one("#filter").has_focus)
        app.query_one("#filter").focus()
        await frames.wait()
        result["painted_s"], _ = await type_fragments(
            app, frames, lambda s, text: s.query_one("#filter").value == text, [])
        app.exit()

    Bare().run(headless=True, size=SIZE, auto_pilot=script)
    if "painted_s" not in result:
        raise SystemExit("the keystroke script did not finish")
    emit(result)


def _key_name(char: str) -> str:
    from textual.keys import _character_to_key

    return _character_to_key(char)


def saves(store_copy: str, unsealed_copy: str, tinydb_copy: str, count: str,
          budget: str) -> None:
    """Durable `Store.log_session` against plain TinyDB `insert` of the same documents; and,
    interleaved with them (so a busy moment hurts both alike), the same saves with the seal
    left out, to show what sealing each save costs (issue 14: within 2x)."""
    from dataclasses import replace

    from tinydb import TinyDB

    from mesotui.models import Session
    from mesotui.store import Store
    from mesotui.vocab import Area

    timings: dict[str, list[float]] = {"save_s": [], "unsealed_save_s": [], "tinydb_insert_s": []}
    if TinyDB(tinydb_copy).table("sessions").get(doc_id=1) is None:  # reads the file whole
        raise SystemExit("plain TinyDB does not see the clinic's sessions in the copy")
    docs = []
    store, unsealed = Store.open(store_copy), Store.open(unsealed_copy)
    if not store.engine.sealed:
        raise SystemExit("the benchmark clinic is not sealed")
    if store.read_whole:  # closing would then free the whole parsed file, which no user has
        raise SystemExit("the benchmark's copy was read whole, not through its start-up index")
    unsealed.engine.unseal()  # the yardstick only
    try:
        consented = [p for p in store.patients() if p.consent_on(TODAY) is not None]
        template = Session(id="", patient_id="", date=TODAY, product="Dutasteride 0.01% solution",
                           concentration_pct=0.01, volume_ml=1.0, lot="BENCH-01",
                           lot_expiry=TODAY + timedelta(days=300), areas=(Area.VERTEX,),
                           injection_points=30, needle="30G x 4 mm", duration_min=20,
                           no_side_effects=True, practitioner="Dr M. Rahimi")
        for n in range(int(count)):
            patient = consented[n * 7 % len(consented)]
            started = time.perf_counter()
            saved = store.log_session(replace(template, patient_id=patient.id), TODAY)
            timings["save_s"].append(time.perf_counter() - started)
            started = time.perf_counter()
            unsealed.log_session(replace(template, patient_id=patient.id), TODAY)
            timings["unsealed_save_s"].append(time.perf_counter() - started)
            docs.append({"id": saved.id + "-T", "patient_id": saved.patient_id,
                         "history": [r.to_doc() for r in saved.history]})
    finally:
        started = time.perf_counter()
        store.close()  # a journalling store folds its journal into the file here
        timings["close_s"] = [time.perf_counter() - started]
        unsealed.close(fold=False)  # never folded: it is thrown away
    db = TinyDB(tinydb_copy)
    table = db.table("sessions")
    deadline = time.perf_counter() + float(budget)
    for n, doc in enumerate(docs):
        if n >= 3 and time.perf_counter() > deadline:
            break  # plain TinyDB is slow on big files; a few inserts show its cost
        started = time.perf_counter()
        table.insert(doc)
        timings["tinydb_insert_s"].append(time.perf_counter() - started)
    db.close()
    emit(timings)


MODES: dict[str, Callable[..., None]] = {
    "generate": generate, "startup-meso": startup_meso, "startup-bare": startup_bare,
    "interactive": interactive, "keystroke-bare": keystroke_bare, "saves": saves}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        raise SystemExit(f"usage: runner.py {'|'.join(MODES)} ARGS")
    MODES[sys.argv[1]](*sys.argv[2:])
