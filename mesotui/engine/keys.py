"""The clinic key: a secret made with the record file and kept outside its folder.

Each record file carries a random clinic id in its meta table; the key of that clinic lives
in the user's config folder (`platformdirs`, 0700; the key file 0600), or in the folder
`$MESOTUI_KEYS` names. Copying or editing the record folder alone therefore cannot forge the
seals made with it (mesotui/engine/manifest.py). Beside the keys, a high-water mark per record
file remembers the newest save this machine has seen of it, so a file rolled back to an older
copy, or a journal deleted or truncated, is noticed; and a list of the record paths each
clinic was sealed at notices a sealed file replaced by an unsealed one, or one that claims
another clinic.

Moving a clinic to a new laptop moves its key: `mesotui key export FILE` there, `mesotui key
import FILE` here.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from mesotui.engine import durable
from mesotui.errors import MesoError

ENV_KEYS = "MESOTUI_KEYS"
FORMAT = "mesotui-clinic-key"
_SEEN_WIDTH = 160
"""The high-water file is one fixed-width line, rewritten in place by one small write."""


def private_config_dir() -> Path:
    """This laptop's own settings and secrets (the clinic keys, the sync password): the user's
    config folder, never the folder the record file lives in.

    On Linux those are two folders (~/.config/mesotui, ~/.local/share/mesotui). On macOS and
    Windows platformdirs gives one folder for both (~/Library/Application Support/mesotui,
    %LOCALAPPDATA%\\mesotui), so the config is kept beside it, in `mesotui-config`: whoever
    copies the record folder must not get the key that seals it.
    """
    config = platformdirs.user_config_path("mesotui", appauthor=False)
    if config != platformdirs.user_data_path("mesotui", appauthor=False):
        return config
    return config.with_name("mesotui-config")


def moved_out_of_the_record_folder(name: str) -> Path:
    """`name` in the private config folder; one kept by an older mesotui in the record folder
    (macOS, Windows) is moved there first, in one rename, so nothing is lost or left behind."""
    wanted = private_config_dir() / name
    old = platformdirs.user_data_path("mesotui", appauthor=False) / name
    shared = platformdirs.user_config_path("mesotui", appauthor=False) == old.parent
    if shared and old.exists() and not wanted.exists():
        durable.make_private_dir(wanted.parent)
        os.replace(old, wanted)
    return wanted


def keys_dir() -> Path:
    """Where clinic keys are kept: `$MESOTUI_KEYS`, else `keys` in the private config folder."""
    chosen = os.environ.get(ENV_KEYS)
    if chosen:
        return Path(chosen).expanduser()
    return moved_out_of_the_record_folder("keys")


durable.guard_folder(keys_dir)  # no export or other guarded write ever lands among the keys


def new_clinic_id() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class ClinicKey:
    """A clinic's id and secret."""

    clinic: str
    secret: bytes

    @property
    def fingerprint(self) -> str:
        """A short, non-secret name for the key (to compare two machines' copies by eye)."""
        import hashlib

        return hashlib.sha256(b"mesotui-fingerprint" + self.secret).hexdigest()[:16]

    def to_data(self) -> dict[str, str]:
        return {"format": FORMAT, "version": "1", "clinic": self.clinic,
                "key": self.secret.hex(), "saved": datetime.now(UTC).isoformat(
                    timespec="seconds")}


def _key_file(clinic: str) -> Path:
    if not (len(clinic) == 32 and all(c in "0123456789abcdef" for c in clinic)):
        raise MesoError(f"{clinic!r} is not a clinic id")
    return keys_dir() / f"{clinic}.key"


def load(clinic: str) -> ClinicKey | None:
    """This machine's key of `clinic`, or None when it has none (or an unreadable one)."""
    try:
        data = json.loads(_key_file(clinic).read_text("utf-8"))
        key = parse(data)
    except (OSError, ValueError, MesoError):
        return None
    return key if key.clinic == clinic else None


def parse(data: object) -> ClinicKey:
    """A key from its file's JSON.

    Raises:
        MesoError: it is not a mesotui clinic key.
    """
    try:
        assert isinstance(data, dict) and data.get("format") == FORMAT
        clinic, secret = str(data["clinic"]), bytes.fromhex(str(data["key"]))
        assert len(secret) == 32
        _key_file(clinic)
    except (AssertionError, KeyError, ValueError):
        raise MesoError("not a mesotui clinic key file") from None
    return ClinicKey(clinic, secret)


def create(clinic: str | None = None) -> ClinicKey:
    """Make and keep a new clinic key (0600, in a 0700 folder)."""
    key = ClinicKey(clinic or new_clinic_id(), secrets.token_bytes(32))
    save(key)
    return key


def save(key: ClinicKey) -> None:
    """Keep `key` on this machine; an existing key of the same clinic must be the same.

    Raises:
        MesoError: this machine holds another key under the same clinic id.
    """
    held = load(key.clinic)
    if held is not None:
        if held.secret != key.secret:
            raise MesoError(f"this machine already holds another key for clinic {key.clinic}; "
                            "nothing was changed")
        return
    folder = keys_dir()
    durable.make_private_dir(folder)
    payload = (json.dumps(key.to_data(), indent=2) + "\n").encode()
    durable.atomic_write(_key_file(key.clinic), payload, keep_backup=False, guard=False)


def forget(key: ClinicKey) -> None:
    """Remove a key just made whose first use failed (never a key in use)."""
    _key_file(key.clinic).unlink(missing_ok=True)


Mark = tuple[int, str]
"""A high-water mark: the newest save number seen, and that save's seal (its MAC)."""


def _mark_file(path: Path) -> Path:
    """The high-water mark of the record file at `path` (its real path): one per file, so a
    copy of the clinic saved elsewhere (a stick taken to another room) never makes the
    original look older than itself."""
    import hashlib

    return keys_dir() / f"at-{hashlib.sha256(str(path).encode()).hexdigest()[:32]}.seen"


def _read_line(file: Path) -> tuple[int, str, str] | None:
    try:
        parts = file.read_text("ascii").split()
        return int(parts[0]), parts[1] if len(parts) > 1 else "", \
            parts[2] if len(parts) > 2 else ""
    except (OSError, ValueError, UnicodeDecodeError, IndexError):
        return None


def seen_at(path: Path) -> tuple[int, str, str] | None:
    """The newest save seen of the record file at `path`: (number, seal, clinic); None if
    none. A reader takes it *before* it reads the file: any save that raised it since is then
    in what it reads (its journal line is fsynced before the mark moves)."""
    return _read_line(_mark_file(path))


def floor(clinic: str) -> Mark:
    """The newest save of `clinic` another machine had seen (carried by `key import`), or
    that a mesotui from before per-file marks had seen: what a record file of that clinic
    with no mark of its own here must not be older than. (0, "") if none."""
    found = _read_line(keys_dir() / f"{clinic}.seen")
    return (found[0], found[1]) if found else (0, "")


def raise_floor(clinic: str, seq: int, mac: str) -> None:
    """Remember that save `seq` of `clinic` was seen elsewhere (never lowered)."""
    if seq <= floor(clinic)[0]:
        return
    durable.make_private_dir(keys_dir())
    durable.atomic_write(keys_dir() / f"{clinic}.seen", f"{seq} {mac}\n".encode("ascii"),
                         keep_backup=False, guard=False)


def expected(path: Path, clinic: str, seen: tuple[int, str, str] | None) -> Mark:
    """The save number the record file at `path`, of `clinic`, must not be older than:
    its own mark (`seen`, as read before the file), else its clinic's floor."""
    if seen is not None and seen[2] in (clinic, ""):
        return seen[0], seen[1]
    return floor(clinic)


class HighWater:
    """The newest save this machine has seen of one record file: its number and its seal.

    Written after every save and checkpoint with one small in-place write: a process killed
    at any point leaves the old line or the new one, and the journal line it follows was
    already fsynced, so the mark is never ahead of the file. It is not fsynced itself: after
    a power cut it may lag (never lead), which only delays noticing a rollback.
    """

    def __init__(self, clinic: str, path: Path) -> None:
        self.clinic = clinic
        self.record = path
        self.path = _mark_file(path)
        self._fd: int | None = None
        self._last: int | None = None
        """The number this writer last wrote (it alone writes while it holds the lock)."""

    def read(self) -> Mark:
        """(save number, its seal) seen last of this file; (0, "") if none."""
        return expected(self.record, self.clinic, seen_at(self.record))

    def raise_to(self, seq: int, mac: str) -> None:
        """Remember save `seq` (with its seal) unless a newer one was seen; never fails a save."""
        if seq < (self._last if self._last is not None else self.read()[0]):
            return
        line = f"{seq} {mac} {self.clinic}".ljust(_SEEN_WIDTH - 1)[:_SEEN_WIDTH - 1] + "\n"
        try:
            if self._fd is None:
                durable.make_private_dir(self.path.parent)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            if hasattr(os, "pwrite"):
                os.pwrite(self._fd, line.encode("ascii"), 0)
            else:  # Windows
                os.lseek(self._fd, 0, os.SEEK_SET)
                os.write(self._fd, line.encode("ascii"))
            self._last = seq
        except OSError:
            self.close()  # the next save tries again; the seals in the file are what count

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _paths_file() -> Path:
    return keys_dir() / "paths.json"


def sealed_at(path: Path) -> str | None:
    """The clinic this machine last sealed at record path `path`, if any."""
    try:
        found = json.loads(_paths_file().read_text("utf-8")).get(str(path))
    except (OSError, ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def remember_path(path: Path, clinic: str) -> None:
    """Note that `clinic` is sealed at record path `path` (once per path; failures ignored)."""
    if sealed_at(path) == clinic:
        return
    try:
        known = json.loads(_paths_file().read_text("utf-8"))
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    known[str(path)] = clinic
    try:
        durable.make_private_dir(keys_dir())
        durable.atomic_write(_paths_file(), (json.dumps(known, indent=1) + "\n").encode(),
                             keep_backup=False, guard=False)
    except OSError:
        pass
