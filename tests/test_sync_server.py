"""Two rooms and a real CouchDB-protocol server (pouchdb-server): records travel both ways,
conflicts are kept and shown the same everywhere, and the server learns nothing of a patient."""

from __future__ import annotations

import base64
import itertools
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from mesotui.demo import generate
from mesotui.sync import diff, tree
from mesotui.sync.client import CouchClient
from mesotui.sync.errors import SyncError
from mesotui.sync.keys import SyncKeys
from mesotui.sync.memory import MemoryReplica
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replicator import Replicator
from tests.couchdb import PouchServer, Proxy, pouchdb  # noqa: F401 (a fixture)

TODAY = date(2026, 1, 15)
KEYS = SyncKeys.derive(bytes(range(32)), "c" * 32)
LATER = datetime(2026, 1, 16, 10, 0, tzinfo=UTC)
_names = itertools.count()


@pytest.fixture
def database() -> str:
    return f"clinic-{next(_names)}"


def room(replica: MemoryReplica, url: str, database: str, *, user: str = "",
         password: str = "", encrypt: bool = True, batch: int = 500) -> Replicator:
    client = CouchClient(url, database, user, password, timeout=10)
    return Replicator(replica, RemoteDB(client), KEYS, encrypt=encrypt, batch=batch,
                      create=True)


def everything_of(replica: MemoryReplica) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Each record's revision tree, as paths of revision ids (winner first)."""
    return {i: tuple(tree.path(KEYS, leaf) for leaf in replica.leaves(i)) for i in replica.ids()}


def a_session(replica: MemoryReplica) -> str:
    return next(i for i in replica.ids() if i.startswith("S-"))


def test_a_patient_added_in_room_a_appears_in_room_b(pouchdb: PouchServer, database: str) -> None:
    a = MemoryReplica.from_clinic(generate(TODAY, 8))
    b = MemoryReplica()
    assert room(a, pouchdb.url, database).sync().pushed == len(a.ids())
    assert room(b, pouchdb.url, database).sync().pulled == len(a.ids())
    assert everything_of(b) == everything_of(a)
    new = generate(TODAY, 9).patients[-1]
    a.add("patients", replace(new, id="P-7K3M9QXD"))
    room(a, pouchdb.url, database).sync()
    room(b, pouchdb.url, database).sync()
    assert b.record("P-7K3M9QXD") == a.record("P-7K3M9QXD")


def test_edits_on_both_sides_offline_converge_and_different_sessions_do_not_conflict(
        pouchdb: PouchServer, database: str) -> None:
    clinic = generate(TODAY, 6)
    a, b = MemoryReplica.from_clinic(clinic), MemoryReplica()
    room(a, pouchdb.url, database).sync()
    room(b, pouchdb.url, database).sync()
    patient = clinic.patients[0]
    sessions = [s for s in clinic.sessions if s.patient_id == patient.id]
    # Room A amends the patient's phone; room B logs a new session for the same patient.
    a.amend(patient.id, {"phone": "+44 7700 900123"}, at=LATER, reason="new number")
    b.add("sessions", replace(sessions[-1], id=f"S-{patient.id[2:]}-99"))
    b.amend(sessions[0].id, {"notes": "bruising resolved"}, at=LATER, reason="follow-up")
    for replica in (a, b, a):
        report = room(replica, pouchdb.url, database).sync()
        assert report.conflicts == set()
    assert everything_of(a) == everything_of(b)
    assert a.record(patient.id)["history"][-1]["data"]["phone"] == "+44 7700 900123"
    assert all(len(a.leaves(i)) == 1 for i in a.ids())


def _conflict(pouchdb: PouchServer, database: str) -> tuple[MemoryReplica, MemoryReplica, str]:
    a = MemoryReplica.from_clinic(generate(TODAY, 4))
    b = MemoryReplica()
    room(a, pouchdb.url, database).sync()
    room(b, pouchdb.url, database).sync()
    sid = a_session(a)
    a.amend(sid, {"volume_ml": 1.5}, at=LATER, reason="volume corrected", by="Dr A")
    b.amend(sid, {"notes": "patient fainted briefly"}, at=LATER, reason="note", by="Dr B")
    for replica in (a, b, a):
        room(replica, pouchdb.url, database).sync()
    return a, b, sid


def test_a_concurrent_amend_is_the_same_visible_conflict_on_both_rooms_and_the_server(
        pouchdb: PouchServer, database: str) -> None:
    a, b, sid = _conflict(pouchdb, database)
    assert everything_of(a) == everything_of(b)
    leaves = a.leaves(sid)
    assert len(leaves) == 2 and not any(leaf.deleted for leaf in leaves)
    volumes = {leaf.head["data"]["volume_ml"] for leaf in leaves}
    notes = {leaf.head["data"].get("notes") for leaf in leaves}
    assert 1.5 in volumes and "patient fainted briefly" in notes  # neither version lost
    status, doc = pouchdb.call("GET", f"/{database}/{sid}?conflicts=true")
    assert doc["_rev"] == tree.rev(KEYS, leaves[0])  # CouchDB's winner is ours
    assert doc["_conflicts"] == [tree.rev(KEYS, leaves[1])]
    lines = [d.line for d in diff.between(leaves[1], leaves[0])]
    assert len(lines) == 2 and all(" → " in line for line in lines)


def test_resolving_a_conflict_converges_everywhere_and_keeps_the_other_version(
        pouchdb: PouchServer, database: str) -> None:
    a, b, sid = _conflict(pouchdb, database)
    winner, loser = a.leaves(sid)
    merged = {**winner.head["data"], **loser.head["data"]}  # both corrections, by hand
    merged["volume_ml"] = max(leaf.head["data"]["volume_ml"] for leaf in (winner, loser))
    merged["notes"] = "patient fainted briefly"
    from mesotui.sync.replica import Batch

    resolved = tree.resolve(KEYS, a.leaves(sid), loser, merged, at=LATER + timedelta(hours=1),
                            by="Dr A", reason="kept both corrections")
    a.save(Batch({sid: resolved}))
    for replica in (a, b):
        room(replica, pouchdb.url, database).sync()
    assert everything_of(a) == everything_of(b)
    assert tree.conflicts(KEYS, b.leaves(sid)) == ()
    assert b.record(sid)["history"][-1]["data"] == merged
    assert [leaf.deleted for leaf in b.leaves(sid)] == [False, True]
    _, doc = pouchdb.call("GET", f"/{database}/{sid}?conflicts=true")
    assert "_conflicts" not in doc and doc["_rev"] == tree.rev(KEYS, b.leaves(sid)[0])
    _, leaves = pouchdb.call("GET", f"/{database}/{sid}?open_revs=all")
    assert sorted(bool(leaf["ok"].get("_deleted")) for leaf in leaves) == [False, True]


def test_a_second_sync_changes_nothing(pouchdb: PouchServer, database: str) -> None:
    a, b, _sid = _conflict(pouchdb, database)
    room(b, pouchdb.url, database).sync()
    _, before = pouchdb.call("GET", f"/{database}")
    saves = (a.saves, b.saves)
    for replica in (a, b):
        report = room(replica, pouchdb.url, database).sync()
        assert (report.pushed, report.pulled) == (0, 0)
    _, after = pouchdb.call("GET", f"/{database}")
    assert after["update_seq"] == before["update_seq"] and (a.saves, b.saves) == saves


def test_the_server_holds_no_name_date_or_note_of_the_clinic(pouchdb: PouchServer,
                                                              database: str) -> None:
    clinic = generate(TODAY, 12)
    a = MemoryReplica.from_clinic(clinic)
    room(a, pouchdb.url, database).sync()
    held = pouchdb.everything(database)
    secrets = {p.name for p in clinic.patients} | {p.phone for p in clinic.patients if p.phone}
    secrets |= {p.notes for p in clinic.patients if p.notes} | {s.lot for s in clinic.sessions}
    secrets |= {e.note for s in clinic.sessions for e in s.side_effects if e.note}
    secrets |= {s.dose_notes for s in clinic.sessions if s.dose_notes}
    secrets |= {s.practitioner for s in clinic.sessions}
    for words in secrets:
        assert words not in held
    # The sealed fields are random base64, in which "43mL" or a short name turns up by
    # chance now and then: look for patterns in everything else, and into the sealed bytes.
    sealed = re.compile(r'"(iv|ct)": "([A-Za-z0-9+/=]*)"')
    plain = sealed.sub(r'"\1": ""', held)
    blobs = [base64.b64decode(m[2]) for m in sealed.finditer(held)]
    assert len(blobs) >= 2 * len(clinic.sessions)
    for name in clinic.patients[0].name.split():
        assert name not in plain and not any(name.encode() in blob for blob in blobs)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", plain)
    assert not re.search(r"\b\d+(\.\d+)? ?mL\b|volume|lidocaine|vertex", plain)
    assert not any(b"lidocaine" in blob or b"volume" in blob for blob in blobs)
    assert clinic.patients[0].id in held  # ids are what the server does read


def test_with_encryption_turned_off_the_body_is_the_plain_record(pouchdb: PouchServer,
                                                                  database: str) -> None:
    a, b = MemoryReplica.from_clinic(generate(TODAY, 3)), MemoryReplica()
    room(a, pouchdb.url, database, encrypt=False).sync()
    room(b, pouchdb.url, database).sync()
    assert everything_of(a) == everything_of(b) and not b.quarantine
    _, doc = pouchdb.call("GET", f"/{database}/{a_session(a)}")
    assert json.loads(doc["record"])["record"]["id"] == a_session(a)


def test_a_document_that_does_not_verify_is_quarantined_never_merged(
        pouchdb: PouchServer, database: str) -> None:
    a, b = MemoryReplica.from_clinic(generate(TODAY, 3)), MemoryReplica()
    room(a, pouchdb.url, database).sync()
    room(b, pouchdb.url, database).sync()
    sid = a_session(a)
    _, doc = pouchdb.call("GET", f"/{database}/{sid}?revs=true")
    forged = {**doc, "_rev": f"{doc['_revisions']['start'] + 1}-{'f' * 32}",
              "_revisions": {"start": doc["_revisions"]["start"] + 1,
                             "ids": ["f" * 32, *doc["_revisions"]["ids"]]},
              "ct": doc["ct"][:-8] + "AAAAAAA="}  # a server admin's edit
    status, _ = pouchdb.call("POST", f"/{database}/_bulk_docs",
                             {"docs": [forged], "new_edits": False})
    assert status == 201
    before = everything_of(b)
    report = room(b, pouchdb.url, database).sync()
    assert [q.record_id for q in report.quarantined] == [sid]
    assert "clinic's key" in report.quarantined[0].reason
    assert everything_of(b) == before and (sid, forged["_rev"]) in b.quarantine


def test_wrong_password_is_one_line_and_touches_nothing(tmp_path, database: str) -> None:
    server = PouchServer(tmp_path / "auth").start()
    try:
        server.add_admin()
        a = MemoryReplica.from_clinic(generate(TODAY, 2))
        user, password = server.admin  # type: ignore[misc]
        room(a, server.url, database, user=user, password=password).sync()
        b = MemoryReplica()
        with pytest.raises(SyncError) as refused:
            room(b, server.url, database, user=user, password="wrong").sync()
        assert refused.value.kind == "credentials" and not refused.value.retry
        assert str(refused.value) == ("the sync server refused the user name or password "
                                      "(user 'clinic-admin')")
        assert b.saves == 0 and b.ids() == []
    finally:
        server.stop()


def test_a_server_gone_is_one_line_and_the_next_sync_completes(tmp_path, database: str) -> None:
    server = PouchServer(tmp_path / "gone", persistent=True).start()
    try:
        a = MemoryReplica.from_clinic(generate(TODAY, 3))
        room(a, server.url, database).sync()
        a.amend(a_session(a), {"notes": "late note"}, at=LATER, reason="note")
        server.kill()
        saves, seq = a.saves, a.last_seq
        with pytest.raises(SyncError, match="cannot reach the sync server") as gone:
            room(a, server.url, database).sync()
        assert gone.value.retry and (a.saves, a.last_seq) == (saves, seq)
        server.start()
        assert room(a, server.url, database).sync().pushed == 1
    finally:
        server.stop()


def test_a_document_the_server_rejects_is_named_and_sent_again_later(
        pouchdb: PouchServer, database: str) -> None:
    a = MemoryReplica.from_clinic(generate(TODAY, 2))
    pouchdb.call("PUT", f"/{database}")
    guard = {"validate_doc_update": "function(doc) { if (doc._id.indexOf('S-') === 0) "
                                    "throw({forbidden: 'sessions are not accepted here'}); }"}
    _, made = pouchdb.call("PUT", f"/{database}/_design/guard", guard)
    with pytest.raises(SyncError) as rejected:
        room(a, pouchdb.url, database).sync()
    assert rejected.value.kind == "rejected"
    assert re.fullmatch(r"the sync server refused record S-\d{5}-\d\d: sessions are not "
                        r"accepted here \(and \d+ more\); it will be sent again at the next "
                        r"sync", str(rejected.value))
    pouchdb.call("DELETE", f"/{database}/_design/guard?rev={made['rev']}")
    room(a, pouchdb.url, database).sync()
    b = MemoryReplica()
    room(b, pouchdb.url, database).sync()
    assert everything_of(b) == everything_of(a)


def test_a_full_server_is_one_line(pouchdb: PouchServer, database: str) -> None:
    full = Proxy(pouchdb.port, {"_bulk_docs": (507, {"error": "insufficient_storage",
                                                     "reason": "disk full"})})
    try:
        a = MemoryReplica.from_clinic(generate(TODAY, 2))
        with pytest.raises(SyncError) as failed:
            room(a, full.url, database).sync()
        assert failed.value.kind == "full" and failed.value.retry
        assert str(failed.value) == "the sync server is out of space (disk full)"
    finally:
        full.close()


def test_a_server_without_bulk_get_is_read_with_open_revs(pouchdb: PouchServer,
                                                          database: str) -> None:
    old = Proxy(pouchdb.port, {"_bulk_get": (405, {"error": "method_not_allowed"})})
    try:
        a = MemoryReplica.from_clinic(generate(TODAY, 3))
        b = MemoryReplica()
        room(a, pouchdb.url, database).sync()
        room(b, old.url, database).sync()
        assert everything_of(b) == everything_of(a)
        assert any("open_revs" in seen for seen in old.seen)
    finally:
        old.close()


def test_couchdbs_own_replication_keeps_every_revision_tree(pouchdb: PouchServer,
                                                           database: str) -> None:
    a, b, sid = _conflict(pouchdb, database)
    copy = f"{database}-copy"
    pouchdb.call("PUT", f"/{copy}")
    status, done = pouchdb.call("POST", "/_replicate", {"source": database, "target": copy})
    assert status == 200 and done["ok"]
    for record_id in a.ids():
        trees = [pouchdb.call("GET", f"/{db}/{record_id}?open_revs=all&revs=true")[1]
                 for db in (database, copy)]
        assert sorted(map(json.dumps, trees[0])) == sorted(map(json.dumps, trees[1]))
    c = MemoryReplica()  # a third room that only knows the copy
    room(c, pouchdb.url, copy).sync()
    assert everything_of(c) == everything_of(a) and len(c.leaves(sid)) == 2


def test_a_local_save_that_fails_changes_nothing_and_the_next_sync_completes(
        pouchdb: PouchServer, database: str) -> None:
    a = MemoryReplica.from_clinic(generate(TODAY, 3))
    room(a, pouchdb.url, database).sync()
    b = MemoryReplica()
    b.fail_saves = 1  # the laptop's disk is full for the first batch
    with pytest.raises(SyncError, match="could not be saved here .no space left on device.; "
                                        "nothing was changed") as failed:
        room(b, pouchdb.url, database).sync()
    assert failed.value.kind == "local" and b.ids() == [] and b.last_seq == 0
    room(b, pouchdb.url, database).sync()
    assert everything_of(b) == everything_of(a)


def test_each_room_keeps_its_own_checkpoints_on_both_ends(pouchdb: PouchServer,
                                                          database: str) -> None:
    from mesotui.sync.checkpoint import replication_id

    a, b = MemoryReplica.from_clinic(generate(TODAY, 2)), MemoryReplica()
    for replica in (a, b):
        room(replica, pouchdb.url, database).sync()
    where = f"{pouchdb.url}/{database}"
    for replica in (a, b):
        for direction in ("push", "pull"):
            key = replication_id(KEYS.clinic, replica.replica_id, where, direction)
            _, on_server = pouchdb.call("GET", f"/{database}/_local/{key}")
            here = replica.checkpoint(key)
            assert here is not None and on_server["session_id"] == here["session_id"]
            assert on_server["source_last_seq"] == here["source_last_seq"]
            assert on_server["replication_id_version"] == 3
    assert replication_id(KEYS.clinic, a.replica_id, where, "pull") != replication_id(
        KEYS.clinic, b.replica_id, where, "pull")
