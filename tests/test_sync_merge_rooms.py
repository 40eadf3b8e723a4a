"""Two rooms against a real pouchdb-server: concurrent amends of different fields and of the
same field of one session, merged field by field in room A's app; room B, after a sync,
shows the merged values, one live version, and both old versions in the history."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input, Select

from mesotui.store import Store
from mesotui.sync import codec
from mesotui.tui.screens.conflict import ConflictScreen
from tests.couchdb import PouchServer
from tests.test_sync_app import b_keys, clinic, room_b, server, syncing_app, until  # noqa: F401 (fixtures)
from tests.test_tui_support import TODAY, clock, screen_text, until_settled


async def test_a_merge_made_in_room_a_is_what_room_b_shows_after_a_sync(
        clinic: Store, server: PouchServer) -> None:  # noqa: F811
    database = "clinic-merge"
    app = syncing_app(clinic, server, database)
    async with app.run_test(size=(120, 50)) as pilot:
        await until_settled(pilot)
        await until(pilot, lambda: app.syncing is not None and app.syncing.syncs >= 1)
        syncing = app.syncing
        assert syncing is not None
        b, sync_b = room_b(clinic, server, database)
        sync_b.sync()
        session = next(s for s in clinic.sessions() if not s.voided and s.needle != "32G")
        b.amend(session.id, {"volume_ml": 1.5, "dose_notes": "room B's note"}, at=clock(),
                reason="volume corrected", by="Dr B. Osei")  # room B, while apart
        syncing.stop()  # room A offline meanwhile: a different field, and the same one
        clinic.amend_session(replace(session, needle="32G", dose_notes="room A's note"),
                             TODAY, reason="needle noted", by="Dr M. Rahimi")
        a_revision = clinic.record(session.id).history[-1].hash
        b_revision = b.record(session.id)["history"][-1]["hash"]
        sync_b.sync()
        syncing.stopping.clear()
        syncing.soon()
        await until(pilot, lambda: "1 conflict" in app.sub_title)

        syncing.compare(session.id)
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await until_settled(pilot)
        form = app.screen
        assert isinstance(form, ConflictScreen)
        room_a = next(n for n, v in enumerate(form.versions) if v.head["by"] == "Dr M. Rahimi")
        rows = {c.field: i for i, c in enumerate(form.choices)}
        assert set(rows) == {"volume_ml", "needle", "dose_notes"}
        picks = {"volume_ml": 1 - room_a, "needle": room_a, "dose_notes": 1 - room_a}
        for field, n in picks.items():  # B's volume and note, A's needle
            form.query_one(f"#pick-{rows[field]}", Select).focus()
            await pilot.press(str(n + 1))
        await until_settled(pilot)
        shown = screen_text(app)
        assert "Saved as a merge of the versions:" in shown
        assert f"Needle: 32G (version {room_a + 1})" in shown
        assert f"Dose notes: “room B's note” (version {2 - room_a})" in shown
        form.query_one("#reason", Input).value = "B's volume and note, A's needle"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ConflictScreen))
        await until(pilot, lambda: "conflict" not in app.sub_title
                    and "waiting" not in app.sub_title)
    merged = clinic.session(session.id)
    assert (merged.volume_ml, merged.needle, merged.dose_notes) == (1.5, "32G", "room B's note")

    report = sync_b.sync()
    assert not report.quarantined  # the merge verifies with the clinic key in room B
    leaves = b.leaves(session.id)
    live = [leaf for leaf in leaves if not leaf.deleted]
    assert len(live) == 1 and len(leaves) == 2
    data = live[0].head["data"]
    assert (data["volume_ml"], data["needle"], data["dose_notes"]) == \
        (1.5, "32G", "room B's note")
    assert live[0].head["reason"].startswith("merged two versions (")
    kept = {r["hash"] for leaf in leaves for r in leaf.revisions}
    assert {a_revision, b_revision} <= kept  # both old versions still in the history
    for leaf in leaves:  # and what room B would send on verifies as well
        keys = b_keys(clinic)
        assert codec.decode(keys, codec.encode(keys, leaf)) == leaf
    assert sync_b.sync().pulled == 0  # converged: nothing more to bring
