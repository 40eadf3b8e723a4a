"""The server killed mid-sync (SIGKILL at random points): nothing lost, nothing duplicated, and
the next sync completes. The server keeps its data on disk (LevelDB), as a real one would.

MESOTUI_SYNC_KILLS sets how many kills each direction gets (default 5; the long torture run
asks for hundreds)."""

from __future__ import annotations

import os
import random
import threading
import time
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
        cuts = 0
        for n in range(KILLS):  # push, a part each time: room A's edits made between kills
            a.amend(sorted(a.ids())[n % len(a.ids())], {"notes": f"edit {n}"},
                    at=datetime(2026, 1, 16, tzinfo=UTC) + timedelta(minutes=n),
                    reason="amended between kills")
            cuts += _killed_sync(server, a, rng.uniform(0.02, 1.5 * whole / KILLS))
        assert room(a, server.url, DB).sync().pushed >= 0
        _server_holds_exactly(server, a)
        b = MemoryReplica()
        for _ in range(KILLS):  # pull: room B reads the clinic while the server dies
            cuts += _killed_sync(server, b, rng.uniform(0.02, 1.5 * whole / KILLS))
        room(b, server.url, DB).sync()
        assert everything_of(b) == everything_of(a)
        assert all(len(b.leaves(i)) == 1 for i in b.ids())  # no conflict made by a retry
        print(f"{cuts} of {2 * KILLS} kills cut a sync")
        assert cuts > KILLS  # most kills landed mid-sync, not after it
        report = room(b, server.url, DB).sync()
        assert (report.pushed, report.pulled) == (0, 0)
    finally:
        server.stop()
