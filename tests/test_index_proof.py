"""The start-up index is proven to describe the record file before anything it says is used.

Issue 13, cases 7 and 8: a forged standing in the index, a same-size edit of the record file,
one damaged byte in the index. Each must show what the record file holds, with one line of
note, never a crash and never a blame on the record file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson
import pytest

from mesotui.cli import main
from mesotui.demo import generate
from mesotui.engine import image
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock

ARGS = ("--today", TODAY.isoformat())


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.json"
    generate(TODAY).load_into(Store.open(path, clock=FixedClock())).close()
    assert image.index_path(path).exists()
    return path


def whole(path: Path) -> Store:
    """The record file read without any index."""
    copy = path.parent / "whole" / path.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, copy)
    return Store.open(copy, readonly=True)


def forge_in_row(index: Path, patient_id: str, old: str, new: str) -> None:
    """Replace `old` by `new` (same length) inside one patient's row of the index."""
    raw = index.read_bytes()
    start = raw.index(orjson.dumps(patient_id) + b",[")  # their row, not the head's list
    end = raw.index(b"]]", start)
    row = raw[start:end]
    assert old.encode() in row, row
    index.write_bytes(raw[:start] + row.replace(old.encode(), new.encode(), 1) + raw[end:])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*argv, *ARGS])
    out, err = capsys.readouterr()
    return code, out, err


def sofia_due(out: str) -> list[str]:
    return [line for line in out.splitlines() if "P-00001" in line]


def test_a_forged_standing_in_the_index_never_hides_an_overdue_patient(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forge_in_row(image.index_path(clinic), "P-00001", "2025-12-06", "2026-12-06")
    forge_in_row(image.index_path(clinic), "P-00001", "2026-02-06", "2025-02-06")
    code, out, err = run(capsys, "due", "--within", "7", "--db", str(clinic))
    assert code == 0
    assert sofia_due(out) and "40 d overdue" in sofia_due(out)[0]
    assert err.count("\n") <= 1 and "unreadable" not in err
    code, out, _ = run(capsys, "export", "--patient", "P-00001", "--db", str(clinic))
    exported = json.loads(out)["patients"][0]
    assert exported["next_due"] == "2025-12-06"
    assert exported["pregnancy_avoid_until"] == "2026-02-06"


def test_an_in_place_same_size_edit_of_the_record_file_is_not_covered_by_the_index(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = clinic.read_bytes()
    with whole(clinic) as before:
        last = before.sessions_for("P-00001", include_voided=False)[-1]
    old = f'"date":"{last.date.isoformat()}"'.encode()
    moved = last.date.replace(day=last.date.day - 1 if last.date.day > 1 else 2)
    assert raw.count(old) >= 1
    clinic.write_bytes(raw.replace(old, f'"date":"{moved.isoformat()}"'.encode()))
    assert len(clinic.read_bytes()) == len(raw)
    with whole(clinic) as truth:
        expected = truth.standing("P-00001").next_due
    code, out, _ = run(capsys, "export", "--patient", "P-00001", "--db", str(clinic))
    assert code == 0
    assert json.loads(out)["patients"][0]["next_due"] == expected.isoformat()


def test_one_damaged_byte_in_the_index_never_blames_the_record_file(
        clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = image.index_path(clinic)
    raw = index.read_bytes()
    head_end = raw.index(b"\n")
    first_date = raw.index(b'"20', head_end) + 1  # a session row's date
    damaged = raw[:first_date + 9] + b"x" + raw[first_date + 10:]
    index.write_bytes(damaged)
    for argv in (("export",), ("lot", "DU25-0788"), ("report", "side-effects"),
                 ("report", "outcomes"), ("due",)):
        code, out, err = run(capsys, *argv, "--db", str(clinic))
        assert code == 0, (argv, err)
        assert "unreadable" not in err and "Traceback" not in err
        assert err.count("\n") <= 1
    code, out, err = run(capsys, "check", "--db", str(clinic))
    # A damaged index cannot be told from a forged one: check names it (and only it).
    assert err.count("\n") == 1 and "index" in err and "unreadable" not in err
    assert clinic.exists()


def test_a_foreign_or_garbage_index_is_ignored(clinic: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / "clinic.json"
    generate(TODAY, 5).load_into(Store.open(other, clock=FixedClock())).close()
    for content in (image.index_path(other).read_bytes(), b"\x00" * 300, b"{}\n[]\n",
                    image.index_path(clinic).read_bytes()[:500]):
        image.index_path(clinic).write_bytes(content)
        with Store.open(clinic, readonly=True) as opened, whole(clinic) as truth:
            assert [(c.id, c.name) for c in opened.cards()] == \
                [(c.id, c.name) for c in truth.cards()]
            assert opened.standing("P-00001") == truth.standing("P-00001")
        shutil.rmtree(clinic.parent / "whole")


async def test_the_app_shows_what_the_file_holds_not_a_forged_index(clinic: Path) -> None:
    from mesotui.tui.app import MesoApp
    from tests.test_tui_support import screen_text

    forge_in_row(image.index_path(clinic), "P-00001", "2025-12-06", "2026-12-06")
    store = Store.open(clinic, clock=FixedClock())
    try:
        app = MesoApp(store=store, today=TODAY)
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(3):
                await pilot.pause()
            row = next(line for line in screen_text(app).splitlines() if "Sofia Brennan" in line)
            assert "overdue" in row.lower()
    finally:
        store.close()


async def test_the_app_opens_a_patient_despite_a_damaged_index(clinic: Path) -> None:
    from mesotui.tui.app import MesoApp
    from mesotui.tui.screens.record import RecordScreen

    index = image.index_path(clinic)
    raw = index.read_bytes()
    head_end = raw.index(b"\n")
    first_date = raw.index(b'"20', head_end) + 1
    index.write_bytes(raw[:first_date + 9] + b"x" + raw[first_date + 10:])
    store = Store.open(clinic, clock=FixedClock())
    try:
        app = MesoApp(store=store, today=TODAY)
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(3):
                await pilot.pause()
            await pilot.press("enter")
            for _ in range(3):
                await pilot.pause()
            assert isinstance(app.screen, RecordScreen)
    finally:
        store.close()


def test_a_writer_that_read_the_file_whole_leaves_a_proven_index_without_rewriting_it(
        clinic: Path) -> None:
    """No fold on open (a full disk must still open), yet the next start is quick again."""
    image.index_path(clinic).unlink()
    before = clinic.read_bytes()
    with Store.open(clinic, clock=FixedClock()) as writer:
        assert writer.read_whole  # read whole
    assert clinic.read_bytes() == before and image.index_path(clinic).exists()
    with Store.open(clinic, readonly=True) as again, whole(clinic) as truth:
        assert not again.read_whole and again.notes == []
        assert again.standing("P-00001") == truth.standing("P-00001")


def test_an_export_that_reads_ahead_of_the_proof_uses_nothing_the_proof_refutes(
        clinic: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export parses the patients while the file's digest is checked, once the index's MAC
    and the file's stamp vouch for it. A file edited in place behind a stamp that still matches
    (forged here) fails the digest: the export is then of the file read whole."""
    from mesotui.engine.source import FileSource

    raw = clinic.read_bytes()
    with whole(clinic) as before:
        last = before.sessions_for("P-00001", include_voided=False)[-1]
        stale = before.standing("P-00001").next_due
    old = f'"date":"{last.date.isoformat()}"'.encode()
    moved = last.date.replace(day=last.date.day - 1 if last.date.day > 1 else 2)
    clinic.write_bytes(raw.replace(old, f'"date":"{moved.isoformat()}"'.encode()))
    with whole(clinic) as truth:
        expected = truth.standing("P-00001").next_due
    assert expected != stale
    monkeypatch.setattr(FileSource, "vouched", lambda self: True)  # the stamp, forged
    output = clinic.parent / "export.json"
    code, _, err = run(capsys, "export", "--db", str(clinic), "-o", str(output))
    assert code == 0
    sofia = next(p for p in json.loads(output.read_bytes())["patients"] if p["id"] == "P-00001")
    assert sofia["next_due"] == expected.isoformat()
    assert "index" in err, err


def test_a_one_patient_export_does_not_read_everyone_ahead(
        clinic: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mesotui.clinic.reader import Reader

    parsed: list[int] = []
    every = Reader.patients
    monkeypatch.setattr(Reader, "patients",
                        lambda self, **kw: parsed.append(1) or every(self, **kw))
    code, out, _ = run(capsys, "export", "--patient", "P-00001", "--db", str(clinic))
    assert code == 0 and [p["id"] for p in json.loads(out)["patients"]] == ["P-00001"]
    assert parsed == []
    code, _, _ = run(capsys, "export", "--db", str(clinic), "-o", str(clinic.parent / "all.json"))
    assert code == 0 and parsed  # the whole clinic's: read ahead, and exported
