"""A nearly full disk: opening needs no room beyond the first save's (issue 13, case 9)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mesotui.cli import main
from mesotui.engine import durable, replay
from mesotui.errors import WriteFailed
from mesotui.store import Store
from tests.conftest import TODAY, make_patient


def clinic_with_a_journal(path: Path) -> None:
    with Store.open(path) as opened:
        opened.add_patient(make_patient(name="Folded"), TODAY)
    writer = Store.open(path)
    writer.add_patient(make_patient(name="In the journal"), TODAY)
    writer.close(fold=False)  # as if killed: the journal keeps every save
    assert replay.journal_path(path).exists()


def disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_opening_with_a_journal_needs_no_room_for_a_new_checkpoint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    clinic_with_a_journal(path)
    before = path.read_bytes()
    monkeypatch.setattr(durable, "atomic_write", disk_full)  # no room for a whole new file
    store = Store.open(path)
    assert {p.name for p in store.patients()} == {"Folded", "In the journal"}
    store.add_patient(make_patient(name="Saved on a full disk"), TODAY)  # the journal has room
    store.close()  # cannot fold: the journal keeps everything
    assert path.read_bytes() == before
    monkeypatch.undo()
    with Store.open(path, readonly=True) as after:
        assert "Saved on a full disk" in {p.name for p in after.patients()}


def test_the_command_line_opens_and_saves_on_a_disk_too_full_to_fold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.json"
    clinic_with_a_journal(path)
    monkeypatch.setattr(durable, "atomic_write", disk_full)
    assert main(["due", "--db", str(path), "--today", TODAY.isoformat()]) == 0
    assert main(["add-patient", "--name", "Ana", "--sex", "female", "--dob", "1980-01-01",
                 "--db", str(path), "--today", TODAY.isoformat()]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("P-")


def test_a_full_disk_is_reported_when_a_save_is_attempted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    clinic_with_a_journal(path)
    store = Store.open(path)
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(WriteFailed, match="No space left on device"):
        store.add_patient(make_patient(name="No room"), TODAY)
    monkeypatch.setattr(os, "write", real_write)
    store.close()


TMPFS = shutil.which("mount") is not None and hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.skipif(not TMPFS or not sys.platform.startswith("linux"),
                    reason="needs root to mount a small tmpfs (the mocked tests above still run)")
def test_a_real_400k_tmpfs_with_little_room_left(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        path = mount / "clinic.json"
        clinic_with_a_journal(path)
        for backup in durable.list_backups(path):
            backup.unlink()
        filler = mount / "filler"
        free = shutil.disk_usage(mount).free
        record = path.stat().st_size
        filler.write_bytes(b"\0" * max(0, free - record // 2))  # room for saves, not a fold
        args = ["--db", str(path), "--today", TODAY.isoformat()]
        assert main(["due", *args]) == 0
        assert main(["add-patient", "--name", "Ana", "--sex", "female", "--dob",
                     "1980-01-01", *args]) == 0
    finally:
        subprocess.run(["umount", str(mount)], check=False)
