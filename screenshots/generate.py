"""Regenerate screenshots/*.svg from the demo clinic at 2026-01-15."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from mesotui.demo import generate
from mesotui.store import Store
from mesotui.tui.app import MesoApp

TODAY = date(2026, 1, 15)
HERE = Path(__file__).parent
ANSWERED = {"#lot": "DU25-0412", "#expiry": "2027-06-30", "#no-effects": True,
            "#counselling": True}
"""What a new session needs besides its defaults (set in this order: a lot sets its expiry)."""
SHOTS: dict[str, tuple[tuple[str, ...], dict[str, object]]] = {
    "patients": ((), {}),
    "patients-filtered": (("slash", "n", "o", "v"), {}),
    "record": (("enter",), {}),
    "log-session": (("l",), {}),
    "log-session-errors": (("l",), {"#volume": "abc", "#expiry": "2025-12-01"}),
    "session-detail": (("down", "enter", "enter"), {}),
    "course": (("enter", "c"), {}),
    "patient-form": (("n",), {}),
    "settings": (("s",), {}),
    "help": (("question_mark",), {}),
    "record-outcomes": (("slash", *"P-00004", "enter", "enter"), {}),
    "evaluation-form": (("enter", "E"), {}),
    "consent": (("enter", "k"), {}),
    "consent-override": (("slash", *"P-00008", "enter", "enter", "l"), ANSWERED),
    "log-session-reason": (("slash", *"P-00003", "enter", "enter", "l"), ANSWERED),
    "reports": (("r",), {}),
    "export": (("e",), {}),
}
AFTER = {"log-session-errors": ("ctrl+s",), "consent-override": ("ctrl+s",),
         "log-session-reason": ("ctrl+s",)}


def demo_app() -> MesoApp:
    store = generate(TODAY).load_into(
        Store.in_memory(clock=lambda: datetime(2026, 1, 15, 9, 30, tzinfo=UTC)))
    return MesoApp(store=store, today=TODAY, db_label="demo clinic (throwaway copy)")


async def shoot(name: str, keys: tuple[str, ...], typed: dict[str, object],
                size: tuple[int, int] = (120, 36)) -> None:
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            await pilot.pause()
        for selector, value in typed.items():
            app.screen.query_one(selector).value = value
            await pilot.pause()
        for key in AFTER.get(name, ()):
            await pilot.press(key)
        await pilot.pause()
        await pilot.pause()
        app.save_screenshot(f"{name}.svg", path=str(HERE))


async def shoot_view_only() -> None:
    """A second window on a file another window has open: view only, following its saves."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mesotui-shot-"))
    db = folder / "clinic.json"
    clock = lambda: datetime(2026, 1, 15, 9, 30, tzinfo=UTC)  # noqa: E731
    generate(TODAY).load_into(Store.open(db, clock=clock)).close()
    app = MesoApp(store=Store.open(db, readonly=True, clock=clock), today=TODAY,
                  db_label="clinic.json", view_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        for key in ("enter",):
            await pilot.pause()
            await pilot.press(key)
        await pilot.pause(0.3)
        app.save_screenshot("view-only.svg", path=str(HERE))


async def shoot_conflict() -> None:
    """A session two rooms amended while apart, merged field by field before saving."""
    from textual.widgets import Input, Select

    from mesotui import history
    from mesotui.engine.replica import Replica
    from mesotui.sync import tree
    from mesotui.sync.keys import SyncKeys
    from mesotui.sync.replica import Batch
    from mesotui.sync.tree import Leaf
    from mesotui.tui.screens.conflict import ConflictScreen

    app = demo_app()
    store, keys = app.store, SyncKeys.derive(bytes(32), "0" * 32)
    session = next(s for s in store.sessions() if s.patient_id == "P-00002" and not s.voided)
    (base,) = Replica(store.engine).trees([session.id])[session.id]

    def amended(changes: dict[str, object], by: str, reason: str) -> Leaf:
        revisions = tuple(history.Revision.from_doc(r) for r in base.revisions)
        grown = history.append(revisions, "amend", {**revisions[-1].data, **changes},
                               at=datetime(2026, 1, 15, 11, 0, tzinfo=UTC), by=by,
                               reason=reason)
        return Leaf(base.table, {**base.doc, "history": [r.to_doc() for r in grown]})

    leaves = (amended({"volume_ml": 1.5, "dose_notes": "slower pace at the crown"},
                      "Dr B. Osei", "volume corrected"),
              amended({"needle": "32G 4 mm", "dose_notes": "mild bruising at the vertex"},
                      "Dr M. Rahimi", "needle noted"))
    Replica(store.engine).save(Batch({session.id: tree.ordered(keys, leaves)}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(ConflictScreen(store, session.id, keys, by="Dr M. Rahimi",
                                       now=datetime(2026, 1, 15, 12, 0, tzinfo=UTC)))
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ConflictScreen)
        osei = next(n for n, v in enumerate(form.versions) if v.head["by"] == "Dr B. Osei")
        for n, choice in enumerate(form.choices):
            form.query_one(f"#pick-{n}", Select).value = \
                osei if choice.field == "volume_ml" else 1 - osei
        form.query_one("#reason", Input).value = "Dr Osei's volume, Dr Rahimi's needle and note"
        for _ in range(3):
            await pilot.pause()
        app.save_screenshot("conflict.svg", path=str(HERE))


async def main() -> None:
    for name, (keys, typed) in SHOTS.items():
        await shoot(name, keys, typed)
        print(HERE / f"{name}.svg")
    await shoot("patients-80x24", (), {}, size=(80, 24))
    print(HERE / "patients-80x24.svg")
    await shoot_view_only()
    print(HERE / "view-only.svg")
    await shoot_conflict()
    print(HERE / "conflict.svg")


if __name__ == "__main__":
    asyncio.run(main())
