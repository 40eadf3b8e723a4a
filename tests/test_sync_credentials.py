"""The sync server's address and password live outside the record folder, readable only by
the user, and a setup that would send the password in clear is refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mesotui.sync import credentials
from mesotui.sync.errors import SyncError


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config" / "mesotui"
    monkeypatch.setenv(credentials.ENV, str(folder))
    return folder


def test_setup_keeps_address_user_and_password_for_the_next_sync(config: Path) -> None:
    kept = credentials.setup("https://nas.clinic.lan:6984/clinic", "room-a", "s3cret pass")
    assert kept.url == "https://nas.clinic.lan:6984" and kept.database == "clinic"
    assert credentials.load() == kept
    assert "s3cret" not in repr(kept)
    assert credentials.path().parent == config


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_the_file_is_0600_in_a_0700_folder_whatever_the_umask(config: Path) -> None:
    old = os.umask(0)
    try:
        credentials.setup("https://nas:6984/clinic", "room-a", "pw")
    finally:
        os.umask(old)
    assert stat.S_IMODE(credentials.path().stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    os.chmod(credentials.path(), 0o644)  # copied in by hand
    credentials.load()
    assert stat.S_IMODE(credentials.path().stat().st_mode) == 0o600


def test_the_default_place_is_the_users_config_folder_not_the_record_folder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv(credentials.ENV, raising=False)
    assert credentials.folder() == platformdirs.user_config_path("mesotui", appauthor=False)
    assert credentials.folder() != platformdirs.user_data_path("mesotui", appauthor=False)


@pytest.mark.parametrize(("url", "words"), [
    ("http://nas.clinic.lan:5984/clinic", "plain http"),
    ("https://room-a:pw@nas:6984/clinic", "not in the server address"),
    ("https://nas:6984/", "names no database"),
    ("https://nas:6984/Clinic", "not a CouchDB database name"),
    ("ftp://nas/clinic", "not a server address"),
])
def test_an_unsafe_or_unusable_address_is_refused_in_one_line(config: Path, url: str,
                                                              words: str) -> None:
    with pytest.raises(SyncError) as refused:
        credentials.setup(url, "room-a", "pw")
    assert words in str(refused.value) and "\n" not in str(refused.value)
    assert not credentials.path().exists()


def test_plain_http_to_this_machine_or_when_allowed(config: Path) -> None:
    assert credentials.setup("http://127.0.0.1:5984/clinic", "a", "pw").url.startswith("http:")
    allowed = credentials.setup("http://nas.lan:5984/clinic", "a", "pw", allow_plain_http=True)
    assert credentials.load() == allowed and allowed.allow_plain_http


def test_a_damaged_settings_file_is_one_line_and_forget_removes_the_password(
        config: Path) -> None:
    assert credentials.load() is None
    credentials.setup("https://nas:6984/clinic", "room-a", "pw")
    credentials.path().write_text("{not json")
    with pytest.raises(SyncError, match="run mesotui sync --setup again"):
        credentials.load()
    assert credentials.forget() and not credentials.path().exists()
    assert not credentials.forget()


def test_encryption_is_on_unless_the_clinic_turned_it_off(config: Path) -> None:
    assert credentials.setup("https://nas:6984/clinic", "room-a", "pw").encrypt
    off = credentials.setup("https://nas:6984/clinic", "room-a", "pw", encrypt=False)
    assert credentials.load() == off and not off.encrypt
    text = credentials.path().read_text()  # settings kept before the setting existed: on
    credentials.path().write_text(text.replace('"encrypt": false', '"old": 1'))
    loaded = credentials.load()
    assert loaded is not None and loaded.encrypt
