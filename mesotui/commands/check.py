"""`mesotui check`: verify the record file without changing it; exit 1 when it is not sound."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from mesotui import integrity
from mesotui.commands._common import print_json
from mesotui.validation import plural

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("check", parents=[common],
                                   help="verify the record file (ids, references, histories)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    report = integrity.check(context.db_path)
    if args.json:
        print_json(report.to_data())
        return 0 if report.sound else 1
    name = context.db_path
    if report.sound:
        seals = {"sealed": " and every seal checked with the clinic key",
                 "unsealed": " (not sealed yet: mesotui seals it when it next opens it to write)"
                 }.get(report.sealed, "")
        counted = ", ".join(plural(n, word, count=True) for n, word in (
            (report.patients, "patient"), (report.sessions, "session"),
            (report.evaluations, "evaluation"), (report.revisions, "revision")))
        print(f"{name} is sound: {counted} verified{seals}.")
        for note in report.notes:
            print(f"Note: {note}.")
        return 0
    for problem in report.problems[:integrity.MAX_REPORTED]:
        print(f"mesotui: {name}: {problem}", file=sys.stderr)
    hidden = len(report.problems) - integrity.MAX_REPORTED
    if hidden > 0:
        print(f"mesotui: {name}: ... and {hidden} more problems", file=sys.stderr)
    return 1
