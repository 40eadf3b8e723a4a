"""The app shows the patient list once the start-up index is vouched for, before the digest
of a large record file is done (issue 19: start-up at 20,000 patients); nothing is written,
and nothing the index says stays on screen, unless the digest proves it too.

Vouched for: the index's MAC holds and the record file still has the stamp the index
recorded (inode, size, modification and change times). A file edited in place changes its
stamp, so a real edit is proven by its digest before anything shows. To test what happens
when the stamp cannot tell (a file system that keeps no change times), these tests edit the
file in place and then give the index the edited file's stamp, sealed with the clinic key.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import orjson
import pytest

from mesotui.engine import image, keys
from mesotui.engine.index import MAGIC, seal
from mesotui.engine.replay import journal_path
from mesotui.errors import IndexReread
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock, make_patient
from tests.test_index_proof import clinic  # noqa: F401 - the same small clinic, indexed

NAME, EDITED = "Sofia Brennan", "Sofia Brennon"


def edit_keeping_the_stamp(path: Path) -> None:
    """Rename Sofia in the record file itself (same size, in place), and give the index the
    stamp the edited file now has, sealed as mesotui seals it."""
    raw = path.read_bytes()
    assert raw.count(NAME.encode()) >= 1
    with path.open("r+b") as file:  # in place: the same inode, as an editor may write
        file.write(raw.replace(NAME.encode(), EDITED.encode()))
    index = image.index_path(path)
    first, _, body = index.read_bytes().partition(b"\n")
    head, _, rows = body.partition(b"\n")
    described = orjson.loads(head)
    described["stamp"] = image.stamp(os.stat(path))
    sealed = orjson.dumps(described)  # the MAC covers the head, which gives each line's digest
    body = sealed + b"\n" + rows
    found = re.search(rb'"clinic_id":"([^"]+)"', raw)  # the file may be damaged elsewhere
    key = keys.load(found.group(1).decode()) if found else None
    assert key is not None and first.startswith(MAGIC + b" hmac-sha256:")
    index.write_bytes(MAGIC + b" " + seal(sealed, key.secret) + b"\n" + body)


def names(store: Store) -> set[str]:
    return {card.name for card in store.cards(include_archived=True)}


def opened_as_the_app_does(path: Path) -> Store:
    return Store.open(path, clock=FixedClock(), prove=False)


def test_an_index_is_vouched_for_only_while_its_file_keeps_the_stamp_it_recorded(
        clinic: Path) -> None:
    with opened_as_the_app_does(clinic) as store:
        assert store.engine.image.vouched()
        assert not store.prove(quick=True)
    os.utime(clinic)  # the same bytes, touched: its change time moves on
    with opened_as_the_app_does(clinic) as store:
        assert not store.engine.image.vouched()
        assert not store.prove(quick=True)  # waited for the digest, which holds: no reread
        assert store.proof_done and NAME in names(store)


def test_an_index_that_is_vouched_for_yet_does_not_describe_the_file_gives_way_to_it(
        clinic: Path) -> None:
    edit_keeping_the_stamp(clinic)
    with opened_as_the_app_does(clinic) as store:
        assert store.engine.image.vouched()
        assert not store.prove(quick=True)  # the list may show the index's rows...
        assert NAME in names(store)
        assert store.prove()  # ...until the digest is checked: the file is read whole
        assert EDITED in names(store) and NAME not in names(store)
        assert any("index was ignored" in note for note in store.notes)


def test_nothing_is_saved_over_a_file_whose_vouched_index_does_not_describe_it(
        clinic: Path) -> None:
    edit_keeping_the_stamp(clinic)
    before = clinic.read_bytes()
    with opened_as_the_app_does(clinic) as store:
        assert not store.prove(quick=True)
        with pytest.raises(IndexReread, match="nothing was saved"):
            store.add_patient(make_patient(name="Saved Too Soon"), TODAY)
        assert clinic.read_bytes() == before
        assert not journal_path(clinic).exists()
        assert EDITED in names(store) and "Saved Too Soon" not in names(store)
        store.add_patient(make_patient(name="Saved Again"), TODAY)  # on what the file holds
    with Store.open(clinic, readonly=True) as reader:
        assert {EDITED, "Saved Again"} <= names(reader) and NAME not in names(reader)


async def test_the_app_shows_what_the_file_holds_once_its_digest_is_checked(
        clinic: Path) -> None:
    from mesotui.tui.app import MesoApp
    from tests.test_tui_support import screen_text

    edit_keeping_the_stamp(clinic)
    store = opened_as_the_app_does(clinic)
    try:
        app = MesoApp(store=store, today=TODAY)
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(20):
                await pilot.pause(0.05)
                if store.proof_done and EDITED in screen_text(app):
                    break
            assert EDITED in screen_text(app) and NAME not in screen_text(app)
            assert any("index was ignored" in str(n.message) for n in app._notifications)  # noqa: SLF001
    finally:
        store.close()


def damage_a_session(path: Path) -> None:
    """One byte of a session document turned to garbage, in place (its stamp changes)."""
    raw = bytearray(path.read_bytes())
    at = raw.index(b'"S-00001-01"') + 12
    raw[at] = ord(";")
    with path.open("r+b") as file:
        file.write(raw)


async def test_the_list_shows_before_the_digest_and_a_refused_save_refreshes_it(
        clinic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown once vouched for, while the digest is still being checked; a save tried then
    (a form's) is refused, and every screen shows what the file holds at once."""
    from mesotui.tui.app import MesoApp
    from tests.test_tui_support import screen_text

    edit_keeping_the_stamp(clinic)
    monkeypatch.setattr(Store, "proof_done", property(lambda self: False))  # a 189 MB hash
    store = opened_as_the_app_does(clinic)
    try:
        app = MesoApp(store=store, today=TODAY)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause(0.2)
            assert NAME in screen_text(app)  # the index's rows, vouched for
            with pytest.raises(IndexReread):
                store.add_patient(make_patient(name="Saved Too Soon"), TODAY)
            await pilot.pause(0.2)
            assert EDITED in screen_text(app) and NAME not in screen_text(app)
    finally:
        store.close()


@pytest.mark.parametrize("stamp_kept", [False, True], ids=["stamp-changed", "stamp-kept"])
def test_a_damaged_record_file_ends_the_app_and_offers_the_recovery_screen(
        clinic: Path, monkeypatch: pytest.MonkeyPatch, stamp_kept: bool) -> None:
    """As before the list was shown early: `mesotui` on a damaged file offers its backups
    (the recovery screen), never an 'unexpected error', whether the damage shows at once
    (its stamp changed) or only once the digest is checked (its stamp kept)."""
    from textual.app import App

    from mesotui import cli
    from mesotui.tui.app import MesoApp
    from mesotui.tui.recovery import RecoveryApp

    damage_a_session(clinic)
    if stamp_kept:
        edit_keeping_the_stamp(clinic)
    offered: list[str] = []

    async def ends_anyway(pilot: object) -> None:  # should this test fail, it ends
        pilot.app.set_timer(20, pilot.app.exit)  # type: ignore[attr-defined]

    monkeypatch.setattr(MesoApp, "run", lambda self, **_: App.run(
        self, headless=True, size=(120, 40), auto_pilot=ends_anyway))
    monkeypatch.setattr(RecoveryApp, "run",
                        lambda self, **_: offered.append(self.problem) and None)  # type: ignore[attr-defined]
    code = cli.main(["--db", str(clinic), "--today", TODAY.isoformat()])
    assert offered and "not valid JSON" in offered[0]
    assert code == 1  # left without restoring: nothing changed


def test_a_fold_over_a_vouched_index_that_does_not_describe_the_file_writes_nothing(
        clinic: Path) -> None:
    with Store.open(clinic, clock=FixedClock()) as store:
        store.add_patient(make_patient(name="In The Journal"), TODAY)
        store.close(fold=False)
    edit_keeping_the_stamp(clinic)
    before, journal = clinic.read_bytes(), journal_path(clinic).read_bytes()
    with opened_as_the_app_does(clinic) as store:
        assert not store.prove(quick=True)
        assert list(store.folding()) == []  # refused before its first step
        assert clinic.read_bytes() == before and journal_path(clinic).read_bytes() == journal
        assert {EDITED, "In The Journal"} <= names(store)
