"""A corrupt record file: sound backups found, one restored as the working copy, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesotui import recovery
from mesotui.cli import main
from mesotui.errors import CorruptRecordFile
from mesotui.store import Store
from tests.conftest import TODAY, make_patient


def clinic_with_backups(path: Path) -> None:
    """Three working sessions, one patient added in each: each close writes a checkpoint."""
    for name in ("First", "Second", "Third"):
        with Store.open(path) as opened:
            opened.add_patient(make_patient(name=name), TODAY)


def corrupt(path: Path) -> bytes:
    damaged = path.read_bytes()[:-40]  # a truncated save, as from a failing disk
    path.write_bytes(damaged)
    return damaged


def test_sound_backups_are_listed_newest_first_with_what_they_hold(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    clinic_with_backups(path)
    corrupt(path)
    (path.parent / "backups" / "clinic-20990101T000000000000Z.json").write_text("{broken")
    backups = recovery.sound_backups(path)
    assert [b.patients for b in backups][:2] == [2, 1]  # the broken newest one is skipped
    saved = [b.saved for b in backups]
    assert saved == sorted(saved, reverse=True)


def test_restore_makes_a_backup_the_working_copy_and_keeps_the_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    clinic_with_backups(path)
    damaged = corrupt(path)
    with pytest.raises(CorruptRecordFile):
        Store.open(path)
    newest = recovery.sound_backups(path)[0]
    kept = recovery.restore(path, newest.path)
    assert kept is not None and kept.read_bytes() == damaged
    with Store.open(path) as restored:
        assert sorted(p.name for p in restored.patients()) == ["First", "Second"]
        restored.add_patient(make_patient(name="After restore"), TODAY)  # usable again


def test_restore_command_needs_confirmation_then_restores(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.json"
    clinic_with_backups(path)
    damaged = corrupt(path)
    assert main(["restore", "--db", str(path)]) == 0
    listing = capsys.readouterr().out
    assert "2 patients" in listing
    backup = recovery.sound_backups(path)[0].path
    assert main(["restore", str(backup), "--db", str(path)]) == 2  # no terminal, no --yes
    assert path.read_bytes() == damaged
    assert main(["restore", str(backup), "--db", str(path), "--yes"]) == 0
    assert "Restored" in capsys.readouterr().out
    with Store.open(path, readonly=True) as restored:
        assert len(restored.patients()) == 2
    assert [p.read_bytes() for p in tmp_path.glob("clinic.replaced-*.json")] == [damaged]


def test_restoring_a_file_that_is_not_a_record_changes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.json"
    clinic_with_backups(path)
    before = path.read_bytes()
    bogus = tmp_path / "notes.json"
    bogus.write_text("[1, 2]")
    assert main(["restore", str(bogus), "--db", str(path), "--yes"]) == 1
    assert "is not a sound backup" in capsys.readouterr().err
    assert path.read_bytes() == before


async def test_the_recovery_screen_offers_backups_and_restores_one(tmp_path: Path) -> None:
    from mesotui.tui.recovery import RecoveryApp

    path = tmp_path / "clinic.json"
    clinic_with_backups(path)
    damaged = corrupt(path)
    app = RecoveryApp(path, f"{path}: is not valid JSON")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "is not valid JSON" in str(app.query_one("#problem").render())
        # The title and key lines take one line each; the problem and the backups are seen.
        from mesotui.tui.widgets.keybar import KeyBar
        from mesotui.tui.widgets.titlebar import TitleBar

        assert app.query_one(TitleBar).region.height == app.query_one(KeyBar).region.height == 1
        assert app.query_one("#problem").region.height >= 1
        assert app.query_one("#backups").region.height >= 1
        assert "Restore selected backup" in app.query_one(KeyBar).render_line(0).text
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_value == path
    with Store.open(path) as restored:
        assert len(restored.patients()) == 2
    assert [p.read_bytes() for p in tmp_path.glob("clinic.replaced-*.json")] == [damaged]
