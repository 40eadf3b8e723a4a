"""A clinic whose key is lost for good is not stuck: `mesotui key new` seals the file anew,
saying so in the file and in every later `check`; a key that is here is never replaced."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from mesotui.demo import generate
from mesotui.engine import keys
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "records" / "clinic.json"
    generate(TODAY, 12).load_into(Store.open(path, clock=FixedClock())).close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from mesotui.cli import main

    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def key_lost(clinic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The record file on a laptop that never had its key (the old one died with it)."""
    monkeypatch.setenv(keys.ENV_KEYS, str(tmp_path / "new-laptop-keys"))
    return clinic


def test_a_new_key_lets_a_clinic_whose_key_is_lost_save_again(
        key_lost: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ("--db", str(key_lost), "--today", TODAY.isoformat())
    code, _out, err = run(capsys, "add-patient", *db, "--name", "Ana Ruiz", "--sex", "male",
                          "--dob", "1980-01-01")
    assert code == 1 and "key new" in err  # refused, and told the way out
    code, out, _err = run(capsys, "key", "new", *db, "--reason", "old laptop stolen", "--yes")
    assert code == 0 and "Sealed anew" in out
    code, out, _err = run(capsys, "add-patient", *db, "--name", "Ana Ruiz", "--sex", "male",
                          "--dob", "1980-01-01")
    assert code == 0 and out.startswith("P-")
    code, out, err = run(capsys, "check", *db)
    assert code == 0, err
    assert "every seal checked" in out
    assert "sealed anew on" in out and "old laptop stolen" in out
    with Store.open(key_lost, readonly=True) as store:
        assert store.integrity.status == "sealed" and len(store.patients()) == 13


def test_after_a_new_key_an_edit_outside_mesotui_is_detected_again(
        key_lost: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ("--db", str(key_lost), "--today", TODAY.isoformat())
    assert run(capsys, "key", "new", *db, "--reason", "lost", "--yes")[0] == 0
    data = orjson.loads(key_lost.read_bytes())
    doc_id, doc = next(iter(data["sessions"].items()))
    del data["sessions"][doc_id]
    key_lost.write_bytes(orjson.dumps(data))
    (key_lost.parent / "clinic.json.index").unlink(missing_ok=True)
    code, _out, err = run(capsys, "check", *db)
    assert code == 1 and f"{doc['id']}: missing" in err


def test_a_key_that_is_here_is_never_replaced(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = clinic.read_bytes()
    code, _out, err = run(capsys, "key", "new", "--db", str(clinic), "--reason", "x", "--yes")
    assert code == 1 and "needs no new key" in err
    assert clinic.read_bytes() == before


def test_a_new_key_asks_first_and_needs_a_reason(
        key_lost: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = key_lost.read_bytes()
    code, _out, err = run(capsys, "key", "new", "--db", str(key_lost), "--reason", "lost")
    assert code == 2 and "confirmation" in err  # no terminal here, no --yes
    with pytest.raises(SystemExit) as usage:
        run(capsys, "key", "new", "--db", str(key_lost), "--yes")
    assert usage.value.code == 2
    assert key_lost.read_bytes() == before


def test_a_blank_reason_is_refused_and_changes_nothing(key_lost: Path) -> None:
    before = key_lost.read_bytes()
    with Store.open(key_lost, clock=FixedClock()) as store:
        with pytest.raises(Exception, match="reason"):
            store.reseal("   ")
        assert store.integrity.status == "no-key"
    assert key_lost.read_bytes() == before


def test_a_demo_command_leaves_no_key_behind(clinic_keys: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`mesotui --demo COMMAND` runs on a throwaway clinic: its key goes with it, never into
    the user's key folder (two runs once left two keys and marks for deleted folders)."""
    before = sorted(clinic_keys.iterdir())
    assert run(capsys, "--demo", "--today", TODAY.isoformat(), "due")[0] == 0
    assert sorted(clinic_keys.iterdir()) == before
