"""Folding the journal into a large record file happens while the app is idle, a piece at a
time, never inside a save or on the way out; a save or a close meeting a fold under way
abandons it, and nothing is lost either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesotui import integrity
from mesotui.demo import generate
from mesotui.engine import backend, image, replay
from mesotui.store import Store
from mesotui.tui import folding
from mesotui.tui.app import MesoApp
from tests.conftest import TODAY, FixedClock, make_session


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every checkpoint counts as a group's large file (never folded on close), and a few
    saves are enough to fold while idle."""
    monkeypatch.setattr(backend, "FOLD_ON_CLOSE", 0)
    monkeypatch.setattr(backend, "FOLD_WHEN_IDLE", 3)
    monkeypatch.setattr(backend, "FOLD_PIECE", 4096)  # many pauses, even in a small file
    # ...and runs of unchanged documents copied 4 KB at a time too, or a small file's copy is
    # one piece, and the count of pauses would hang on how soon a thread's fsync returns.
    monkeypatch.setattr(image, "PIECE", 4096)


def clinic(path: Path, clock: FixedClock) -> list[str]:
    """A demo clinic in a record file (folded, indexed); its patients with consent today."""
    demo = generate(TODAY, 30, sessions_per_patient=3)
    with Store.open(path, clock=clock) as store:
        store.bulk_load(demo.patients, demo.sessions, demo.settings)
        return [p.id for p in store.patients() if p.consent_on(TODAY) is not None]


def stray_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.glob(f".{path.name}.*.tmp"))


def test_closing_a_large_file_after_saves_rewrites_nothing(tmp_path: Path, clock: FixedClock,
                                                           large: None) -> None:
    path = tmp_path / "clinic.json"
    patients = clinic(path, clock)
    store = Store.open(path, clock=clock)
    for patient_id in patients[:4]:
        store.log_session(make_session(patient_id, TODAY), TODAY)
    before, held = path.stat(), sum(len(store.sessions_for(p)) for p in patients[:4])
    store.close()
    assert (path.stat().st_ino, path.stat().st_size) == (before.st_ino, before.st_size)
    assert replay.journal_path(path).exists()  # the next open replays it
    with Store.open(path, readonly=True) as again:
        assert sum(len(again.sessions_for(p)) for p in patients[:4]) == held


def test_a_fold_stepped_to_its_end_holds_every_save(tmp_path: Path, clock: FixedClock,
                                                    large: None) -> None:
    path = tmp_path / "clinic.json"
    patients = clinic(path, clock)
    with Store.open(path, clock=clock) as store:
        saved = [store.log_session(make_session(p, TODAY), TODAY).id for p in patients[:3]]
        assert store.fold_wanted
        steps = list(store.folding())
        assert len(steps) >= 10  # it paused between pieces
        assert not replay.journal_path(path).exists() and not store.fold_wanted
        after = store.log_session(make_session(patients[3], TODAY), TODAY).id
    with Store.open(path, readonly=True) as again:
        assert not again.read_whole  # the fold left an index that describes the file
        assert all(again.session(s).id == s for s in [*saved, after])
        assert len({again.session(s).id for s in again.records.session_owners()}) == \
            len(again.records.session_owners())
    assert integrity.check(path).problems == []
    assert stray_files(path) == []


@pytest.mark.parametrize("interrupt", ["save", "close"])
def test_a_save_or_a_close_meeting_a_fold_under_way_abandons_it(
        tmp_path: Path, clock: FixedClock, large: None, interrupt: str) -> None:
    path = tmp_path / "clinic.json"
    patients = clinic(path, clock)
    store = Store.open(path, clock=clock)
    saved = [store.log_session(make_session(p, TODAY), TODAY).id for p in patients[:3]]
    before = path.read_bytes()
    steps = store.folding()
    next(steps)  # half-way: its temporary file is being written
    assert stray_files(path) != []
    if interrupt == "save":
        saved.append(store.log_session(make_session(patients[3], TODAY), TODAY).id)
        assert list(steps) == []  # abandoned: it does nothing more
    store.close()
    assert path.read_bytes() == before  # never put in place
    assert stray_files(path) == []
    with Store.open(path, readonly=True) as again:
        assert not again.read_whole  # its index still serves the next start
        assert all(again.session(s).id == s for s in saved)
    assert integrity.check(path).problems == []


def test_new_records_after_a_fold_of_replayed_saves_get_ids_of_their_own(
        tmp_path: Path, clock: FixedClock, large: None) -> None:
    """Opened through its index, with saves replayed from the journal, folded, then saved
    to: the new session takes a fresh place and overwrites none."""
    path = tmp_path / "clinic.json"
    patients = clinic(path, clock)
    with Store.open(path, clock=clock) as store:
        first = [store.log_session(make_session(p, TODAY), TODAY).id for p in patients[:3]]
    with Store.open(path, clock=clock) as store:
        assert not store.read_whole and replay.journal_path(path).exists()
        for _step in store.folding():
            pass
        later = store.log_session(make_session(patients[4], TODAY), TODAY).id
    with Store.open(path, readonly=True) as again:
        assert all(again.session(s).id == s for s in [*first, later])
    assert integrity.check(path).problems == []


async def test_the_app_folds_the_journal_once_the_window_is_quiet(
        tmp_path: Path, clock: FixedClock, large: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folding, "QUIET_S", 0.2)
    monkeypatch.setattr(folding, "CHECK_EVERY_S", 0.1)
    path = tmp_path / "clinic.json"
    patients = clinic(path, clock)
    store = Store.open(path, clock=clock)
    saved = [store.log_session(make_session(p, TODAY), TODAY).id for p in patients[:3]]
    app = MesoApp(store, TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.1)
            if app.folder.folds:
                break
        assert app.folder.folds == 1
        assert not replay.journal_path(path).exists()
    store.close()
    with Store.open(path, readonly=True) as again:
        assert not again.read_whole
        assert all(again.session(s).id == s for s in saved)
    assert integrity.check(path).problems == []
