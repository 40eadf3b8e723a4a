"""The laptop killed mid-sync: SIGKILL at random points of a room that saves and syncs in a
loop, many times; every save it acknowledged reaches the server and the other room once, the
record file stays sound, and a last sync finds nothing left to do.

`MESOTUI_SYNC_LAPTOP_KILLS=200 python -m pytest -q -s tests/test_sync_laptop_kill.py` is the
long run; CI runs a few.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mesotui import integrity
from mesotui.demo import generate
from mesotui.engine import keys
from mesotui.store import Store
from mesotui.sync import credentials, room
from mesotui.sync.client import CouchClient
from mesotui.sync.keys import SyncKeys
from mesotui.sync.memory import MemoryReplica
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replicator import Replicator
from tests.conftest import TODAY, FixedClock
from tests.couchdb import ADMIN, PouchServer

KILLS = int(os.environ.get("MESOTUI_SYNC_LAPTOP_KILLS", "6"))

LAPTOP = r"""
import sys
from datetime import date
from mesotui.models import Patient
from mesotui.store import Store
from mesotui.sync import credentials, room
from mesotui.vocab import Sex

path, first = sys.argv[1], int(sys.argv[2])
settings = credentials.load()
with Store.open(path) as store:
    print("open", flush=True)
    n = first
    while True:
        patient = store.add_patient(Patient(id="", name=f"Laptop Patient {n}", sex=Sex.FEMALE,
                                        date_of_birth=date(1985, 6, 1)), date(2026, 1, 15))
        print("saved", patient.id, n, flush=True)  # acknowledged: on disk
        room.sync(store.engine, settings)
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


def test_a_laptop_killed_mid_sync_loses_nothing_and_duplicates_nothing(
        server: PouchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESOTUI_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("MESOTUI_SYNC_CONFIG", str(tmp_path / "config"))
    path = tmp_path / "clinic.json"
    generate(TODAY, 3).load_into(Store.open(path, clock=FixedClock())).close()
    server.call("PUT", "/clinic")
    credentials.setup(f"{server.url}/clinic", *ADMIN)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    rng = random.Random(20)
    acknowledged: dict[int, str] = {}
    cut = 0
    for kill in range(KILLS):  # each run numbers its patients apart: a save made but not
        # acknowledged before the kill must not share a name with a later one
        laptop = subprocess.Popen([sys.executable, "-c", LAPTOP, str(path), str(kill * 10**6)],
                                  stdout=subprocess.PIPE, text=True, env=env)
        assert laptop.stdout is not None
        assert laptop.stdout.readline().strip() == "open"
        time.sleep(rng.uniform(0.0, 0.6))
        laptop.send_signal(signal.SIGKILL)
        out, _ = laptop.communicate()
        lines = out.splitlines()
        for line in lines:
            if line.startswith("saved "):
                _, record_id, n = line.split()
                acknowledged[int(n)] = record_id
        if lines and lines[-1].startswith("saved "):
            cut += 1  # killed between its save and the end of that sync: mid-sync
    print(f"\n{cut} of {KILLS} kills cut a sync; {len(acknowledged)} saves acknowledged")
    assert cut >= KILLS // 3  # most of a laptop's time here is syncing

    with Store.open(path, clock=FixedClock()) as store:  # the last, unhurried sync
        room.sync(store.engine, credentials.load())  # type: ignore[arg-type]
        local = {c.id: c.name for c in store.cards()}
        again = room.sync(store.engine, credentials.load())  # type: ignore[arg-type]
        assert (again.pushed, again.pulled) == (0, 0)
    report = integrity.check(path)
    assert report.sound, report.problems
    for n, record_id in acknowledged.items():  # zero acknowledged saves lost
        assert local.get(record_id) == f"Laptop Patient {n}"
    names = [name for name in local.values() if name.startswith("Laptop Patient")]
    assert len(names) == len(set(names))  # zero duplicates

    with Store.open(path, readonly=True) as store:
        key = keys.load(store.integrity.clinic)
    assert key is not None
    b = MemoryReplica()
    Replicator(b, RemoteDB(CouchClient(server.url, "clinic", *ADMIN, timeout=30)),
               SyncKeys.derive(key.secret, key.clinic)).sync()
    assert set(b.ids()) >= set(local)
    assert {i for i in b.ids() if i.startswith("P-")} == set(local)
    for record_id in local:
        assert len(b.leaves(record_id)) == 1  # no conflict made by a retried push
    status, listing = server.call("GET", "/clinic/_all_docs")
    assert status == 200
    on_server = [row["id"] for row in listing["rows"]]  # type: ignore[index]
    assert len(on_server) == len(set(on_server)) == len(b.ids())
