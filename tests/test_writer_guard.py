"""A writer that is no longer the only one refuses to save, and never overwrites another's save.

Issue 13, case 3 (a deleted lock file), and the record path's symlinks (case 4).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mesotui.cli import main
from mesotui.errors import WriteFailed
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock, make_patient


def add_by_command(path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["add-patient", "--name", name, "--sex", "male", "--dob", "1970-01-01",
                 "--db", str(path), "--today", TODAY.isoformat()]) == 0
    return capsys.readouterr().out.strip()


def ids(path: Path) -> set[str]:
    with Store.open(path, readonly=True) as reader:
        return {p.id for p in reader.patients()}


def test_a_writer_whose_lock_was_deleted_never_overwrites_the_next_writers_save(
        tmp_path: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.json"
    first = Store.open(path, clock=clock)
    mine = first.add_patient(make_patient(name="Saved By A"), TODAY).id
    Path(str(path) + ".lock").unlink()
    theirs = add_by_command(path, "Saved By B", capsys)  # got in: the lock file was gone
    with pytest.raises(WriteFailed, match="lock"):
        first.add_patient(make_patient(name="Refused"), TODAY)
    with pytest.raises(WriteFailed):
        first.close()  # says so, and writes nothing
    assert ids(path) == {mine, theirs}


def test_interleaved_saves_after_a_deleted_lock_are_refused_not_lost(
        tmp_path: Path, clock: FixedClock) -> None:
    """B opens while A runs; A's next save must not take a journal number B also uses."""
    path = tmp_path / "clinic.json"
    first = Store.open(path, clock=clock)
    first.add_patient(make_patient(name="A one"), TODAY)
    Path(str(path) + ".lock").unlink()
    second = Store.open(path, clock=FixedClock())
    reported = {second.add_patient(make_patient(name="B one"), TODAY).id}
    try:
        reported.add(first.add_patient(make_patient(name="A two"), TODAY).id)
    except WriteFailed:
        pass
    try:
        reported.add(second.add_patient(make_patient(name="B two"), TODAY).id)
    except WriteFailed:
        pass
    for store in (second, first):  # the stale writer closes last
        try:
            store.close()
        except WriteFailed:
            pass
    held = ids(path)
    assert reported <= held, f"reported saved but lost: {reported - held}"


def test_a_checkpoint_refuses_a_record_file_replaced_under_it(
        tmp_path: Path, clock: FixedClock) -> None:
    """Another program wrote the record file while this window had it open."""
    path = tmp_path / "clinic.json"
    with Store.open(path, clock=clock) as setup:
        setup.add_patient(make_patient(name="Before"), TODAY)
    writer = Store.open(path, clock=clock)
    writer.add_patient(make_patient(name="In the journal"), TODAY)
    other = tmp_path / "other.json"
    with Store.open(other, clock=FixedClock()) as elsewhere:
        elsewhere.add_patient(make_patient(name="From elsewhere"), TODAY)
    os.replace(other, path)
    (tmp_path / "other.json.index").unlink(missing_ok=True)
    replaced = path.read_bytes()
    with pytest.raises(WriteFailed, match="changed"):
        writer.close()
    assert path.read_bytes() == replaced


def test_a_symlinked_record_path_writes_beside_the_real_file(
        tmp_path: Path, clock: FixedClock) -> None:
    real = tmp_path / "encrypted" / "clinic.json"
    home = tmp_path / "home"
    home.mkdir()
    link = home / "clinic.json"
    with Store.open(real, clock=clock) as setup:
        setup.add_patient(make_patient(name="First"), TODAY)
    link.symlink_to(real)
    with Store.open(link, clock=clock) as through_link:
        added = through_link.add_patient(make_patient(name="Through the link"), TODAY).id
        assert Path(str(real) + ".lock").exists() and not Path(str(link) + ".lock").exists()
    assert link.is_symlink() and link.resolve() == real
    assert added in ids(real)
    assert sorted(p.name for p in home.iterdir()) == ["clinic.json"]
    assert (real.parent / "backups").is_dir()


def test_a_command_through_a_symlink_takes_the_real_files_lock(
        tmp_path: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]) -> None:
    real = tmp_path / "encrypted" / "clinic.json"
    link = tmp_path / "clinic.json"
    with Store.open(real, clock=clock) as setup:
        setup.add_patient(make_patient(name="First"), TODAY)
    link.symlink_to(real)
    holder = Store.open(real, clock=clock)
    try:
        assert main(["add-patient", "--name", "Refused", "--sex", "male", "--dob",
                     "1970-01-01", "--db", str(link), "--today", TODAY.isoformat()]) == 1
        assert "open in another mesotui window" in capsys.readouterr().err
    finally:
        holder.close()
