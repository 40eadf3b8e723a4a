"""The clinic key and the sync password live outside the record folder on every system.

On Linux platformdirs gives two folders (config, data); on macOS and Windows it gives one
(`~/Library/Application Support/mesotui`, `%LOCALAPPDATA%\\mesotui`), so the keys landed beside
clinic.json there, and whoever copied the record folder copied the key that seals it. These tests
lay the folders out as macOS and Windows do, on any machine.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from mesotui import paths
from mesotui.engine import keys
from mesotui.store import Store
from mesotui.sync import credentials
from tests.conftest import TODAY, make_patient


@pytest.fixture
def one_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """platformdirs as on macOS and Windows: the config folder is the data folder."""
    shared = tmp_path / "Application Support" / "mesotui"

    def folder(*_args: object, ensure_exists: bool = False, **_kwargs: object) -> Path:
        if ensure_exists:
            shared.mkdir(parents=True, exist_ok=True)
        return shared

    monkeypatch.setattr(platformdirs, "user_config_path", folder)
    monkeypatch.setattr(platformdirs, "user_data_path", folder)
    monkeypatch.delenv(keys.ENV_KEYS, raising=False)
    monkeypatch.delenv(credentials.ENV, raising=False)
    return shared


def test_the_key_and_the_sync_password_are_kept_outside_the_record_folder(
        one_folder: Path) -> None:
    record = paths.default_db_path()
    assert record.parent == one_folder
    for secret in (keys.keys_dir(), credentials.path()):
        assert not secret.is_relative_to(record.parent), secret
    with Store.open(record) as store:  # a new clinic makes its key
        store.add_patient(make_patient(), TODAY)
    assert any(keys.keys_dir().glob("*.key"))
    assert not list(record.parent.rglob("*.key"))  # copying the record folder copies no key


def test_a_key_an_older_mesotui_kept_in_the_record_folder_is_moved_out_and_still_opens(
        one_folder: Path) -> None:
    record = paths.default_db_path()
    old_keys = record.parent / "keys"
    old_keys.mkdir(parents=True)
    (old_keys / "c0ffee.key").write_text("the key of an existing clinic")
    (record.parent / credentials.FILENAME).write_text("{}")
    moved = keys.keys_dir()
    assert (moved / "c0ffee.key").read_text() == "the key of an existing clinic"
    assert not old_keys.exists()
    assert credentials.path().read_text() == "{}"
    assert not (record.parent / credentials.FILENAME).exists()


def test_on_linux_the_config_folder_is_used_as_it_always_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platformdirs, "user_config_path", lambda *a, **k: tmp_path / "config")
    monkeypatch.setattr(platformdirs, "user_data_path", lambda *a, **k: tmp_path / "data")
    monkeypatch.delenv(keys.ENV_KEYS, raising=False)
    assert keys.keys_dir() == tmp_path / "config" / "keys"
