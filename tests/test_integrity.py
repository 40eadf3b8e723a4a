"""`check` finds what is wrong with a record file, names the record, and never changes the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mesotui import cli, integrity
from mesotui.store import Store


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["--db", str(path), "check"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tamper(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data), "utf-8")


def test_a_sound_file_passes_even_while_the_app_holds_it(
        demo_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    path = demo_store.path
    before = path.read_bytes()
    code, out, err = check(path, capsys)  # demo_store is still open and locked
    assert code == 0 and err == ""
    assert f"{len(demo_store.patients())} patients" in out and "sound" in out
    assert path.read_bytes() == before


def first_patient_data(data: dict) -> dict:
    return next(iter(data["patients"].values()))["history"][0]["data"]


@pytest.mark.parametrize("change, expected", [
    (lambda d: first_patient_data(d).update(name="Edited By Hand"),
     "P-00001: revision 1 was altered outside mesotui"),
    (lambda d: next(iter(d["sessions"].values())).update(patient_id="P-GONE"),
     "disagrees with its latest revision"),
    (lambda d: d["patients"].update({"999": next(iter(d["patients"].values()))}),
     "P-00001: the id is used by two patients"),
    (lambda d: d["meta"]["1"].update(schema_version=7), "has schema version 7"),
    (lambda d: next(iter(d["sessions"].values())).update(history=[]), "has no revision history"),
    (lambda d: d["patients"].pop(next(k for k, v in d["patients"].items()
                                      if v["id"] == "P-00002")),
     "its patient 'P-00002' is not in the file"),
])
def test_each_kind_of_damage_is_named_and_exits_1(demo_store: Store,
                                                  capsys: pytest.CaptureFixture[str],
                                                  change, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = demo_store.path
    demo_store.close()
    tamper(path, change)
    before = path.read_bytes()
    code, out, err = check(path, capsys)
    assert code == 1 and expected in err and out == ""
    assert all(line.startswith("mesotui: ") for line in err.splitlines())
    assert path.read_bytes() == before


def test_a_file_that_is_not_json_or_missing_is_reported(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "clinic.json"
    bad.write_text('{"patients": {', "utf-8")
    code, _, err = check(bad, capsys)
    assert code == 1 and "is not valid JSON" in err
    code, _, err = check(tmp_path / "none.json", capsys)
    assert code == 1 and "does not exist" in err


def test_the_json_report_lists_problems_for_scripts(demo_store: Store,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = demo_store.path
    demo_store.close()
    tamper(path, lambda d: first_patient_data(d).update(notes="x"))
    assert cli.main(["check", "--db", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["sound"] is False and report["problem_count"] == 1
    assert integrity.check(path).problems == report["problems"]


def test_an_id_of_the_wrong_shape_in_the_file_is_a_finding_shown_escaped(
        demo_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    """A record file poisoned outside mesotui (an id carrying an escape code) fails `check`,
    which names the id visibly escaped instead of sending the code to the terminal."""
    path = demo_store.path
    demo_store.close()

    def poison(data: dict) -> None:
        next(iter(data["patients"].values()))["id"] = "P-1\x1b]52;c;cm0gLXJmIH4K\x07"

    tamper(path, poison)
    (path.parent / "clinic.json.index").unlink(missing_ok=True)
    code, out, err = check(path, capsys)
    assert code == 1
    assert "is not a patient id" in err and "\\u001b" in err
    assert "\x1b" not in out + err
