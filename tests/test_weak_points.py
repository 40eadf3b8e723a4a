"""The weak points read in the code (issue 13, case 10), and private folders (issue 15).

Folders that gain an entry are fsynced, so the entry survives a power cut; a backup copied
(where a hard link is impossible) is private from its first byte; a save whose failed write
could not be rolled back never lets the next save land after the torn bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from mesotui.engine import durable, replay
from mesotui.errors import WriteFailed
from mesotui.store import Store
from tests.conftest import TODAY, make_patient

posix_only = pytest.mark.skipif(os.name != "posix", reason="folder fsync and modes are POSIX")


def watch_folder_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    synced: list[Path] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


@posix_only
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name fds")
def test_new_folders_and_the_backups_folder_are_fsynced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced = watch_folder_fsyncs(monkeypatch)
    path = tmp_path / "a" / "b" / "clinic.json"
    with Store.open(path) as opened:
        opened.add_patient(make_patient(name="First"), TODAY)
    assert {tmp_path, tmp_path / "a"} <= set(synced)  # each new folder's entry is durable
    synced.clear()
    with Store.open(path) as opened:
        opened.add_patient(make_patient(name="Second"), TODAY)  # close: backup, then fold
    backups = path.parent / "backups"
    assert durable.list_backups(path)
    assert backups in synced and path.parent in synced


@posix_only
def test_a_copied_backup_is_private_from_its_first_byte(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path) as opened:
        opened.add_patient(make_patient(name="First"), TODAY)

    def no_link(*args: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)  # only creation counts
    old = os.umask(0o022)
    try:
        with Store.open(path) as opened:
            opened.add_patient(make_patient(name="Second"), TODAY)
    finally:
        os.umask(old)
    backups = durable.list_backups(path)
    assert backups
    assert all(stat.S_IMODE(b.stat().st_mode) == 0o600 for b in backups)


def test_a_failed_rollback_never_lets_the_next_save_land_after_torn_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    store = Store.open(path)
    store.add_patient(make_patient(name="Before"), TODAY)
    real_write, real_truncate = os.write, os.ftruncate

    def half_then_full(fd: int, data: bytes) -> int:
        if len(data) > 40:
            real_write(fd, data[:len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    def cannot_truncate(fd: int, size: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "write", half_then_full)
    monkeypatch.setattr(os, "ftruncate", cannot_truncate)
    with pytest.raises(WriteFailed):
        store.add_patient(make_patient(name="Torn"), TODAY)
    monkeypatch.setattr(os, "write", real_write)
    reported = set()
    try:
        reported.add(store.add_patient(make_patient(name="After"), TODAY).name)
    except WriteFailed:
        pass  # refusing is fine: the journal could not be repaired
    monkeypatch.setattr(os, "ftruncate", real_truncate)
    try:
        reported.add(store.add_patient(make_patient(name="Repaired"), TODAY).name)
    except WriteFailed:
        pass
    store.close(fold=False)  # as if killed: the journal keeps every save
    with Store.open(path, readonly=True) as after:
        held = {p.name for p in after.patients()}
    assert "Torn" not in held
    assert reported <= held, f"reported saved but lost: {reported - held}"
    assert "Repaired" in reported  # once the disk works again, saving works again
    assert replay.journal_path(path).exists()


@posix_only
def test_folders_mesotui_creates_are_0700_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "new" / "deeper" / "clinic.json"
        with Store.open(path) as opened:
            opened.add_patient(make_patient(name="First"), TODAY)
        with Store.open(path) as opened:
            opened.add_patient(make_patient(name="Second"), TODAY)  # makes backups/
    finally:
        os.umask(old)
    for folder in (tmp_path / "new", tmp_path / "new" / "deeper",
                   tmp_path / "new" / "deeper" / "backups"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for file in path.parent.rglob("*"):
        if file.is_file():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
