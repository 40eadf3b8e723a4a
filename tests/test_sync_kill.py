"""The server killed mid-sync (SIGKILL at random points): nothing lost, nothing duplicated, and
the next sync completes. The server keeps its data on disk (LevelDB), as a real one would.

MESOTUI_SYNC_KILLS sets how many kills each direction gets (default 5; the long torture run
asks for hundreds)."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from mesotui.demo import generate
from mesotui.sync import tree
from mesotui.sync.errors import SyncError
from mesotui.sync.memory import MemoryReplica
from tests.couchdb import PouchServer
from tests.test_sync_server import KEYS, everything_of, room

KILLS = int(os.environ.get("MESOTUI_SYNC_KILLS", "5"))
DB = "clinic"


def _killed_sync(server: PouchServer, replica: MemoryReplica, delay: float) -> bool:
    """One sync with the server SIGKILLed after `delay` seconds; whether the kill cut it."""
    timer = threading.Timer(delay, server.kill)
    timer.start()
    try:
        room(replica, server.url, DB, batch=40).sync()
        cut = False
    except SyncError as error:
        assert error.kind in ("unreachable", "timeout"), error
        cut = True
    timer.join()
    server.kill()
    server.start()
    return cut


def _kills_that_cut(server: PouchServer, replica: MemoryReplica, rng: random.Random,
                    whole: float, before: Callable[[int], None] | None = None) -> int:
    """Kill the server during syncs until KILLS of them were cut (at most 4 * KILLS tries);
    a sync that ended before its kill makes the next kill come sooner, so a machine slower or
    faster than the first sync showed still has its syncs cut."""
    cuts, latest = 0, 1.5 * whole / KILLS
    for attempt in range(4 * KILLS):
        if cuts == KILLS:
            break
        if before is not None:
            before(attempt)
        if _killed_sync(server, replica, rng.uniform(min(0.02, latest / 2), latest)):
            cuts += 1
        else:
            latest *= 0.7
    return cuts


def _server_holds_exactly(server: PouchServer, replica: MemoryReplica) -> None:
    _, listing = server.call("GET", f"/{DB}/_all_docs")
    assert [row["id"] for row in listing["rows"]] == replica.ids()  # none missing, none extra
    for record_id in replica.ids():
        _, leaves = server.call("GET", f"/{DB}/{record_id}?open_revs=all")
        assert sorted(leaf["ok"]["_rev"] for leaf in leaves) == sorted(
            tree.rev(KEYS, leaf) for leaf in replica.leaves(record_id))


def test_the_server_killed_mid_sync_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(20)
    server = PouchServer(tmp_path / "server", persistent=True).start()
    try:
        a = MemoryReplica.from_clinic(generate(date(2026, 1, 15), 40))
        started = time.monotonic()
        room(a, server.url, "timing", batch=40).sync()
        whole = time.monotonic() - started

        def amend(n: int) -> None:  # push, a part each time: room A's edits made between kills
            a.amend(sorted(a.ids())[n % len(a.ids())], {"notes": f"edit {n}"},
                    at=datetime(2026, 1, 16, tzinfo=UTC) + timedelta(minutes=n),
                    reason="amended between kills")

        pushes = _kills_that_cut(server, a, rng, whole, amend)
        assert room(a, server.url, DB).sync().pushed >= 0
        _server_holds_exactly(server, a)
        b = MemoryReplica()
        pulls = _kills_that_cut(server, b, rng, whole)  # room B reads while the server dies
        room(b, server.url, DB).sync()
        assert everything_of(b) == everything_of(a)
        assert all(len(b.leaves(i)) == 1 for i in b.ids())  # no conflict made by a retry
        print(f"{pushes + pulls} kills cut a sync ({pushes} pushes, {pulls} pulls)")
        assert (pushes, pulls) == (KILLS, KILLS)  # every direction cut as often as asked
        report = room(b, server.url, DB).sync()
        assert (report.pushed, report.pulled) == (0, 0)
    finally:
        server.stop()
