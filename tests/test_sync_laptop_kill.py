"""The laptop killed mid-sync: SIGKILL at random depths inside a sync of a room that saves and
syncs in a loop, many times; every save it acknowledged reaches the server and the other room
once, every change the other room made reaches it, the record file stays sound, and a last sync
finds nothing left to do.

Each kill lands inside a sync by construction: the laptop says when a sync starts and before
each of its steps (a read or write of the record file, a request to the server), and the test
kills it a random moment after a step drawn at random, so kills fall during the push, the pull
and the checkpoint writes alike. A kill counts as "during a sync" only when the laptop had begun
a sync and not finished it. `MESOTUI_SYNC_LAPTOP_KILLS` is how many kills during a sync the test
makes and asserts (CI: 6); `MESOTUI_SYNC_LAPTOP_KILLS=200 python -m pytest -q -s
tests/test_sync_laptop_kill.py` is the long run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mesotui import integrity
from mesotui.demo import generate
from mesotui.engine import keys
from mesotui.engine.replica import Replica
from mesotui.store import Store
from mesotui.sync import credentials, room, tree
from mesotui.sync.client import CouchClient
from mesotui.sync.keys import SyncKeys
from mesotui.sync.memory import MemoryReplica
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replicator import Replicator
from tests.conftest import TODAY, FixedClock
from tests.couchdb import ADMIN, PouchServer

KILLS = int(os.environ.get("MESOTUI_SYNC_LAPTOP_KILLS", "6"))
"""Kills that cut a sync (each asserted to have)."""
LATEST_KILL_S = 0.015
"""A kill lands up to this long after the step drawn: inside it, or inside the next one."""

LAPTOP = r"""
import sys
from datetime import date
from mesotui.engine.replica import Replica
from mesotui.models import Patient
from mesotui.store import Store
from mesotui.sync import credentials, room
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replicator import Replicator
from mesotui.vocab import Sex


class Told:
    # One end of the sync, saying each step before it is taken.
    def __init__(self, inner, name):
        self._inner, self._name = inner, name

    def __getattr__(self, attr):
        member = getattr(self._inner, attr)
        if not callable(member):
            print("step", self._name, attr, flush=True)
            return member

        def step(*args, **kwargs):
            print("step", self._name, attr, flush=True)
            return member(*args, **kwargs)
        return step


class Phases(Replicator):
    def push(self, report):
        print("phase push", flush=True)
        super().push(report)

    def pull(self, report):
        print("phase pull", flush=True)
        return super().pull(report)


path, first = sys.argv[1], int(sys.argv[2])
settings = credentials.load()
with Store.open(path) as store:
    print("open", flush=True)
    n = first
    while True:
        patient = store.add_patient(Patient(id="", name=f"Laptop Patient {n}", sex=Sex.FEMALE,
                                        date_of_birth=date(1985, 6, 1)), date(2026, 1, 15))
        print("saved", patient.id, n, flush=True)  # acknowledged: on disk
        connection = room.client(settings)
        print("sync", flush=True)
        Phases(Told(Replica(store.engine), "file"), Told(RemoteDB(connection), "server"),
               room.clinic_keys(store.engine), batch=2).sync()
        connection.close()
        print("synced", flush=True)
        n += 1
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PouchServer]:
    found = PouchServer(tmp_path / "pouchdb").start()
    try:
        found.add_admin()
        yield found
    finally:
        found.stop()


class Laptop:
    """One run of the laptop, killed a random moment after a random step of one of its syncs."""

    def __init__(self, path: Path, first: int, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", LAPTOP, str(path), str(first)],
                                        stdout=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line or self.process.poll() is None, "the laptop script ended by itself"
        self.lines.append(line)
        return line

    def kill_inside_a_sync(self, rng: random.Random, steps: int) -> int:
        """Kill after the k-th step (k drawn from 1..steps) of its first sync long enough;
        the number of steps of a whole sync, as this run saw one (for the next draw)."""
        while self._line() != "open":
            pass
        target, counted = rng.randint(1, steps), 0
        while True:
            line = self._line()
            if line == "sync":
                counted = 0
            elif line.startswith("step "):
                counted += 1
                if counted == target:
                    break
            elif line == "synced":  # a sync shorter than the draw: draw again in the next
                steps = counted
                target = rng.randint(1, steps)
        time.sleep(rng.uniform(0.0, LATEST_KILL_S))
        self.process.send_signal(signal.SIGKILL)
        out, _ = self.process.communicate()
        self.lines += out.splitlines()
        return max(steps, counted)

    @property
    def acknowledged(self) -> dict[int, str]:
        saved = (line.split()[1:] for line in self.lines if line.startswith("saved "))
        return {int(n): record_id for record_id, n in saved}

    @property
    def cut(self) -> tuple[str, str] | None:
        """(phase, step) the kill cut, if it cut a sync: begun and not finished."""
        begun = max((i for i, line in enumerate(self.lines) if line == "sync"), default=-1)
        after = self.lines[begun + 1:]
        if begun < 0 or "synced" in after:
            return None
        phase = next((line[6:] for line in reversed(after) if line.startswith("phase ")),
                     "start")
        step = next((line[5:] for line in reversed(after) if line.startswith("step ")), "")
        return phase, step


def test_a_laptop_killed_mid_sync_loses_nothing_and_duplicates_nothing(
        server: PouchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESOTUI_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("MESOTUI_SYNC_CONFIG", str(tmp_path / "config"))
    path = tmp_path / "clinic.json"
    generate(TODAY, 3).load_into(Store.open(path, clock=FixedClock())).close()
    server.call("PUT", "/clinic")
    credentials.setup(f"{server.url}/clinic", *ADMIN)
    with Store.open(path, clock=FixedClock()) as store:
        room.sync(store.engine, credentials.load())  # type: ignore[arg-type]
        key = keys.load(store.integrity.clinic)
    assert key is not None
    sync_keys = SyncKeys.derive(key.secret, key.clinic)

    def room_b() -> Replicator:
        return Replicator(b, RemoteDB(CouchClient(server.url, "clinic", *ADMIN, timeout=30)),
                          sync_keys)

    b = MemoryReplica()  # the other room: it amends a record before each run, for the pull
    room_b().sync()
    amended = sorted(i for i in b.ids() if i.startswith("S-"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    rng = random.Random(20)
    acknowledged: dict[int, str] = {}
    where: Counter[tuple[str, str]] = Counter()
    steps, runs = 24, 0
    while sum(where.values()) < KILLS and runs < 2 * KILLS + 10:
        record_id = amended[runs % len(amended)]
        b.amend(record_id, {"notes": f"room B, run {runs}"}, reason="noted in room B",
                at=datetime(2026, 1, 16, tzinfo=UTC) + timedelta(minutes=runs))
        room_b().sync()
        # each run numbers its patients apart: a save made but not acknowledged before the
        # kill must not share a name with a later one
        laptop = Laptop(path, runs * 10**6, env)
        steps = laptop.kill_inside_a_sync(rng, steps)
        acknowledged |= laptop.acknowledged
        if (cut := laptop.cut) is not None:
            where[cut] += 1
        runs += 1
    phases = Counter(phase for phase, _ in where.elements())
    print(f"\n{sum(where.values())} of {runs} kills cut a sync ({dict(phases)}); "
          f"{len(acknowledged)} saves acknowledged; kills after each step: "
          + ", ".join(f"{p} {s} {n}" for (p, s), n in sorted(where.items())))
    assert sum(where.values()) >= KILLS
    assert phases["push"] and phases["pull"]

    with Store.open(path, clock=FixedClock()) as store:  # the last, unhurried sync
        room.sync(store.engine, credentials.load())  # type: ignore[arg-type]
        local = {c.id: c.name for c in store.cards()}
        again = room.sync(store.engine, credentials.load())  # type: ignore[arg-type]
        assert (again.pushed, again.pulled) == (0, 0)
        here = Replica(store.engine).trees(amended)
    report = integrity.check(path)
    assert report.sound, report.problems
    for n, record_id in acknowledged.items():  # zero acknowledged saves lost
        assert local.get(record_id) == f"Laptop Patient {n}"
    names = [name for name in local.values() if name.startswith("Laptop Patient")]
    assert len(names) == len(set(names))  # zero duplicates

    room_b().sync()
    for record_id in amended:  # every change of room B reached the laptop, and no conflict
        assert [tree.path(sync_keys, leaf) for leaf in here[record_id]] == [
            tree.path(sync_keys, leaf) for leaf in b.leaves(record_id)]
    assert {i for i in b.ids() if i.startswith("P-")} == set(local)
    for record_id in b.ids():
        assert len(b.leaves(record_id)) == 1  # no conflict made by a retried push
    status, listing = server.call("GET", "/clinic/_all_docs")
    assert status == 200
    on_server = [row["id"] for row in listing["rows"]]  # type: ignore[index]
    assert len(on_server) == len(set(on_server)) == len(b.ids())
