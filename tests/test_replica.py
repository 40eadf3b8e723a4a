"""The record file as a replication peer (the `LocalReplica` contract of mesotui/sync/replica.py),
and two real record files replicating through a real CouchDB-protocol server."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesotui import integrity, recovery
from mesotui.demo import generate
from mesotui.engine import keys
from mesotui.engine.replica import Replica
from mesotui.store import Store
from mesotui.sync.client import CouchClient
from mesotui.sync.codec import Rejected
from mesotui.sync.keys import SyncKeys
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replica import Batch, LocalReplica
from mesotui.sync.replicator import Replicator
from mesotui.sync.tree import Leaf
from tests.conftest import TODAY, FixedClock, make_patient
from tests.couchdb import PouchServer, pouchdb  # noqa: F401 (a fixture)


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.json"
    generate(TODAY, 6).load_into(Store.open(path, clock=FixedClock())).close()
    return path


def test_the_record_file_is_a_local_replica(clinic: Path) -> None:
    with Store.open(clinic, clock=FixedClock()) as store:
        replica: LocalReplica = Replica(store.engine)
        first = replica.replica_id
        assert len(first) == 32 and replica.replica_id == first
        seen = replica.changes(0, 10_000)
        assert {c.record_id for c in seen} >= {c.id for c in store.cards()}
        patient = store.cards()[0].id
        (leaf,) = replica.trees([patient, "P-NOBODY"])[patient]
        assert leaf.table == "patients" and leaf.doc["id"] == patient
        other = Leaf("patients", {**leaf.doc, "history": leaf.doc["history"][:1]})
        replica.save(Batch({patient: (leaf, other)},
                           [Rejected("S-FORGED", "1-" + "0" * 32, "does not verify")],
                           ("push-1", {"last": 7})))
        assert replica.trees([patient])[patient] == (leaf, other)
        assert replica.changes(seen[-1].seq, 10)[0].record_id == patient
        assert replica.checkpoint("push-1") == {"last": 7}
    with Store.open(clinic, clock=FixedClock()) as again:  # all of it durable, one save
        replica = Replica(again.engine)
        assert replica.replica_id == first
        assert replica.trees([patient])[patient] == (leaf, other)
        assert replica.checkpoint("push-1") == {"last": 7}
        assert [q["record"] for q in replica.quarantined()] == ["S-FORGED"]
    assert integrity.check(clinic).sound


def test_a_restored_older_copy_gets_a_new_replica_id(clinic: Path) -> None:
    with Store.open(clinic, clock=FixedClock()) as store:
        replica = Replica(store.engine)
        before = replica.replica_id
        replica.save_checkpoint("push-1", {"last": 7})  # the id is kept with a checkpoint
        assert Replica(store.engine).replica_id == before
        store.add_patient(make_patient(name="After the backup"), TODAY)
    recovery.restore(clinic, recovery.sound_backups(clinic)[0].path)
    with Store.open(clinic, clock=FixedClock()) as restored:
        assert Replica(restored.engine).replica_id != before


def test_two_record_files_replicate_through_a_couchdb_server(
        pouchdb: PouchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Room A's clinic appears in room B, a patient added in B appears in A, and both files
    stay sealed and sound: what a room pulls is sealed by that room's own writer."""
    rooms = {name: tmp_path / name / "clinic.json" for name in ("a", "b")}

    def in_room(name: str) -> None:  # each laptop keeps its own keys and high-water marks
        monkeypatch.setenv(keys.ENV_KEYS, str(tmp_path / f"keys-{name}"))

    in_room("a")
    a = generate(TODAY, 6).load_into(Store.open(rooms["a"], clock=FixedClock()))
    key = keys.load(a.integrity.clinic)
    assert key is not None
    in_room("b")
    keys.save(key)  # the clinic key taken to the second laptop (mesotui key export/import)
    b = Store.open(rooms["b"], clock=FixedClock(), clinic=key)
    sync_keys = SyncKeys.derive(key.secret, key.clinic)

    def sync(store: Store) -> None:
        remote = RemoteDB(CouchClient(pouchdb.url, "clinic", timeout=10))
        Replicator(Replica(store.engine), remote, sync_keys, create=True).sync()

    in_room("a")
    sync(a)
    in_room("b")
    sync(b)
    assert sorted(c.id for c in b.cards()) == sorted(c.id for c in a.cards())
    assert len(b.sessions()) == len(a.sessions())
    added = b.add_patient(make_patient(name="Added in room B"), TODAY)
    sync(b)
    in_room("a")
    sync(a)
    assert a.patient(added.id).name == "Added in room B"
    a.close()
    in_room("b")
    b.close()
    for name, path in rooms.items():
        in_room(name)
        report = integrity.check(path)
        assert report.sound and report.sealed == "sealed", (name, report.problems)
        with Store.open(path, readonly=True) as reopened:
            assert reopened.patient(added.id).name == "Added in room B"
