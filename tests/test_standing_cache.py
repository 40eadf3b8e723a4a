"""The start-up index's standings are the rules' own: a rule changed without a version bump
never shows a stale next-due date (issue 19)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mesotui
from mesotui.demo import generate
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock

PACKAGE = Path(mesotui.__file__).resolve().parent
RULE = "    return day + relativedelta(months=months)\n"


def due_as_json(source: Path, db: Path) -> list[dict[str, object]]:
    """`mesotui due --json` run from the package copy at `source`."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from mesotui.cli import main; sys.exit(main())",
         "--db", str(db), "--today", TODAY.isoformat(), "due", "--within", "400", "--json"],
        capture_output=True, text=True, timeout=120, cwd=db.parent,
        env={**os.environ, "PYTHONPATH": str(source), "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_schedule_rule_changed_without_a_version_bump_shows_the_new_next_due(
        tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    generate(TODAY).load_into(Store.open(path, clock=FixedClock())).close()
    assert path.with_name(path.name + ".index").exists()  # standings made by today's rule
    changed = tmp_path / "changed"
    shutil.copytree(PACKAGE, changed / "mesotui",
                    ignore=shutil.ignore_patterns("__pycache__"))
    schedule = changed / "mesotui" / "schedule.py"
    source = schedule.read_text()
    assert RULE in source
    schedule.write_text(source.replace(RULE, "    return day + relativedelta(months=months + 1)\n"))
    whole = tmp_path / "whole" / "clinic.json"  # the truth under the new rule: no index at all
    whole.parent.mkdir()
    shutil.copyfile(path, whole)
    expected = due_as_json(changed, whole)
    assert expected, "the demo clinic has patients due within 400 days"
    assert due_as_json(changed, path) == expected
    assert due_as_json(PACKAGE.parent, path) != expected  # the old rule is really different
