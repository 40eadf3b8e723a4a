"""The clinic key: kept outside the record folder, moved with one command, missed plainly,
and made for clinics from before seals on their first open (issue 14)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import orjson
import pytest

from mesotui import recovery
from mesotui.cli import main
from mesotui.demo import generate
from mesotui.engine import image, keys
from mesotui.errors import WriteFailed
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock, make_patient


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "records" / "clinic.json"
    generate(TODAY, 12).load_into(Store.open(path, clock=FixedClock())).close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_key_is_made_with_the_file_and_kept_outside_its_folder(
        clinic: Path, clinic_keys: Path) -> None:
    with Store.open(clinic, readonly=True) as store:
        clinic_id = store.integrity.clinic
        assert store.integrity.status == "sealed"
    key_file = clinic_keys / f"{clinic_id}.key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(clinic_keys.stat().st_mode) == 0o700
    folder = b"".join(p.read_bytes() for p in clinic.parent.rglob("*") if p.is_file())
    assert keys.load(clinic_id).secret.hex().encode() not in folder  # type: ignore[union-attr]


def test_opening_without_the_key_reads_and_says_integrity_cannot_be_checked(
        clinic: Path, clinic_keys: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "another-laptop"
    monkeypatch.setenv(keys.ENV_KEYS, str(elsewhere))
    code, out, err = run(capsys, "due", "--db", str(clinic), "--today", TODAY.isoformat())
    assert code == 0 and "cannot be checked" in err
    with Store.open(clinic, readonly=True) as store:
        assert len(store.patients()) == 12 and store.integrity.status == "no-key"
    code, _out, err = run(capsys, "check", "--db", str(clinic))
    assert code == 1 and "cannot be checked on this machine" in err
    before = clinic.read_bytes()
    store = Store.open(clinic, clock=FixedClock())
    with pytest.raises(WriteFailed, match="key"):
        store.add_patient(make_patient(name="Not Sealable"), TODAY)
    store.close()
    assert clinic.read_bytes() == before


async def test_the_app_says_plainly_that_integrity_cannot_be_checked(
        clinic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mesotui.tui.app import MesoApp
    from tests.test_tui_support import screen_text

    monkeypatch.setenv(keys.ENV_KEYS, str(tmp_path / "another-laptop"))
    store = Store.open(clinic, clock=FixedClock())
    try:
        app = MesoApp(store=store, today=TODAY)
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(3):
                await pilot.pause()
            assert "INTEGRITY CANNOT BE CHECKED on this machine" in screen_text(app)
    finally:
        store.close()


def test_moving_a_clinic_to_a_new_laptop_moves_its_key_with_one_command(
        clinic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    carried = tmp_path / "usb" / "clinic.key"
    carried.parent.mkdir()
    assert run(capsys, "key", "export", str(carried), "--db", str(clinic))[0] == 0
    assert stat.S_IMODE(carried.stat().st_mode) == 0o600
    laptop = tmp_path / "new-laptop"
    shutil.copytree(clinic.parent, laptop / "records")
    moved = laptop / "records" / "clinic.json"
    monkeypatch.setenv(keys.ENV_KEYS, str(laptop / "keys"))
    assert run(capsys, "check", "--db", str(moved))[0] == 1  # no key here yet
    assert run(capsys, "key", "import", str(carried))[0] == 0
    code, out, _err = run(capsys, "check", "--db", str(moved))
    assert code == 0 and "every seal checked" in out
    assert run(capsys, "key", "show", "--db", str(moved))[0] == 0
    with Store.open(moved, clock=FixedClock()) as store:
        store.add_patient(make_patient(name="Seen On The New Laptop"), TODAY)
    assert run(capsys, "check", "--db", str(moved))[0] == 0


def test_a_restore_without_the_key_changes_nothing(
        clinic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(clinic, clock=FixedClock()) as store:
        store.add_patient(make_patient(name="One More"), TODAY)
    backup = recovery.sound_backups(clinic)[0].path
    monkeypatch.setenv(keys.ENV_KEYS, str(tmp_path / "another-laptop"))
    before = clinic.read_bytes()
    with pytest.raises(Exception, match="clinic key"):
        recovery.restore(clinic, backup)
    assert clinic.read_bytes() == before


def make_it_old(path: Path, keys: Path) -> None:
    """The file as a mesotui from before seals wrote it: no clinic id, seal or manifest."""
    data = orjson.loads(path.read_bytes())
    for field in ("clinic_id", "seal"):
        data["meta"]["1"].pop(field, None)
    data.pop("manifest", None)
    path.write_bytes(orjson.dumps(data))
    image.index_path(path).unlink(missing_ok=True)
    shutil.rmtree(keys)
    keys.mkdir()


def test_a_clinic_from_before_seals_is_sealed_on_its_first_open_and_says_so_once(
        clinic: Path, clinic_keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_it_old(clinic, clinic_keys)
    code, out, err = run(capsys, "check", "--db", str(clinic))
    assert code == 0 and "not sealed yet" in out
    with Store.open(clinic, clock=FixedClock()) as store:
        assert any("now sealed" in note for note in store.notes)
        names = sorted(p.name for p in store.patients())
    with Store.open(clinic, clock=FixedClock()) as store:
        assert not any("sealed" in note for note in store.notes)  # once
        assert sorted(p.name for p in store.patients()) == names
    code, out, _err = run(capsys, "check", "--db", str(clinic))
    assert code == 0 and "every seal checked" in out


def test_a_sealed_file_stripped_of_its_seal_is_found(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = orjson.loads(clinic.read_bytes())
    for field in ("clinic_id", "seal"):
        data["meta"]["1"].pop(field, None)
    clinic.write_bytes(orjson.dumps(data))
    code, _out, err = run(capsys, "check", "--db", str(clinic))
    assert code == 1 and "seal was removed" in err


def test_old_exports_still_import_into_a_sealed_clinic(
        clinic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_export_governance import as_file, version_1

    other = Store.in_memory(clock=FixedClock())
    patient = other.add_patient(make_patient(name="From An Old File"), TODAY)
    from mesotui import export

    old = as_file(version_1(export.build(other, TODAY)), tmp_path / "v1.json")
    assert run(capsys, "import", str(old), "--db", str(clinic), "--today",
               TODAY.isoformat())[0] == 0
    with Store.open(clinic, readonly=True) as store:
        assert store.patient(patient.id).name == "From An Old File"
    assert run(capsys, "check", "--db", str(clinic))[0] == 0
