"""Two versions of a record merged field by field: each differing field taken from the version
the practitioner picks, the result shown before saving, checked as any edit is, and saved as
one revision that every room converges on (tests/test_sync_merge_rooms.py: two rooms)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from mesotui import history
from mesotui.demo import generate
from mesotui.engine import keys
from mesotui.engine.replica import Replica
from mesotui.store import Store
from mesotui.sync import codec, merge, tree
from mesotui.sync.keys import SyncKeys
from mesotui.sync.replica import Batch
from mesotui.sync.tree import Leaf
from mesotui.tui.app import MesoApp
from mesotui.tui.screens.conflict import ConflictScreen
from mesotui.validation import MAX_VOLUME_ML
from tests.test_tui_support import TODAY, clock, screen_text, until_settled


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("MESOTUI_KEYS", str(tmp_path / "keys"))
    store = generate(TODAY, 6).load_into(Store.open(tmp_path / "clinic.json", clock=clock))
    yield store
    store.close()


def sync_keys(store: Store) -> SyncKeys:
    key = keys.load(store.integrity.clinic)
    assert key is not None
    return SyncKeys.derive(key.secret, key.clinic)


def amended(leaf: Leaf, changes: dict[str, object], by: str, reason: str,
            action: str = "amend") -> Leaf:
    revisions = tuple(history.Revision.from_doc(r) for r in leaf.revisions)
    grown = history.append(revisions, action, {**revisions[-1].data, **changes},
                           at=clock() + timedelta(hours=1), by=by, reason=reason)
    return Leaf(leaf.table, {**leaf.doc, "history": [r.to_doc() for r in grown]})


def two_versions(store: Store, a: dict[str, object], b: dict[str, object], *,
                 a_action: str = "amend") -> str:
    """A session of the clinic as two rooms left it: room 1 made `a`, room 2 made `b`
    (what a sync leaves in the record file: both leaves, CouchDB's winner first)."""
    session = next(s for s in store.sessions() if s.date <= TODAY - timedelta(days=30)
                   and s.lot_expiry and not s.voided)
    replica = Replica(store.engine)
    (base,) = replica.trees([session.id])[session.id]
    leaves = (amended(base, a, "Dr A. Room1", "room 1's change", a_action),
              amended(base, b, "Dr B. Room2", "room 2's change"))
    replica.save(Batch({session.id: tree.ordered(sync_keys(store), leaves)}))
    return session.id


def version_of(screen: ConflictScreen, by: str) -> int:
    return next(n for n, v in enumerate(screen.versions) if v.head["by"] == by)


async def open_form(app: MesoApp, pilot, record_id: str) -> ConflictScreen:  # type: ignore[no-untyped-def]
    app.push_screen(ConflictScreen(app.store, record_id, sync_keys(app.store),
                                   by="Dr M. Rahimi", now=clock()))
    await until_settled(pilot)
    assert isinstance(app.screen, ConflictScreen)
    return app.screen


def row(screen: ConflictScreen, field: str) -> Select:  # type: ignore[type-arg]
    n = next(i for i, c in enumerate(screen.choices) if c.field == field)
    return screen.query_one(f"#pick-{n}", Select)


def under(screen: ConflictScreen, field: str) -> str:
    """The problem shown under a field's row."""
    return str(row(screen, field).parent.parent.query_one(".field-error").render())  # type: ignore[union-attr]


async def test_a_merge_that_makes_an_invalid_session_is_refused_next_to_the_field(
        clinic: Store) -> None:
    held = clinic.session(next(s.id for s in clinic.sessions() if s.date <= TODAY
                               - timedelta(days=30) and s.lot_expiry and not s.voided))
    day = held.date
    record_id = two_versions(  # each version valid alone; room 2's volume is not
        clinic, {"lot_expiry": (day + timedelta(days=1)).isoformat(), "dose_notes": "one"},
        {"date": (day + timedelta(days=3)).isoformat(), "volume_ml": MAX_VOLUME_ML + 2,
         "dose_notes": "two"})
    assert record_id == held.id
    app = MesoApp(clinic, TODAY, "clinic.json")
    async with app.run_test(size=(120, 50)) as pilot:
        await until_settled(pilot)
        form = await open_form(app, pilot, record_id)
        one, two = version_of(form, "Dr A. Room1"), version_of(form, "Dr B. Room2")
        assert {c.field for c in form.choices} == {"date", "lot_expiry", "volume_ml",
                                                  "dose_notes"}
        row(form, "volume_ml").value = two
        form.query_one("#reason", Input).value = "merged by hand"
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert app.screen is form  # refused, said next to the field
        assert f"at most {MAX_VOLUME_ML:g} mL" in form.problems["volume_ml"]
        assert "at most" in under(form, "volume_ml")

        row(form, "volume_ml").value = one  # dates that contradict: the lot expired first
        row(form, "date").value = two
        row(form, "lot_expiry").value = one
        await until_settled(pilot)
        assert "Saved as a merge of the versions:" in screen_text(app)
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert app.screen is form
        assert "before the session" in form.problems["lot_expiry"]
        assert "before the session" in under(form, "lot_expiry")
        assert clinic.session(record_id).dose_notes in ("one", "two")  # nothing saved
        assert len(Replica(clinic.engine).trees([record_id])[record_id]) == 2

        row(form, "date").value = one  # room 1's date and lot, room 2's note: saved
        row(form, "dose_notes").focus()
        await pilot.press(str(two + 1))  # the version's number on a row picks it
        await until_settled(pilot)
        shown = screen_text(app)
        assert "Dose notes: “two” (version" in shown and "Volume:" in shown
        versions = form.versions
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert not isinstance(app.screen, ConflictScreen)
    saved = clinic.session(record_id)
    assert (saved.date, saved.lot_expiry, saved.dose_notes) == (
        day, day + timedelta(days=1), "two")
    assert saved.volume_ml == held.volume_ml
    last = clinic.record(record_id).history[-1]
    assert last.reason.startswith("merged two versions (") and "from version 2" in last.reason
    assert last.reason.endswith("): merged by hand")
    leaves = Replica(clinic.engine).trees([record_id])[record_id]
    assert [leaf.deleted for leaf in leaves] == [False, True]  # the other version retired
    assert leaves[0].head["by"] == "Dr M. Rahimi"
    assert leaves[0].revisions[-2]["hash"] == versions[0].head["hash"]  # follows version 1
    assert leaves[1].head["hash"] == versions[1].head["hash"]  # version 2 kept whole
    keys_ = sync_keys(clinic)
    for leaf in leaves:  # what the next push sends verifies with the clinic key
        assert isinstance(codec.decode(keys_, codec.encode(keys_, leaf)), Leaf)


def test_merged_takes_each_field_from_the_version_picked() -> None:
    def leaf(data: dict[str, object]) -> Leaf:
        revision = history.append((), "create", data, at=clock(), by="", reason="")
        return Leaf("sessions", {"id": "S-1", "patient_id": "P-1",
                                 "history": [r.to_doc() for r in revision]})

    one = leaf({"date": "2026-01-10", "volume_ml": 1.0, "needle": "30G",
                "anaesthesia": {"type": "topical", "agent": "EMLA", "amount": "1 g"}})
    two = leaf({"date": "2026-01-10", "volume_ml": 1.5,
                "anaesthesia": {"type": "topical", "agent": "lidocaine", "amount": "1 g"}})
    found = {c.field: c.values for c in merge.choices((one, two))}
    assert found == {"volume_ml": ("1 mL", "1.5 mL"), "needle": ("30G", "(empty)"),
                     "anaesthesia.agent": ("EMLA", "lidocaine")}
    assert merge.merged((one, two), {"volume_ml": 1, "needle": 1, "anaesthesia.agent": 0}) \
        == {"date": "2026-01-10", "volume_ml": 1.5,
            "anaesthesia": {"type": "topical", "agent": "EMLA", "amount": "1 g"}}
    assert merge.merged((one, two), {"anaesthesia.agent": 1})["anaesthesia"]["agent"] \
        == "lidocaine"


def test_a_merged_session_on_a_day_without_consent_is_refused() -> None:
    clinic = generate(TODAY, 3)
    session = next(s for s in clinic.sessions if not s.voided)
    patient = next(p for p in clinic.patients if p.id == session.patient_id)
    data = replace(session, date=date(2000, 1, 3), consent_override=False).to_data()
    found = merge.problems("sessions", session.id, data, patient=patient, today=TODAY,
                           was=session.to_data())
    assert found and set(found) <= {"date", "consent"}


async def test_keeping_the_version_a_room_voided_keeps_the_session_voided(
        clinic: Store) -> None:
    """Room 1 voided a session while room 2 corrected its volume. Voiding is a revision's
    action, not a field: the form must show it, and keeping room 1's version must leave the
    session voided (it came back as a live session, counted toward the schedule again)."""
    from mesotui.tui.screens.conflict import settle

    record_id = two_versions(clinic, {}, {"volume_ml": 1.5}, a_action="void")
    app = MesoApp(clinic, TODAY, "clinic.json")
    async with app.run_test(size=(120, 50)) as pilot:
        await until_settled(pilot)
        form = await open_form(app, pilot, record_id)
        voided = version_of(form, "Dr A. Room1")
        shown = screen_text(app)
        assert f"Voided: version 1 {'yes' if voided == 0 else 'no'} · version 2 " \
            f"{'no' if voided == 0 else 'yes'}" in shown
        await pilot.press("escape")
        await until_settled(pilot)
        settle(clinic, record_id, sync_keys(clinic), voided, by="Dr M. Rahimi", at=clock(),
               reason="the session was logged twice")
        await until_settled(pilot)
    kept = clinic.session(record_id)
    assert kept.voided and kept.volume_ml != 1.5
    assert clinic.record(record_id).history[-1].reason == \
        "kept this version of two: the session was logged twice"


async def test_versions_changed_by_a_sync_while_the_form_is_open_are_not_settled_blindly(
        clinic: Store) -> None:
    """The practitioner chose among the versions shown; a sync that brings another room's
    resolution meanwhile changes them, and the choice would land on other versions."""
    record_id = two_versions(clinic, {"volume_ml": 1.5}, {"needle": "32G"})
    app = MesoApp(clinic, TODAY, "clinic.json")
    async with app.run_test(size=(120, 50)) as pilot:
        await until_settled(pilot)
        form = await open_form(app, pilot, record_id)
        replica = Replica(clinic.engine)  # another room's resolution, pulled meanwhile
        leaves = replica.trees([record_id])[record_id]
        elsewhere = tree.resolve(sync_keys(clinic), leaves, leaves[1], leaves[1].head["data"],
                                 at=clock() + timedelta(hours=2), by="Dr B. Room2",
                                 reason="room 2 settled it")
        replica.save(Batch({record_id: elsewhere}))
        form.query_one("#reason", Input).value = "mine"
        await pilot.press("ctrl+s")
        await until_settled(pilot)
        assert app.screen is form
        assert "a sync changed this record's versions while the form was open" in \
            " ".join(screen_text(app).split())
    assert Replica(clinic.engine).trees([record_id])[record_id] == elsewhere  # untouched
