"""The `mesotui` command: version, options, the record file location, and opening the app."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mesotui import __version__
from mesotui.cli import build_parser, main, opens_the_app
from mesotui.commands.context import Context, demo_store
from mesotui.paths import resolve_db_path
from tests.conftest import TODAY


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"mesotui {__version__}"
    assert __version__ != "0.0.0+unknown"


def test_the_db_flag_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.setenv("MESOTUI_DB", str(tmp_path / "env.json"))
    assert resolve_db_path(None) == tmp_path / "env.json"
    assert resolve_db_path(str(tmp_path / "flag.json")) == tmp_path / "flag.json"


def test_default_record_file_is_in_a_private_user_data_folder(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.delenv("MESOTUI_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = resolve_db_path(None)
    assert path == tmp_path / "data" / "mesotui" / "clinic.json"
    if os.name == "posix":
        assert (path.parent.stat().st_mode & 0o777) == 0o700


def test_an_impossible_today_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--today", "2026-02-30"])
    assert done.value.code == 2
    assert "not a real calendar date" in capsys.readouterr().err


def test_global_options_work_after_the_command_name(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "x.json"
    assert main(["where", "--db", str(db)]) == 0
    assert str(db) in capsys.readouterr().out
    args = build_parser().parse_args(["--today", "2026-01-15", "where", "--db", str(db)])
    assert (args.db, str(args.today)) == (str(db), "2026-01-15")


def test_a_locked_file_gives_one_clear_line_and_exit_1(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    context = Context(tmp_path / "clinic.json", TODAY)
    with context.open_store():
        assert main(["--db", str(context.db_path)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (f"mesotui: clinic.json is open in another mesotui window "
                           f"({context.db_path}); mesotui --view-only opens it to look, "
                           "without changing it")


def test_context_clock_follows_today(tmp_path: Path) -> None:
    """--today moves revision stamps too, so a demo's history reads in its own time."""
    assert Context(tmp_path / "c.json", TODAY).clock().date() == TODAY


async def test_the_demo_clinic_opens_headless_on_a_given_today(tmp_path: Path) -> None:
    """`mesotui --today 2026-01-15 --demo` in-process: the patient list shows the demo."""
    from mesotui.tui.app import MesoApp

    context = Context(tmp_path / "clinic.json", TODAY, demo=True)
    with demo_store(context.db_path, context) as store:
        app = MesoApp(store=store, today=TODAY, db_label="demo")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            shown = app.screen.query_one("#patients")
            assert shown.display and store.overview(TODAY)
            assert "2026" in str(app.sub_title)


def test_the_installed_command_starts_the_demo(tmp_path: Path) -> None:
    """The console script runs the demo app in a real terminal-less process and quits."""
    script = ("import sys\nfrom mesotui.tui import app as a\n"
              "a.MesoApp.run = lambda self, **k: print('started', len(self.store.patients()))\n"
              "from mesotui.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", script, "--today", "2026-01-15", "--demo"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "XDG_DATA_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "started 36"


@pytest.mark.parametrize(("argv", "light"), [
    ([], True),
    (["--db", "x.json", "--today", "2026-01-15"], True),
    (["--demo", "--db=x.json", "--today=2026-01-15"], True),
    (["due"], False),
    (["--db", "x.json", "export", "--out", "y"], False),
    (["--help"], False),
    (["--db"], False),  # a missing value: the full parser says so
    (["nonsense"], False),
])
def test_only_a_plain_start_skips_loading_the_commands(argv: list[str], light: bool) -> None:
    assert opens_the_app(argv) is light


def test_a_mistyped_command_still_names_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["dew"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'dew'" in err and "due" in err


def test_a_failed_start_leaves_the_garbage_collector_running(tmp_path: Path) -> None:
    context = Context(tmp_path / "clinic.json", TODAY)
    with context.open_store():
        assert main(["--db", str(context.db_path)]) == 1  # locked: the app never starts
    assert gc.isenabled()
