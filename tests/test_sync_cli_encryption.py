"""`mesotui sync --setup URL --no-encryption`: a clinic may let its server read the records.

Off, the server holds each record in clear (sealed with the clinic key all the same); on, only
ciphertext. Rooms that differ, or a laptop that switches, read both forms: a revision's id does
not depend on the form it travels in, so switching sends nothing twice and loses nothing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input

from mesotui.demo import generate
from mesotui.engine.replica import Replica
from mesotui.store import Store
from mesotui.sync import credentials
from tests.conftest import TODAY, FixedClock
from tests.couchdb import PouchServer, free_port
from tests.test_sync_cli import PASSWORD, USER, Room, _take_key, database, pouchdb, rooms  # noqa: F401

OFF = ("mesotui: warning: encryption is off: whoever administers the sync server can read "
       "every record this laptop sends from now on (names, dates of birth, notes); records "
       "already on the server stay as they were sent\n")
ON_AGAIN = ("mesotui: warning: encryption is on again: records this laptop sent in clear stay "
            "readable on the server until they change; to take them off it, set up a new "
            "database and delete the old one\n")


def setup(room: Room, capsys: pytest.CaptureFixture[str], url: str,
          *extra: str) -> tuple[int, str, str]:
    return room.run(capsys, "sync", "--setup", url, "--user", USER, "--password-stdin",
                    *extra, password=PASSWORD)


def a_name(room: Room) -> str:
    room.enter()
    with Store.open(room.db, readonly=True) as store:
        return store.cards()[0].name


def trees(room: Room) -> dict[str, list[list[str]]]:
    """Every record of a room (patients, sessions, evaluations, settings) and the revision
    hashes of each of its versions (what must never be lost)."""
    room.enter()
    with Store.open(room.db, readonly=True) as store:
        ids = [feed.record_id for feed in store.engine.changes(0, 100_000)]
        return {record_id: [[r["hash"] for r in leaf.revisions] for leaf in leaves]
                for record_id, leaves in Replica(store.engine).trees(ids).items()}


def bodies(server: PouchServer, database: str) -> dict[str, list[str]]:
    """Each document on the server and the form of each of its leaves."""
    _, listing = server.call("GET", f"/{database}/_all_docs")
    found: dict[str, list[str]] = {}
    for row in listing["rows"]:  # type: ignore[index]
        _, leaves = server.call("GET", f"/{database}/{row['id']}?open_revs=all")
        found[row["id"]] = sorted(leaf["ok"]["enc"] for leaf in leaves)  # type: ignore[union-attr]
    return found


def test_a_clear_clinics_server_holds_the_names_an_encrypted_ones_does_not(
        pouchdb: PouchServer, rooms: tuple[Room, Room], database: str,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = rooms
    name = a_name(a)
    code, out, err = setup(a, capsys, f"{pouchdb.url}/{database}", "--no-encryption")
    assert (code, err) == (0, OFF)
    assert out.splitlines()[-1].endswith("pushed 45, pulled 0, no conflicts.")
    assert name in pouchdb.everything(database)  # the setting works: the server reads it
    assert set(sum(bodies(pouchdb, database).values(), [])) == {"none"}

    encrypted = database + "-enc"
    code, out, err = setup(a, capsys, f"{pouchdb.url}/{encrypted}")
    assert (code, err) == (0, "")  # another database: nothing was sent there in clear
    assert out.splitlines()[-1].endswith("pushed 45, pulled 0, no conflicts.")
    assert name not in pouchdb.everything(encrypted)
    assert set(sum(bodies(pouchdb, encrypted).values(), [])) == {"A256GCM"}


def test_a_mixed_clinic_converges_and_switching_sends_nothing_twice(
        pouchdb: PouchServer, rooms: tuple[Room, Room], database: str,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    a, b = rooms
    url = f"{pouchdb.url}/{database}"
    assert setup(a, capsys, url, "--no-encryption")[0] == 0  # room A: in clear
    _take_key(a, b, capsys)
    code, out, err = setup(b, capsys, url)  # room B: encrypted, reads A's clear records
    assert (code, err) == (0, "")
    assert out.splitlines()[-1].endswith("pushed 0, pulled 45, no conflicts.")
    assert trees(b) == trees(a)

    b.enter()
    with Store.open(b.db, clock=FixedClock()) as store:  # B amends: it goes out encrypted
        patient = store.cards()[0]
        store.update_patient(replace(store.patient(patient.id), phone="+44 7700 900123"),
                             TODAY, reason="new number")
    assert b.run(capsys, "sync")[1].endswith("pushed 1, pulled 0, no conflicts.\n")
    assert bodies(pouchdb, database)[patient.id] == ["A256GCM"]
    code, out, _ = a.run(capsys, "sync")  # and A, in clear, reads it
    assert (code, out.endswith("pushed 0, pulled 1, no conflicts.\n")) == (0, True)
    assert trees(a) == trees(b)

    code, out, err = setup(a, capsys, url)  # A switches encryption on
    assert (code, err) == (0, ON_AGAIN)
    assert out.splitlines()[-1].endswith("pushed 0, pulled 0, no conflicts.")  # nothing twice
    code, out, err = setup(a, capsys, url, "--no-encryption")  # and off again
    assert (code, err) == (0, OFF)
    assert out.splitlines()[-1].endswith("pushed 0, pulled 0, no conflicts.")
    forms = bodies(pouchdb, database)
    assert set(forms) == set(trees(a)) and all(len(f) == 1 for f in forms.values())
    assert forms[patient.id] == ["A256GCM"] and set(sum(forms.values(), [])) == \
        {"A256GCM", "none"}  # one leaf each, no conflict made by the switches
    assert b.run(capsys, "sync")[1].endswith("pushed 0, pulled 0, no conflicts.\n")
    assert trees(a) == trees(b) and len(trees(a)) == 45 == len(forms)
    _, doc = pouchdb.call("GET", f"/{database}/{next(i for i in forms if i != patient.id)}")
    assert json.loads(doc["record"])["record"]["history"]  # type: ignore[index]


def test_no_encryption_is_a_setting_of_setup(
        rooms: tuple[Room, Room], capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    a, _ = rooms
    code, out, err = a.run(capsys, "sync", "--no-encryption")
    assert (code, out) == (1, "")
    assert err == ("mesotui: --no-encryption is kept with the server's settings: give it "
                   "with --setup URL\n")


async def test_the_sync_server_form_turns_encryption_off_with_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mesotui.tui import syncing
    from mesotui.tui.app import MesoApp
    from mesotui.tui.screens.sync_setup import SyncSetupScreen
    from tests.test_tui_support import clock, screen_text, until_settled

    monkeypatch.setenv("MESOTUI_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("MESOTUI_SYNC_CONFIG", str(tmp_path / "config"))
    store = generate(TODAY, 2).load_into(Store.open(tmp_path / "clinic.json", clock=clock))
    app = MesoApp(store, TODAY, "clinic.json", sync=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        syncing.set_up(app)
        await until_settled(pilot)
        form = app.screen
        assert isinstance(form, SyncSetupScreen)
        assert "Warning" not in screen_text(app)
        form.query_one("#url", Input).value = f"http://127.0.0.1:{free_port()}/clinic"
        form.query_one("#user", Input).value = USER
        form.query_one("#password", Input).value = PASSWORD
        form.query_one("#encrypt", Checkbox).focus()
        await pilot.press("space")
        await until_settled(pilot)
        assert "Warning: Encryption is off: whoever administers the sync server can read" \
            in " ".join(screen_text(app).split())
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert not isinstance(app.screen, SyncSetupScreen)
        kept = credentials.load()
        assert kept is not None and not kept.encrypt
        app.syncing.stop()  # type: ignore[union-attr]
    store.close()
