"""The `mesotui` command: global options, subcommands, and opening the terminal app."""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from mesotui import __version__
from mesotui.commands.context import Context, demo_store
from mesotui.errors import CorruptRecordFile, MesoError, RecordFileLocked
from mesotui.parse import DateText, resolve_date
from mesotui.paths import ENV_DB, resolve_db_path
from mesotui.store import Store
from mesotui.terminal import guarded_streams, safe

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
ENV_TODAY = "MESOTUI_TODAY"


def _today(text: str) -> date:
    try:
        return resolve_date(text, "--today", date.today())
    except MesoError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--today: ")) from None


def resolve_dates(args: argparse.Namespace, today: date) -> None:
    """Relative dates given to a command (--date -1d) read against its today, each said on
    stderr as it is read ("--date -1d → 2026-01-14"), so a script's log shows it."""
    for key, value in vars(args).items():
        if isinstance(value, DateText):
            day = resolve_date(value, f"--{key.replace('_', '-')}", today)
            setattr(args, key, day)
            print(f"mesotui: --{key.replace('_', '-')} {value} \u2192 {day.isoformat()}",
                  file=sys.stderr)


def global_options(suppress: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command name.

    `mesotui --db F due` and `mesotui due --db F` mean the same.
    """
    parser = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", metavar="PATH", default=default,
                        help=f"the record file (default: ${ENV_DB}, else clinic.json in the "
                             "user data folder)")
    parser.add_argument("--today", metavar="DATE", type=_today, default=default,
                        help=f"treat this date as today (demos, planning, tests; default: "
                             f"${ENV_TODAY}, else today); every date option also takes today, "
                             "yesterday, -3d, +2w, +2m, mon, +fri")
    return parser


def build_parser(*, with_commands: bool = True) -> argparse.ArgumentParser:
    """The command line; without `with_commands`, only what opening the app accepts."""
    parser = argparse.ArgumentParser(
        prog="mesotui", parents=[global_options(suppress=False)],
        description="Keep the record of dutasteride mesotherapy courses. "
                    "Without a command, opens the clinic's patient list.")
    parser.add_argument("--version", action="version", version=f"mesotui {__version__}")
    parser.add_argument("--view-only", "--read-only", action="store_true",
                        help="open the app without changing anything: a second window on a "
                             "file open elsewhere, which shows that window's saves as they "
                             "are made")
    parser.add_argument("--demo", action="store_true",
                        help="work on a throwaway copy of a synthetic demo clinic (the app, "
                             "or any command: mesotui --demo due)")
    if with_commands:
        from mesotui import commands

        subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
        commands.register(subparsers, global_options(suppress=True))
    return parser


def opens_the_app(argv: list[str]) -> bool:
    """Whether `argv` only opens the app (no command, no help): then the eleven command
    modules are not imported, which would cost every start of the app a thirtieth of a second.
    Anything else, odd spellings included, goes to the full parser and its messages."""
    rest = list(argv)
    while rest:
        token = rest.pop(0)
        if token in ("--db", "--today") and rest and not rest[0].startswith("-"):
            rest.pop(0)
        elif token not in ("--demo", "--view-only", "--read-only") and not token.startswith(
                ("--db=", "--today=")):
            return False
    return True


def _joined_offsets(argv: list[str]) -> list[str]:
    """`--date -1d` as `--date=-1d`: argparse would read "-1d" as an option of its own."""
    joined: list[str] = []
    for token in argv:
        if (joined and joined[-1].startswith("--") and "=" not in joined[-1]
                and re.fullmatch(r"-\d{1,4}[dwmy]?", token)):
            joined[-1] += "=" + token
        else:
            joined.append(token)
    return joined


def main(argv: list[str] | None = None) -> int:
    argv = _joined_offsets(sys.argv[1:] if argv is None else argv)
    parser = build_parser(with_commands=not opens_the_app(argv))
    with guarded_streams():  # argparse echoes what was typed: never raw
        args = parser.parse_args(argv)
    today = args.today or _env_today() or date.today()
    context = Context(resolve_db_path(args.db), today, demo=args.demo,
                      view_only=getattr(args, "view_only", False))
    handler: Callable[[argparse.Namespace, Context], int] | None = getattr(args, "handler", None)
    if handler is None:
        return _guarded(run_app, context)  # the app makes its own screen safe (tui/safe_text)
    def command(context: Context) -> int:
        resolve_dates(args, context.today)  # --date -1d read against --today
        if args.demo:
            return _on_a_demo_copy(handler, args, context)
        return handler(args, context)

    with guarded_streams():  # no record's text reaches the terminal raw, whatever prints it
        return _guarded(command, context)


def _guarded(run: Callable[[Context], int], context: Context) -> int:
    """Run a command or the app; a MesoError becomes one plain line and exit code 1."""
    try:
        return run(context)
    except MesoError as error:
        print(f"mesotui: {safe(str(error))}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_DATA
    except Exception as error:  # a bug: never a traceback, which can show patient data
        from mesotui.crashreport import debugging, plain_report

        if debugging():
            raise
        print(plain_report(error), file=sys.stderr)
        return EXIT_DATA


def _env_today() -> date | None:
    """$MESOTUI_TODAY, as --today (a demo or a script fixes its day once)."""
    text = os.environ.get(ENV_TODAY, "").strip()
    if not text:
        return None
    try:
        return resolve_date(text, f"${ENV_TODAY}", date.today())
    except MesoError as error:
        print(f"mesotui: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _on_a_demo_copy(handler: Callable[[argparse.Namespace, Context], int],
                    args: argparse.Namespace, context: Context) -> int:
    """`mesotui --demo COMMAND`: the command on a throwaway copy of the demo clinic."""
    from dataclasses import replace

    with _throwaway() as folder:
        path = folder / "clinic.json"
        demo_store(path, context).close()
        return handler(args, replace(context, db_path=path))


def run_app(context: Context) -> int:
    """Open the terminal app on the record file (or on a demo copy).

    A record file that cannot be read opens the recovery screen instead of a traceback.
    """
    # Importing Textual and reading the record build a few hundred thousand objects that all
    # live on; collecting among them is a tenth of the start-up. The app turns the collector
    # back on, with all of them frozen out of its sight, once the list is on screen.
    gc.disable()
    try:
        return _run_main(context)
    except CorruptRecordFile as error:
        from mesotui.tui.recovery import RecoveryApp  # Textual loads only when needed

        gc.enable()
        if RecoveryApp(context.db_path.absolute(), str(error)).run() is None:
            print(f"mesotui: {error}; nothing was changed", file=sys.stderr)
            return EXIT_DATA
        return _run_main(context)
    finally:
        gc.enable()


def _run_main(context: Context) -> int:
    if context.view_only and not context.demo:
        return _run_view_only(context)
    try:
        with _opened(context) as (store, label):
            return _run_app_on(store, label, context)
    except RecordFileLocked as error:
        if not _wants_view_only(error):
            raise
    return _run_view_only(context)


def _wants_view_only(error: RecordFileLocked) -> bool:
    """The file is open for changes elsewhere: offer a view-only window (on a terminal)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        error.args = (f"{error}; mesotui --view-only opens it to look, without changing it",)
        return False
    print(f"mesotui: {error}.\nOpen it view only? That window shows the other one's saves as "
          "they are made, and changes nothing. [Y/n] ", end="", flush=True)
    try:
        answer = sys.stdin.readline().strip().lower()
    except (OSError, KeyboardInterrupt):
        return False
    return answer in ("", "y", "yes")


def _run_view_only(context: Context) -> int:
    from mesotui.tui.app import MesoApp
    from mesotui.tui.viewonly import lower_priority

    lower_priority()  # the writer's window, where a patient is being recorded, comes first
    with Store.open(context.db_path, readonly=True, clock=context.clock) as store:
        app = MesoApp(store=store, today=context.today, db_label=str(context.db_path),
                      view_only=True)
        app.run()
    if app.failed is not None:
        raise app.failed
    return app.return_code or EXIT_OK


def _run_app_on(store: Store, label: str, context: Context) -> int:
    # Textual is imported, and the app set up, while a thread reads the record file and
    # proves its index; the patient list shows once the index is vouched for, and nothing
    # is written before the proof is done (PatientsScreen.reload, tui/background.py).
    from mesotui.tui.app import MesoApp

    app = MesoApp(store=store, today=context.today, db_label=label, sync=not context.demo)
    try:
        app.run()
    finally:
        if app.syncing is not None:
            app.syncing.stop()  # a sync under way gives up before the record file closes
    if app.failed is not None:
        raise app.failed  # a damaged file: run_app offers the recovery screen
    return app.return_code or EXIT_OK


@contextmanager
def _opened(context: Context) -> Iterator[tuple[Store, str]]:
    if not context.demo:
        with Store.open(context.db_path, clock=context.clock, prove=False) as store:
            yield store, str(context.db_path)
        return
    with _throwaway() as folder, demo_store(folder / "clinic.json", context) as store:
        yield store, "demo clinic (throwaway copy)"


@contextmanager
def _throwaway() -> Iterator[Path]:
    """A folder for a throwaway demo clinic, removed afterwards with its clinic key (kept in
    it, never in the user's key folder)."""
    import tempfile

    from mesotui.engine.keys import ENV_KEYS

    folder = Path(tempfile.mkdtemp(prefix="mesotui-demo-"))
    keys = os.environ.get(ENV_KEYS)
    os.environ[ENV_KEYS] = str(folder / "keys")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if keys is None:
            os.environ.pop(ENV_KEYS, None)
        else:
            os.environ[ENV_KEYS] = keys
