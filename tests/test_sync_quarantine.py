"""Documents pulled from the server that do not verify are set aside, and a screen lists them:
id and revision (escaped: a server may send escape codes), when pulled, why in plain words,
and what to do. Against a real pouchdb-server, with documents forged by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mesotui.demo import generate
from mesotui.engine import keys
from mesotui.engine.replica import Replica
from mesotui.store import Store
from mesotui.sync.client import CouchClient
from mesotui.sync.keys import SyncKeys
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replicator import Replicator
from mesotui.tui import palette
from mesotui.tui.app import MesoApp
from mesotui.tui.screens.quarantine import QuarantineScreen
from tests.couchdb import PouchServer, pouchdb  # noqa: F401 (a fixture)
from tests.test_hostile_output import assert_clean
from tests.test_tui_support import TODAY, clock, until_settled

HOSTILE = "S-\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J\u202eX"


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("MESOTUI_KEYS", str(tmp_path / "keys"))
    store = generate(TODAY, 3).load_into(Store.open(tmp_path / "clinic.json", clock=clock))
    yield store
    store.close()


def sync(store: Store, server: PouchServer, database: str) -> Replicator:
    key = keys.load(store.integrity.clinic)
    assert key is not None
    client = CouchClient(server.url, database, timeout=10)
    return Replicator(Replica(store.engine, clock=clock), RemoteDB(client),
                      SyncKeys.derive(key.secret, key.clinic), create=True)


def rendered(app: MesoApp) -> str:
    return "".join(segment.text for strip in app.screen._compositor.render_strips()  # noqa: SLF001
                   for segment in strip)


async def test_documents_set_aside_are_listed_with_why_and_who_to_ask(
        clinic: Store, pouchdb: PouchServer) -> None:  # noqa: F811
    database = "clinic-quarantine"
    sync(clinic, pouchdb, database).sync()
    session = clinic.sessions()[0].id
    before = clinic.record(session).history[-1].hash
    _, doc = pouchdb.call("GET", f"/{database}/{session}?revs=true")
    start = doc["_revisions"]["start"]  # type: ignore[index]
    forged = {**doc, "_rev": f"{start + 1}-{'f' * 32}",  # type: ignore[dict-item]
              "_revisions": {"start": start + 1,
                             "ids": ["f" * 32, *doc["_revisions"]["ids"]]},  # type: ignore[index]
              "ct": doc["ct"][:-8] + "AAAAAAA="}  # type: ignore[index] (the admin's edit)
    hostile = {"_id": HOSTILE, "_rev": f"1-{'e' * 32}", "name": "not a record"}
    status, _ = pouchdb.call("POST", f"/{database}/_bulk_docs",
                             {"docs": [forged, hostile], "new_edits": False})
    assert status == 201
    report = sync(clinic, pouchdb, database).sync()
    assert sorted(q.record_id for q in report.quarantined) == sorted([session, HOSTILE])
    assert clinic.record(session).history[-1].hash == before  # nothing merged

    app = MesoApp(clinic, TODAY, "clinic.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        entry = next(c for c in palette.commands(app, app.screen)
                     if c.title == "Set aside from the sync server")
        assert entry.help.startswith("2 documents that did not verify with the clinic key")
        entry.callback()
        await until_settled(pilot)
        assert isinstance(app.screen, QuarantineScreen)
        text = rendered(app)
        assert_clean(text.encode(), "quarantine screen")  # no escape reaches the terminal
        flat = " ".join(text.replace("\u2502", " ").split())  # the lines, without the frame
        assert "2 documents from the sync server set aside" in flat
        assert f"{session} revision {start + 1}-{'f' * 32} pulled 15 Jan 2026 09:30" in flat
        assert "It is not encrypted with this clinic's key: it was changed on the server, or " \
            "sent by a laptop that holds another clinic's key." in flat
        assert "S-\\u001b]52;c;cm0gLXJmIH4K\\u0007\\u001b[2J\\u202eX revision 1-" in flat
        assert "Its name on the server is not a mesotui record's" in flat
        assert "Nothing here was merged" in flat and "Tell whoever administers" in flat
        await pilot.press("escape")
        await until_settled(pilot)
        assert not isinstance(app.screen, QuarantineScreen)


async def test_nothing_set_aside_no_entry(clinic: Store) -> None:
    app = MesoApp(clinic, TODAY, "clinic.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        titles = [c.title for c in palette.commands(app, app.screen)]
        assert "Set aside from the sync server" not in titles
