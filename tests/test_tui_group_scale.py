"""A group's record file in the app: nothing the first keystrokes and the first record opened
need waits behind work the list does not need (issue 19, at 20,000 patients)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesotui.demo import generate
from mesotui.engine import image, index
from mesotui.store import Store
from mesotui.tui import background, folding
from mesotui.tui.app import MesoApp
from mesotui.tui.screens.record import RecordScreen
from tests.conftest import TODAY, FixedClock


def clinic(path: Path, clock: FixedClock) -> None:
    """A demo clinic whose start-up index holds its session rows ten to a line."""
    demo = generate(TODAY, 40, sessions_per_patient=4)
    with Store.open(path, clock=clock) as store:
        store.bulk_load(demo.patients, demo.sessions, demo.settings)
    assert image.index_path(path).exists()


async def test_the_first_record_opened_finds_its_screen_built_while_the_list_showed(
        tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    clinic(path, clock)
    with Store.open(path, clock=clock) as store:
        app = MesoApp(store, TODAY)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):  # built soon after the list shows, before anyone pressed enter
                await pilot.pause(0.05)
                if app.is_screen_installed("record") and app.get_screen("record").is_mounted:
                    break
            built = app.get_screen("record")
            await pilot.pause()
            assert built.is_running and built.query_one("#sessions").row_count
            await pilot.press("down", "enter")
            await pilot.pause()
            assert app.screen is built  # the same screen, now showing the chosen patient
            chosen = app.screen_stack[-2].patients.current.patient  # type: ignore[attr-defined]
            assert isinstance(app.screen, RecordScreen) and app.screen.patient_id == chosen.id
            assert chosen.name in str(app.screen.query_one("#identity").render())


async def test_the_sessions_are_summarised_only_once_nobody_types(
        tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "CHUNK", 10)
    path = tmp_path / "clinic.json"
    clinic(path, clock)
    now = [1000.0]  # the app's sense of time: it moves only when the test says
    monkeypatch.setattr(background, "monotonic", lambda: now[0])
    monkeypatch.setattr(folding, "monotonic", lambda: now[0])
    monkeypatch.setattr(background, "PREPARE_QUIET_S", 0.05)
    monkeypatch.setattr(background, "PREPARE_SLICE_S", 0.0)  # a line at a time, then a check
    with Store.open(path, clock=clock) as store:
        app = MesoApp(store, TODAY)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("slash", "a", "n")  # typing, no pause long enough to read them
            await pilot.pause(0.3)
            assert not store.records.known
            await pilot.press("escape", "escape", "enter")  # a record opens from its own rows
            await pilot.pause(0.3)
            assert isinstance(app.screen, RecordScreen) and app.screen.table.row_count
            assert not store.records.known
            now[0] += 1.0  # a second without a key: now they are read
            await pilot.pause(0.5)
            assert store.records.known
