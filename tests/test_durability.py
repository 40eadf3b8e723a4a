"""Crash safety: SIGKILL mid-save, corrupt files, a second window, private file modes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mesotui.engine import durable
from mesotui.errors import CorruptRecordFile, RecordFileLocked
from mesotui.store import Store
from tests import torture
from tests.conftest import TODAY, make_patient

posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and file modes are POSIX")


@posix_only
def test_a_writer_killed_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    """25 SIGKILLs mid-write: the file always parses and holds every operation reported saved."""
    result = torture.run(tmp_path / "clinic.json", kills=25, seed=7, kinds={"save": 1})
    assert result.losses == []
    assert result.kills == 25 and result.operations_verified > 100


@posix_only
def test_restores_imports_and_checkpoints_killed_at_random_moments_lose_nothing(
        tmp_path: Path) -> None:
    """The long run's four kinds of kill, briefly: save, fold, restore, import."""
    result = torture.run(tmp_path / "clinic.json", kills=24, seed=11,
                         kinds={"save": 0.4, "restore": 0.3, "import": 0.3})
    assert result.losses == []
    assert {"restore", "import"} <= set(result.by_kind)


@pytest.mark.parametrize("content", [b'{"patients": {"1": {"id": "P-1"', b"\x00\x00garbage",
                                     b"[1, 2, 3]", b'{"patients": {"1": {"id": "P-1"}}}'])
def test_a_corrupt_file_is_reported_and_left_byte_identical(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clinic.json"
    path.write_bytes(content)
    with pytest.raises(CorruptRecordFile) as raised:
        Store.open(path)
    assert str(path) in str(raised.value)
    assert path.read_bytes() == content
    assert not (tmp_path / "backups").exists()


def test_a_second_opener_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path):
        started = time.monotonic()
        with pytest.raises(RecordFileLocked) as raised:
            Store.open(path)
        assert time.monotonic() - started < 2
    assert str(raised.value).startswith("clinic.json is open in another mesotui window")
    Store.open(path).close()  # released on close


HOLDER = """
import sys, time
from mesotui.store import Store
store = Store.open(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


@posix_only
def test_a_killed_holder_never_leaves_a_lock_behind(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(RecordFileLocked):
            Store.open(path)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    Store.open(path).close()


@posix_only
def test_record_file_backups_and_lock_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "new-clinic-folder"
    path = folder / "clinic.json"
    with Store.open(path) as opened:
        opened.add_patient(make_patient(), TODAY)
        opened.add_patient(make_patient(name="Second"), TODAY)
        assert stat.S_IMODE(Path(str(path) + ".lock").stat().st_mode) == 0o600
        assert stat.S_IMODE(Path(str(path) + ".journal").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    backups = durable.list_backups(path)
    assert backups and all(stat.S_IMODE(b.stat().st_mode) == 0o600 for b in backups)
    assert stat.S_IMODE(durable.backup_dir(path).stat().st_mode) == 0o700


def test_each_checkpoint_keeps_the_previous_file_as_a_backup(tmp_path: Path) -> None:
    """Closing folds the journal into a new record file; the one it replaces is kept."""
    path = tmp_path / "clinic.json"
    with Store.open(path) as opened:
        opened.add_patient(make_patient(name="First"), TODAY)
    before_second = path.read_bytes()
    with Store.open(path) as opened:
        opened.add_patient(make_patient(name="Second"), TODAY)
        assert path.read_bytes() == before_second  # saves go to the journal meanwhile
    assert durable.list_backups(path)[0].read_bytes() == before_second
    with Store.open(path, readonly=True) as again:
        assert sorted(p.name for p in again.patients()) == ["First", "Second"]


def test_backups_are_rotated(tmp_path: Path) -> None:
    """40 days of 3 saves each: the last 20 saves, the first of each of the 24 newest hours
    that have one, and the first save of each of 30 days."""
    from datetime import date, timedelta

    path = tmp_path / "clinic.json"
    folder = durable.backup_dir(path)
    folder.mkdir()
    for offset in range(40):
        day = date(2025, 10, 1) + timedelta(days=offset)
        for n in range(3):
            (folder / f"clinic-{day:%Y%m%d}T0{n}0000000000Z.json").write_text("{}")
    durable.prune_backups(path)
    kept = durable.list_backups(path)
    assert kept[0].name == "clinic-20251109T020000000000Z.json"  # the newest save
    # 20 saves (7 days), 4 more hours, and the first save of the 22 days before: 46.
    assert len(kept) == 20 + 4 + 22
    assert len({b.name[7:15] for b in kept}) == 30
    assert kept[-1].name == "clinic-20251011T000000000000Z.json"  # oldest day's first save


def test_stale_temporary_files_are_cleared_on_open(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    stale = tmp_path / ".clinic.json.abc123.tmp"
    stale.write_text("half a save")
    Store.open(path).close()
    assert not stale.exists()
