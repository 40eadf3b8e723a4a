"""Restore: a kill at any point leaves the old or the restored file, and never mixes the two.

Issue 13, cases 1 and 2, and "a missing record file is never silently a new clinic".
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mesotui import recovery
from mesotui.cli import main
from mesotui.engine import durable, replay
from mesotui.errors import CorruptRecordFile, RecordFileError
from mesotui.store import Store
from tests.conftest import TODAY, make_patient

KILL_AT = """
import os, sys
n, target = int(sys.argv[1]), sys.argv[2:]
calls = [0]

def deadly(name):
    real = getattr(os, name)
    def call(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            os._exit(137)  # as SIGKILL: no cleanup, no flush
        return real(*args, **kwargs)
    setattr(os, name, call)

for name in ("fsync", "rename", "replace", "link", "unlink", "ftruncate", "mkdir"):
    deadly(name)
from mesotui.cli import main
code = main(target)
print("CALLS", calls[0], flush=True)
os._exit(code)
"""


def names(store: Store) -> set[str]:
    return {p.name for p in store.patients()}


def killed_writer_clinic(path: Path) -> tuple[set[str], set[str], Path]:
    """A clinic with backups, whose last writer was killed with saves only in its journal.

    Returns what the file holds (checkpoint and journal), what its newest backup holds, and
    that backup.
    """
    for name in ("First", "Second", "Third"):
        with Store.open(path) as opened:
            opened.add_patient(make_patient(name=name), TODAY)
    writer = Store.open(path)
    writer.add_patient(make_patient(name="Journal Only"), TODAY)  # acknowledged, not folded
    held = names(writer)
    writer.close(fold=False)  # as if killed: the journal keeps every save
    assert replay.journal_path(path).exists()
    backup = recovery.sound_backups(path)[0].path
    with Store.open(backup, readonly=True) as old:
        return held, names(old), backup


def kept_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("clinic.replaced-*.json"))


def test_a_restore_killed_at_any_file_system_call_leaves_old_or_restored_never_neither(
        tmp_path: Path) -> None:
    """Every fsync, rename, link, unlink and truncate of `mesotui restore` is a kill point."""
    source = tmp_path / "source"
    held, in_backup, backup = killed_writer_clinic(source / "clinic.json")
    assert held != in_backup
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    outcomes = set()
    for n in range(1, 200):
        trial = tmp_path / f"kill-{n}"
        _copy_tree(source, trial)
        path = trial / "clinic.json"
        args = ["restore", str(trial / "backups" / backup.name), "--yes", "--db", str(path),
                "--today", TODAY.isoformat()]
        done = subprocess.run([sys.executable, "-c", KILL_AT, str(n), *args], env=env,
                              capture_output=True, text=True, timeout=60)
        finished = "CALLS" in done.stdout
        assert path.exists(), f"kill {n}: no record file at all"
        with Store.open(path) as after:
            now = names(after)
        if now == held:
            outcomes.add("old")
            assert not finished, f"kill {n}: restore said done but the file is the old one"
        else:
            assert now == in_backup, f"kill {n}: the file holds {sorted(now)}"
            outcomes.add("restored")
            kept = kept_files(trial)
            assert kept, f"kill {n}: restored, but the replaced file was not kept"
            with Store.open(kept[-1], readonly=True) as replaced:
                assert names(replaced) == held, f"kill {n}: the kept file lost saves"
        if finished:
            assert done.returncode == 0, done.stderr
            break
    else:
        pytest.fail("restore never finished")
    assert outcomes == {"old", "restored"}
    assert n > 5  # the loop really went through the write path


def _copy_tree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target)
    (target / "clinic.json.lock").unlink(missing_ok=True)


def test_two_restores_in_the_same_second_keep_both_replaced_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return datetime(2026, 1, 15, 9, 30, 0, tzinfo=UTC)

    monkeypatch.setattr(recovery, "datetime", Frozen, raising=False)
    path = tmp_path / "clinic.json"
    held, in_backup, backup = killed_writer_clinic(path)
    recovery.restore(path, backup)
    second = recovery.sound_backups(path)[-1].path
    recovery.restore(path, second)
    kept = kept_files(tmp_path)
    assert len(kept) == 2
    holdings = []
    for replaced in kept:
        with Store.open(replaced, readonly=True) as opened:
            holdings.append(names(opened))
    assert held in holdings  # the original file, with its journal's save, is still there


def test_a_restore_never_replays_the_old_journal_onto_the_restored_file(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    held, in_backup, backup = killed_writer_clinic(path)
    recovery.restore(path, backup)
    with Store.open(path) as restored:
        assert names(restored) == in_backup
    assert not replay.journal_path(path).exists()


@pytest.mark.parametrize("beside", ["journal", "replaced", "backups", "index"])
def test_a_missing_record_file_next_to_its_other_files_is_never_a_new_clinic(
        tmp_path: Path, beside: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.json"
    killed_writer_clinic(path)
    if beside == "replaced":
        path.rename(tmp_path / "clinic.replaced-20260115T093000Z.json")
    else:
        path.unlink()
    if beside != "journal":
        replay.journal_path(path).unlink(missing_ok=True)
    if beside not in ("backups",):
        for old in durable.list_backups(path):
            old.unlink()
    if beside != "index":
        (tmp_path / "clinic.json.index").unlink(missing_ok=True)
    with pytest.raises(CorruptRecordFile, match="missing"):
        Store.open(path)
    assert not path.exists()
    assert main(["add-patient", "--name", "New", "--sex", "male", "--dob", "1970-01-01",
                 "--db", str(path), "--today", TODAY.isoformat()]) == 1
    err = capsys.readouterr().err
    assert "missing" in err and err.count("\n") == 1
    assert not path.exists()
    assert main(["check", "--db", str(path)]) == 1


def test_a_brand_new_clinic_still_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "new" / "clinic.json"
    with Store.open(path) as fresh:
        assert fresh.patients() == []
    assert path.exists()


def test_restoring_over_a_missing_file_is_allowed(tmp_path: Path) -> None:
    """The way out of the refusal above: restore a backup explicitly."""
    path = tmp_path / "clinic.json"
    _held, in_backup, backup = killed_writer_clinic(path)
    path.unlink()
    with pytest.raises(RecordFileError):
        Store.open(path)
    recovery.restore(path, backup)
    with Store.open(path) as restored:
        assert names(restored) == in_backup
