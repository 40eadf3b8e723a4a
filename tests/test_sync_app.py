"""The app syncs in the background: after a save, every few seconds while the server answers,
what another room saved shows on the list, and the title line says how it stands in words."""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from mesotui.demo import generate
from mesotui.engine import keys
from mesotui.store import Store
from mesotui.sync import credentials
from mesotui.sync.client import CouchClient
from mesotui.sync.keys import SyncKeys
from mesotui.sync.memory import MemoryReplica
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replicator import Replicator
from mesotui.tui import syncing, syncstep
from mesotui.tui.app import MesoApp
from tests.couchdb import ADMIN, PouchServer, free_port
from tests.test_tui_support import TODAY, clock, screen_text, until_settled


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PouchServer]:
    found = PouchServer(tmp_path_factory.mktemp("pouchdb")).start()
    try:
        found.add_admin()
        yield found
    finally:
        found.stop()


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("MESOTUI_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("MESOTUI_SYNC_CONFIG", str(tmp_path / "config"))
    monkeypatch.setattr(syncing, "EVERY", 0.5)  # the tests wait less than a room would
    store = generate(TODAY, 6).load_into(Store.open(tmp_path / "clinic.json", clock=clock))
    yield store
    store.close()


def syncing_app(store: Store, server: PouchServer, database: str) -> MesoApp:
    """The app on `store`, this laptop set up to sync with a new `database` of `server`."""
    credentials.setup(f"{server.url}/{database}", *ADMIN)
    server.call("PUT", f"/{database}")
    return MesoApp(store, TODAY, "clinic.json", sync=True)


def room_b(store: Store, server: PouchServer, database: str) -> tuple[MemoryReplica, Replicator]:
    """Another room of the same clinic (its replica in memory), syncing by itself."""
    key = keys.load(store.integrity.clinic)
    assert key is not None
    b = MemoryReplica()
    client = CouchClient(server.url, database, *ADMIN, timeout=10)
    return b, Replicator(b, RemoteDB(client), SyncKeys.derive(key.secret, key.clinic))


async def until(pilot, done, seconds: float = 20) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while not done() and time.monotonic() - start < seconds:
        await pilot.pause(0.05)
    assert done(), f"not within {seconds} s ({pilot.app.sub_title})"


async def test_the_app_syncs_in_the_background_and_says_so(
        clinic: Store, server: PouchServer) -> None:
    database = "clinic-app-1"
    app = syncing_app(clinic, server, database)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await until(pilot, lambda: app.syncing is not None and app.syncing.syncs >= 1)
        assert re.search(r"today Thu 15 Jan 2026 · synced \d\d:\d\d$", app.sub_title)
        b, sync_b = room_b(clinic, server, database)
        assert sync_b.sync().pulled == len(b.ids())  # all the clinic, pushed by the app
        assert {c.id for c in clinic.cards()} | {s.id for s in clinic.sessions()} <= set(b.ids())

        new = generate(TODAY, 7).patients[-1]  # room B adds a patient: it shows here
        assert new.name not in screen_text(app)
        b.add("patients", replace(new, id="P-7K3M9QXD"))
        sync_b.sync()
        await until(pilot, lambda: new.name in screen_text(app))

        seen = app.syncing.syncs  # a save here goes out at once, and room B gets it
        patient = clinic.patient("P-7K3M9QXD")
        clinic.update_patient(replace(patient, phone="+44 7700 900999"), TODAY,
                              reason="new number")
        await until(pilot, lambda: app.syncing.syncs > seen and "waiting" not in app.sub_title)
        sync_b.sync()
        assert b.record("P-7K3M9QXD")["history"][-1]["data"]["phone"] == "+44 7700 900999"


async def test_offline_the_title_line_says_so_and_what_waits(
        clinic: Store, server: PouchServer, tmp_path: Path) -> None:
    credentials.setup(f"http://127.0.0.1:{free_port()}/clinic", *ADMIN)  # nobody there
    app = MesoApp(clinic, TODAY, "clinic.json", sync=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await until(pilot, lambda: app.syncing is not None and app.syncing.syncs >= 1)
        waiting = re.search(r"· offline · (\d+) changes waiting$", app.sub_title)
        assert waiting and int(waiting[1]) >= len(clinic.cards()) + len(clinic.sessions())
        patient = clinic.cards()[0]
        start = time.monotonic()
        clinic.update_patient(replace(clinic.patient(patient.id), phone="+44 7700 900111"),
                              TODAY, reason="new number")
        assert time.monotonic() - start < 1  # the save never waits for the network
        await until(pilot, lambda: "offline" in app.sub_title)
        assert f"{waiting[1]} changes waiting" in app.sub_title  # the same records, one again
        assert "offline" in screen_text(app).splitlines()[0]


async def test_no_server_set_up_no_sync(clinic: Store) -> None:
    app = MesoApp(clinic, TODAY, "clinic.json", sync=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        assert app.syncing is None
        assert app.sub_title == "clinic.json · today Thu 15 Jan 2026"


async def test_two_rooms_amending_one_session_keep_both_until_a_practitioner_chooses(
        clinic: Store, server: PouchServer) -> None:
    from mesotui.sync import tree
    from mesotui.tui.screens.conflict import ConflictScreen

    database = "clinic-app-conflict"
    app = syncing_app(clinic, server, database)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await until(pilot, lambda: app.syncing is not None and app.syncing.syncs >= 1)
        b, sync_b = room_b(clinic, server, database)
        sync_b.sync()
        session = clinic.sessions()[0]
        later = clock()
        b.amend(session.id, {"volume_ml": 1.5}, at=later, reason="volume corrected",
                by="Dr B. Osei")  # room B, while apart
        app.syncing.stop()  # room A offline meanwhile
        clinic.amend_session(replace(session, dose_notes="bruising at the vertex"), TODAY,
                             reason="note added", by="Dr M. Rahimi")
        sync_b.sync()
        app.syncing.stopping.clear()
        app.syncing.soon()
        await until(pilot, lambda: "1 conflict" in app.sub_title)
        sync_b.sync()
        assert len(tree.conflicts(b_keys(clinic), b.leaves(session.id))) == 1  # in B too
        assert app.syncing.conflicts() == (session.id,)

        app.syncing.compare(session.id)
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await until_settled(pilot)
        shown = screen_text(app)
        assert "Two versions of a session of" in shown and session.id in shown
        assert "by Dr B. Osei (volume corrected)" in shown
        assert "by Dr M. Rahimi (note added)" in shown
        assert "Volume: version 1 1 mL · version 2 1.5 mL" in shown \
            or "Volume: version 1 1.5 mL · version 2 1 mL" in shown
        keep = 1 if "version 2 1.5 mL" in shown else 0  # the version with 1.5 mL
        screen = app.screen
        assert isinstance(screen, ConflictScreen)
        screen.query_one("#keep").value = keep  # type: ignore[attr-defined]
        screen.query_one("#reason").value = "room B had the corrected volume"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ConflictScreen))
        await until(pilot, lambda: "conflict" not in app.sub_title
                    and "waiting" not in app.sub_title)
        kept = clinic.session(session.id)
        assert kept.volume_ml == 1.5
        assert clinic.record(session.id).history[-1].reason == \
            "kept this version of two: room B had the corrected volume"
        sync_b.sync()
        live = [leaf for leaf in b.leaves(session.id) if not leaf.deleted]
        assert len(live) == 1 and live[0].head["data"]["volume_ml"] == 1.5
        assert len(b.leaves(session.id)) == 2  # the other version kept, set aside


def b_keys(store: Store) -> SyncKeys:
    key = keys.load(store.integrity.clinic)
    assert key is not None
    return SyncKeys.derive(key.secret, key.clinic)


async def test_the_sync_server_is_set_up_in_the_app(clinic: Store, server: PouchServer,
                                                    tmp_path: Path) -> None:
    from mesotui.tui.screens.sync_setup import SyncSetupScreen

    database = "clinic-app-setup"
    app = MesoApp(clinic, TODAY, "clinic.json", sync=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        assert app.syncing is None
        syncing.set_up(app)
        await until(pilot, lambda: isinstance(app.screen, SyncSetupScreen))
        await until_settled(pilot)
        form = app.screen
        form.query_one("#url").value = "http://192.168.1.20:5984/clinic"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert app.screen is form  # refused, said next to the field
        assert "plain http would send" in form.problems["url"]
        assert "192.168.1.20 is another machine" in screen_text(app)
        form.query_one("#url").value = f"{server.url}/{database}"  # type: ignore[attr-defined]
        form.query_one("#user").value = ADMIN[0]  # type: ignore[attr-defined]
        form.query_one("#password").value = "wrong"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.syncing is not None and app.syncing.syncs >= 1)
        assert "sync: password refused" in app.sub_title
        assert credentials.load() is not None
        syncing.set_up(app)
        await until(pilot, lambda: isinstance(app.screen, SyncSetupScreen))
        await until_settled(pilot)
        app.screen.query_one("#password").value = ADMIN[1]  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "synced" in app.sub_title)
        assert "waiting" not in app.sub_title
        status, info = server.call("GET", f"/{database}")
        assert status == 200 and info["doc_count"] > 0  # type: ignore[index]
        settings = credentials.load()
        assert settings is not None and settings.password == ADMIN[1]
        assert ADMIN[1].encode() not in (tmp_path / "clinic.json").read_bytes()


async def test_while_keys_are_typed_the_sync_waits_and_sends_the_save_when_they_stop(
        clinic: Store, server: PouchServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from mesotui.engine.replica import Replica

    steps: list[float] = []  # when each step of a sync ran on the record file

    def counted(name: str) -> None:
        member = getattr(Replica, name)

        def step(*args, **kwargs):  # type: ignore[no-untyped-def]
            if "standing" not in {f.name for f in traceback.extract_stack()}:  # not the title
                steps.append(time.monotonic())
            return member(*args, **kwargs)
        monkeypatch.setattr(Replica, name, step)

    for name in ("changes", "trees", "save", "checkpoint", "save_checkpoint"):
        counted(name)
    monkeypatch.setattr(syncstep, "QUIET_S", 3.0)  # a slow machine's gap between keys is
    # never taken for the typing stopping
    database = "clinic-app-typing"
    app = syncing_app(clinic, server, database)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        await until(pilot, lambda: app.syncing is not None and app.syncing.syncs >= 1
                    and "waiting" not in app.sub_title)
        seen = app.syncing.syncs
        await pilot.press("slash")
        keys_at = [time.monotonic()]
        patient = clinic.cards()[0]
        for n in range(30):  # three seconds of typing, a save made in the middle of it
            await pilot.press("s" if n % 2 == 0 else "backspace")
            keys_at.append(time.monotonic())
            await pilot.pause(0.1)
            if n == 8:
                clinic.update_patient(replace(clinic.patient(patient.id),
                                              phone="+44 7700 900222"), TODAY,
                                      reason="new number")
        typed_until = time.monotonic()
        while_typing = [t for t in steps if keys_at[0] < t < typed_until
                        and t - max(k for k in keys_at if k <= t) < 1.0]
        assert not while_typing  # no step of the sync within a second of a key
        assert app.syncing.running  # the sync the save started is under way, and waits
        assert "1 change waiting" in app.sub_title
        await until(pilot, lambda: app.syncing.syncs > seen and "waiting" not in app.sub_title)
        assert [t for t in steps if t > typed_until]  # once the typing stopped, it synced
        b, sync_b = room_b(clinic, server, database)
        sync_b.sync()
        assert b.record(patient.id)["history"][-1]["data"]["phone"] == "+44 7700 900222"
