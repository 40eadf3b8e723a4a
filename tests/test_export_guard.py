"""No export can overwrite the record file or the files that keep it (issue 13, case 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesotui import export
from mesotui.cli import main
from mesotui.engine import durable, replay
from mesotui.errors import MesoError
from mesotui.store import Store
from tests.conftest import TODAY, make_patient


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.json"
    for name in ("First", "Second"):
        with Store.open(path) as opened:
            opened.add_patient(make_patient(name=name), TODAY)
    writer = Store.open(path)  # leaves a journal behind, as a killed window would
    writer.add_patient(make_patient(name="Journal"), TODAY)
    writer.close(fold=False)  # as if killed: the journal keeps every save
    return path


def family(path: Path) -> list[Path]:
    return [path, replay.journal_path(path), path.with_name(path.name + ".index"),
            path.with_name(path.name + ".lock"), *durable.list_backups(path)]


@pytest.mark.parametrize("member", range(5))
def test_export_onto_the_record_file_or_its_companions_is_refused(
        clinic: Path, member: int, capsys: pytest.CaptureFixture[str]) -> None:
    target = family(clinic)[member]
    assert target.exists()
    before = {p: p.read_bytes() for p in family(clinic)}
    assert main(["export", "-o", str(target), "--db", str(clinic),
                 "--today", TODAY.isoformat()]) == 1
    err = capsys.readouterr().err
    assert "record file" in err and err.count("\n") == 1
    assert {p: p.read_bytes() for p in family(clinic)} == before


def test_export_through_a_symlink_onto_the_record_file_is_refused(
        clinic: Path, tmp_path: Path) -> None:
    link = tmp_path / "out.json"
    link.symlink_to(clinic)
    before = clinic.read_bytes()
    with pytest.raises(MesoError, match="record file"):
        export.write_bytes(b"{}", link)
    assert clinic.read_bytes() == before


def test_export_onto_another_clinics_record_file_is_refused(clinic: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / "clinic.json"
    with Store.open(other) as opened:
        opened.add_patient(make_patient(name="Elsewhere"), TODAY)
    before = other.read_bytes()
    with pytest.raises(MesoError, match="record file"):
        export.write_bytes(b"{}", other)
    assert other.read_bytes() == before


def test_an_ordinary_export_file_is_still_replaced(clinic: Path, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    assert main(["export", "-o", str(target), "--db", str(clinic),
                 "--today", TODAY.isoformat()]) == 0
    assert main(["export", "-o", str(target), "--db", str(clinic),
                 "--today", TODAY.isoformat()]) == 0
    assert b"mesotui-export" in target.read_bytes()


def test_an_export_onto_a_device_or_a_pipe_never_replaces_it(tmp_path: Path) -> None:
    """`export -o /dev/null` once replaced the system's /dev/null with a regular file: a
    target that exists and is not a regular file is refused, and left as it was."""
    import os
    import stat

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(OSError, match="not a regular file"):
        durable.atomic_write(pipe, b"{}", keep_backup=False)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert list(tmp_path.iterdir()) == [pipe]  # no temporary file left behind
