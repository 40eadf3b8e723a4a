"""`mesotui void` and `mesotui course`: the changes to a course the app can make, scripted."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mesotui.commands._common import date_arg, print_json
from mesotui.vocab import CourseStatus

if TYPE_CHECKING:
    from mesotui.commands.context import Context

ACTIONS = {"pause": CourseStatus.PAUSED, "stop": CourseStatus.STOPPED,
           "resume": CourseStatus.ACTIVE}


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    void = subparsers.add_parser("void", parents=[common],
                                 help="void a session (kept and exported, no longer counted)")
    void.add_argument("session_id", metavar="SESSION_ID")
    void.add_argument("--reason", required=True, help="why (kept in the record's history)")
    void.add_argument("--json", action="store_true", help="print JSON for scripts")
    void.set_defaults(handler=run_void)

    course = subparsers.add_parser("course", parents=[common],
                                   help="pause, stop or resume a patient's course")
    course.add_argument("patient_id", metavar="PATIENT_ID")
    course.add_argument("action", choices=list(ACTIONS))
    course.add_argument("--reason", default="", help="why (kept in the record's history)")
    course.add_argument("--on", metavar="DATE", type=date_arg, help="default: today")
    course.add_argument("--json", action="store_true", help="print JSON for scripts")
    course.set_defaults(handler=run_course)


def run_void(args: argparse.Namespace, context: Context) -> int:
    with context.open_store() as store:
        saved = store.void_session(args.session_id, reason=args.reason)
    if args.json:
        print_json({"id": saved.id, "voided": True})
    else:
        print(saved.id)
    return 0


def run_course(args: argparse.Namespace, context: Context) -> int:
    with context.open_store() as store:
        saved = store.set_course_status(args.patient_id, ACTIONS[args.action],
                                        args.on or context.today, reason=args.reason,
                                        today=context.today)
    if args.json:
        print_json({"id": saved.id, "status": saved.status.value})
    else:
        print(f"{saved.id} {saved.status.value}")
    return 0
