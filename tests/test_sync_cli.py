"""`mesotui sync`: setting up the server, a sync once, and every failure as one plain line
that leaves the record file as it was, against a real pouchdb-server."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import re
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mesotui.cli import main
from mesotui.demo import generate
from mesotui.store import Store
from mesotui.sync import client as sync_client
from mesotui.sync.errors import SyncError
from tests.conftest import TODAY, FixedClock, make_patient
from tests.couchdb import ADMIN, PouchServer, Proxy, free_port

_names = itertools.count()


class Room:
    """One laptop: its record folder, its key folder and its sync settings folder."""

    def __init__(self, base: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = base / name
        self.db = self.folder / "records" / "clinic.json"
        self.db.parent.mkdir(parents=True)
        self.keys = self.folder / "keys"
        self.config = self.folder / "config"
        self._mp = monkeypatch

    def enter(self) -> Room:
        self._mp.setenv("MESOTUI_KEYS", str(self.keys))
        self._mp.setenv("MESOTUI_SYNC_CONFIG", str(self.config))
        return self

    def run(self, capsys: pytest.CaptureFixture[str], *argv: str,
            password: str | None = None) -> tuple[int, str, str]:
        self.enter()
        self._mp.setattr(sys, "stdin", io.StringIO("" if password is None else password + "\n"))
        code = main(["--db", str(self.db), "--today", TODAY.isoformat(), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    def files(self) -> dict[str, str]:
        """Every file of the record folder (the lock's own file aside) and its SHA-256."""
        return {str(p.relative_to(self.db.parent)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(self.db.parent.rglob("*"))
                if p.is_file() and not p.name.endswith(".lock")}


@pytest.fixture(scope="module")
def pouchdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PouchServer]:
    """A pouchdb-server that wants a password, as a clinic's server does."""
    server = PouchServer(tmp_path_factory.mktemp("pouchdb")).start()
    try:
        server.add_admin()
        yield server
    finally:
        server.stop()


USER, PASSWORD = ADMIN


@pytest.fixture
def database() -> str:
    return f"clinic-{next(_names)}"


@pytest.fixture
def rooms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Room, Room]]:
    a, b = Room(tmp_path, "a", monkeypatch), Room(tmp_path, "b", monkeypatch)
    a.enter()
    generate(TODAY, 6).load_into(Store.open(a.db, clock=FixedClock())).close()
    yield a, b


def _take_key(a: Room, b: Room, capsys: pytest.CaptureFixture[str]) -> None:
    """The clinic key carried from room A's laptop to room B's."""
    exported = a.folder / "clinic.key"
    assert a.run(capsys, "key", "export", str(exported))[0] == 0
    b.enter()
    assert main(["key", "import", str(exported)]) == 0
    capsys.readouterr()


def test_setup_and_sync_once_between_two_rooms(
        pouchdb: PouchServer, rooms: tuple[Room, Room], database: str,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    a, b = rooms
    url = f"{pouchdb.url}/{database}"
    code, out, err = a.run(capsys, "sync", "--setup", url, "--user", USER,
                           "--password-stdin", password=PASSWORD)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == f"Synced with {url}: pushed 45, pulled 0, no conflicts."
    kept = a.config / "sync.json"
    if os.name == "posix":
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert PASSWORD in kept.read_text()
    assert not any(PASSWORD.encode() in p.read_bytes() for p in a.db.parent.rglob("*")
                   if p.is_file())  # never in the record folder, nor in a backup of it

    _take_key(a, b, capsys)
    code, out, err = b.run(capsys, "sync", "--setup", url, "--user", USER,
                           "--password-stdin", password=PASSWORD)
    assert code == 0, err
    assert out.splitlines()[0].startswith(f"Making {b.db} a new room of clinic ")
    assert out.splitlines()[-1] == f"Synced with {url}: pushed 0, pulled 45, no conflicts."
    with Store.open(b.db, clock=FixedClock()) as store:
        added = store.add_patient(make_patient(name="Added in room B"), TODAY)
    assert b.run(capsys, "sync")[1] == f"Synced with {url}: pushed 1, pulled 0, no conflicts.\n"
    assert a.run(capsys, "sync")[1] == f"Synced with {url}: pushed 0, pulled 1, no conflicts.\n"
    assert a.run(capsys, "sync")[1] == f"Synced with {url}: pushed 0, pulled 0, no conflicts.\n"
    a.enter()
    with Store.open(a.db, readonly=True) as store:
        assert store.patient(added.id).name == "Added in room B"


def test_plain_sync_never_creates_the_database(
        pouchdb: PouchServer, rooms: tuple[Room, Room], database: str,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in the database's name must not quietly split the clinic in two: only --setup
    creates a database."""
    a, _ = rooms
    assert a.run(capsys, "sync", "--setup", f"{pouchdb.url}/{database}", "--user", USER,
                 "--password-stdin", password=PASSWORD)[0] == 0
    pouchdb.call("DELETE", f"/{database}")
    before = a.files()
    code, out, err = a.run(capsys, "sync")
    assert (code, out) == (1, "")
    assert err == (f"mesotui: the sync server has no database {database} at {pouchdb.url}; "
                   "check the name, or run mesotui sync --setup to create it\n")
    assert database not in str(pouchdb.call("GET", "/_all_dbs")[1])
    assert a.files() == before


def _setup_then(a: Room, capsys: pytest.CaptureFixture[str], url: str) -> dict[str, str]:
    """Room A set up and synced, then one change made offline: the file as it then is."""
    assert a.run(capsys, "sync", "--setup", url, "--user", USER, "--password-stdin",
                 password=PASSWORD)[0] == 0
    with Store.open(a.db, clock=FixedClock()) as store:
        store.add_patient(make_patient(name="Waiting to be sent"), TODAY)
    return a.files()


@pytest.mark.parametrize("failure", ["unreachable", "rejected", "full"])
def test_a_failed_sync_is_one_line_and_leaves_the_record_file_as_it_was(
        pouchdb: PouchServer, rooms: tuple[Room, Room], database: str,  # noqa: F811
        capsys: pytest.CaptureFixture[str], failure: str) -> None:
    a, _ = rooms
    url = f"{pouchdb.url}/{database}"
    before = _setup_then(a, capsys, url)
    proxy = None
    config = a.config / "sync.json"
    if failure == "unreachable":
        config.write_text(config.read_text().replace(str(pouchdb.port), str(free_port())))
        expected = r"cannot reach the sync server at 127\.0\.0\.1:\d+ \(Connection refused\)"
    elif failure == "rejected":
        guard = {"validate_doc_update": "function(doc) { if (doc._id.indexOf('P-') === 0) "
                                        "throw({forbidden: 'no new patients here'}); }"}
        pouchdb.call("PUT", f"/{database}/_design/guard", guard)
        expected = (r"the sync server refused record P-[0-9A-Z]+: no new patients here; it will "
                    r"be sent again at the next sync")
    else:
        proxy = Proxy(pouchdb.port, {"_bulk_docs": (507, {"error": "insufficient_storage",
                                                          "reason": "disk full"})})
        config.write_text(config.read_text().replace(pouchdb.url, proxy.url))
        expected = r"the sync server is out of space \(disk full\)"
    try:
        code, out, err = a.run(capsys, "sync")
    finally:
        if proxy is not None:
            proxy.close()
    assert (code, out) == (1, "")
    assert re.fullmatch(f"mesotui: {expected}\n", err), err
    assert a.files() == before


def test_a_wrong_password_is_one_line_and_keeps_nothing(
        pouchdb: PouchServer, rooms: tuple[Room, Room], database: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = rooms
    url = f"{pouchdb.url}/{database}"
    before = a.files()
    code, out, err = a.run(capsys, "sync", "--setup", url, "--user", USER,
                           "--password-stdin", password="wrong")
    assert (code, out) == (1, "")
    assert err == ("mesotui: the sync server refused the user name or password (user "
                   "'clinic-admin')\n")
    assert not (a.config / "sync.json").exists()  # a refused password is not kept
    assert a.files() == before
    assert a.run(capsys, "sync", "--setup", url, "--user", USER, "--password-stdin",
                 password=PASSWORD)[0] == 0
    config = a.config / "sync.json"
    config.write_text(config.read_text().replace(PASSWORD, "changed on the server"))
    before = a.files()
    code, out, err = a.run(capsys, "sync")
    assert (code, out) == (1, "")
    assert err.startswith("mesotui: the sync server refused the user name or password")
    assert a.files() == before


def test_the_password_is_never_taken_from_the_command_line(
        rooms: tuple[Room, Room], capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = rooms
    code, out, err = a.run(capsys, "sync", "--setup", "http://127.0.0.1:1/clinic", "--user",
                           "a")  # no terminal to ask in, and no --password-stdin
    assert code == 1
    assert err == ("mesotui: the sync password is asked in a terminal, or read from standard "
                   "input with --password-stdin; it is never given on the command line\n")
    with pytest.raises(SystemExit):
        a.run(capsys, "sync", "--setup", "http://127.0.0.1:1/clinic", "--password", "pw")


def test_no_server_set_up_is_one_line(rooms: tuple[Room, Room],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = rooms
    before = a.files()
    assert a.run(capsys, "sync") == (1, "", "mesotui: no sync server is set up on this laptop: "
                                     "run mesotui sync --setup URL first\n")
    assert a.files() == before


def test_a_demo_clinic_is_never_synced(rooms: tuple[Room, Room],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = rooms
    code, _, err = a.run(capsys, "--demo", "sync")
    assert code == 1 and "a demo clinic is never sent" in err


def test_localhost_is_trusted_only_when_it_resolves_to_this_machine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A hosts file (or resolver) that sends "localhost" to another machine must not get the
    password over plain http."""
    assert sync_client.checked_url("http://localhost:5984") == "http://localhost:5984"
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("192.168.1.20", 0))])
    with pytest.raises(SyncError, match="localhost is another machine"):
        sync_client.checked_url("http://localhost:5984")
    assert sync_client.checked_url("http://127.0.0.1:5984") == "http://127.0.0.1:5984"


def test_a_first_sync_refused_by_the_server_leaves_the_record_file_as_it_was(
        pouchdb: PouchServer, rooms: tuple[Room, Room], database: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing of the sync is written before the server has taken something: not even the
    record file's replica id (made for the first sync, kept with its first checkpoint)."""
    a, _ = rooms
    pouchdb.call("PUT", f"/{database}")
    guard = {"validate_doc_update": "function(doc) { throw({forbidden: 'read only'}); }"}
    pouchdb.call("PUT", f"/{database}/_design/guard", guard)
    before = a.files()
    code, out, err = a.run(capsys, "sync", "--setup", f"{pouchdb.url}/{database}", "--user",
                           USER, "--password-stdin", password=PASSWORD)
    assert code == 1 and out.startswith("Sync set up with ")
    assert re.fullmatch(r"mesotui: the sync server refused record \S+: read only \(and \d+ "
                        r"more\); it will be sent again at the next sync\n", err), err
    assert a.files() == before


def test_a_new_room_saves_though_the_imported_key_has_seen_more_saves(
        pouchdb: PouchServer, rooms: tuple[Room, Room], database: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The clinic key carries the newest save number its laptop had seen (rollback
    detection); a new room's file, numbered from 1, was once taken for an older copy put
    back, and refused every save."""
    a, b = rooms
    url = f"{pouchdb.url}/{database}"
    assert a.run(capsys, "sync", "--setup", url, "--user", USER, "--password-stdin",
                 password=PASSWORD)[0] == 0
    with Store.open(a.db, clock=FixedClock()) as store:
        for n in range(8):  # room A has been at work for a while
            store.add_patient(make_patient(name=f"Earlier patient {n}"), TODAY)
    _take_key(a, b, capsys)
    assert b.run(capsys, "sync", "--setup", url, "--user", USER, "--password-stdin",
                 password=PASSWORD)[0] == 0
    with Store.open(b.db, clock=FixedClock()) as store:
        added = store.add_patient(make_patient(name="First in room B"), TODAY)
    checked = b.run(capsys, "check")
    assert checked[0] == 0, checked
    assert b.run(capsys, "sync")[1] == f"Synced with {url}: pushed 1, pulled 0, no conflicts.\n"
    assert a.run(capsys, "sync")[1] == f"Synced with {url}: pushed 8, pulled 1, no conflicts.\n"
    a.enter()
    with Store.open(a.db, readonly=True) as store:
        assert store.patient(added.id).name == "First in room B"
