"""Revision times never go backwards in a chain (issue 15): a `--today` in the past plans and
reports, but never stamps a revision earlier than the record's last one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mesotui import history
from mesotui.cli import main
from mesotui.demo import generate
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def test_a_today_in_the_past_never_stamps_a_revision_before_the_last(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.json"
    generate(TODAY).load_into(Store.open(path, clock=FixedClock())).close()
    assert main(["--db", str(path), "--today", "2020-03-01", "void", "S-00001-04",
                 "--reason", "entered twice"]) == 0
    assert main(["--db", str(path), "--today", "2020-03-01", "due"]) == 0  # still plans
    with Store.open(path, readonly=True) as after:
        revisions = after.session("S-00001-04").history
    assert revisions[-1].action == "void"
    assert revisions[-1].when >= revisions[-2].when
    assert main(["--db", str(path), "check"]) == 0


def test_a_chain_whose_times_go_backwards_is_reported(tmp_path: Path) -> None:
    first = history.append((), "create", {"x": 1}, at=NOW)
    at = (NOW - timedelta(days=400)).isoformat(timespec="seconds")
    back = history.Revision(2, "amend", at, "", "typo", {"x": 2}, first[0].hash,
                            history.digest(2, "amend", at, "", "typo", {"x": 2}, first[0].hash))
    assert any("before" in problem for problem in history.verify((*first, back)))
    assert json.dumps(history.verify(first)) == "[]"
