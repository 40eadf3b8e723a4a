"""`mesotui consent` and `mesotui evaluate`: consent and the course evaluation, scripted."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mesotui import validation
from mesotui.commands._common import date_arg, number_arg, print_json, whole_arg
from mesotui.commands.entry import practitioner_problems
from mesotui.errors import ValidationError
from mesotui.evaluation import Consent, Evaluation, Photo
from mesotui.vocab import CourseStatus, Decision, PullTest, ScoreChange

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def photo_arg(text: str) -> Photo:
    """PATH[:ANGLE], e.g. /photos/p1/vertex.jpg:vertex (an argparse type)."""
    path, colon, angle = text.rpartition(":")
    if not colon or "/" in angle or "\\" in angle or not path:
        path, angle = text, ""
    if not path.strip():
        raise argparse.ArgumentTypeError("a photo needs a path")
    return Photo(path.strip(), angle.strip())


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    consent = subparsers.add_parser(
        "consent", parents=[common],
        help="record (or withdraw) consent to off-label dutasteride mesotherapy")
    consent.add_argument("patient_id", metavar="PATIENT_ID")
    consent.add_argument("--date", metavar="DATE", type=date_arg, help="default: today")
    consent.add_argument("--form-version", default="",
                         help="the consent form's version or reference")
    consent.add_argument("--taken-by", default="", help="who took the consent")
    consent.add_argument("--withdraw", action="store_true",
                         help="record that the consent in force was withdrawn on --date")
    consent.add_argument("--reason", default="", help="why consent was withdrawn")
    consent.add_argument("--json", action="store_true", help="print JSON for scripts")
    consent.set_defaults(handler=run_consent)

    evaluate = subparsers.add_parser(
        "evaluate", parents=[common],
        help="record a course evaluation: outcome measures and the decision")
    evaluate.add_argument("patient_id", metavar="PATIENT_ID")
    evaluate.add_argument("--date", metavar="DATE", type=date_arg, help="default: today")
    evaluate.add_argument("--decision", required=True, choices=[d.value for d in Decision])
    evaluate.add_argument("--maintenance-months", type=whole_arg,
                          help="interval from now on (maintenance; default 4)")
    evaluate.add_argument("--stop-reason", default="", help="required with --decision stop")
    evaluate.add_argument("--hair-count", type=number_arg, metavar="PER_CM2",
                          help="hairs per cm² in the marked area")
    evaluate.add_argument("--site", default="", help="where the hair count was taken")
    evaluate.add_argument("--shaft-diameter", type=number_arg, metavar="UM",
                          help="hair shaft diameter in µm")
    evaluate.add_argument("--pull-test", choices=[p.value for p in PullTest])
    changes = [c.value for c in ScoreChange]
    evaluate.add_argument("--global-score", choices=changes,
                          help="independent global photographic assessment (7-point)")
    evaluate.add_argument("--self-assessment", choices=changes,
                          help="the patient's own assessment (7-point)")
    evaluate.add_argument("--photo", action="append", default=[], type=photo_arg,
                          metavar="PATH[:ANGLE]", help="a standardised photo (repeat for more)")
    evaluate.add_argument("--notes", default="")
    evaluate.add_argument("--practitioner", help="one of the clinic's practitioners "
                          "(default: the clinic's default)")
    evaluate.add_argument("--reason", default="",
                          help="why, when another evaluation is recorded on that date "
                               "(recorded with it)")
    evaluate.add_argument("--json", action="store_true", help="print JSON for scripts")
    evaluate.set_defaults(handler=run_evaluate)


def run_consent(args: argparse.Namespace, context: Context) -> int:
    day = args.date or context.today
    with context.open_store() as store:
        try:
            if args.withdraw:
                if not args.reason.strip():
                    raise ValidationError({"reason": "is required to withdraw consent"})
                saved = store.withdraw_consent(args.patient_id, day, context.today,
                                               reason=args.reason)
            else:
                saved = store.record_consent(args.patient_id, Consent(
                    day, args.form_version.strip(), args.taken_by.strip()), context.today)
        except ValidationError as error:
            verb = "withdraw" if args.withdraw else "record"
            raise ValidationError(error.problems, f"cannot {verb} consent") from None
    in_force = saved.consent_on(context.today) is not None
    if args.json:
        print_json({"id": saved.id, "consent_in_force": in_force})
    else:
        print(f"{saved.id} consent {'in force' if in_force else 'not in force'}")
        if args.withdraw and saved.status is CourseStatus.PAUSED and saved.course \
                and saved.course[-1].reason.startswith("consent withdrawn"):
            print(f"{saved.id} course paused from {saved.course[-1].on}: no longer due; "
                  f"`mesotui course {saved.id} resume` once consent is recorded again")
    return 0


def run_evaluate(args: argparse.Namespace, context: Context) -> int:
    with context.open_store() as store:
        store.patient(args.patient_id)  # NotFound names the id
        draft = Evaluation(
            id="", patient_id=args.patient_id, date=args.date or context.today,
            decision=Decision(args.decision), maintenance_months=args.maintenance_months,
            stop_reason=args.stop_reason.strip(), hair_count_per_cm2=args.hair_count,
            hair_count_site=args.site.strip(), shaft_diameter_um=args.shaft_diameter,
            pull_test=PullTest(args.pull_test) if args.pull_test else None,
            global_score=ScoreChange(args.global_score) if args.global_score else None,
            self_assessment=ScoreChange(args.self_assessment) if args.self_assessment else None,
            photos=tuple(args.photo), notes=args.notes,
            practitioner=(args.practitioner if args.practitioner is not None
                          else store.settings.default_practitioner).strip())
        if problems := practitioner_problems(draft.practitioner, store.settings.practitioners):
            raise ValidationError(problems, "cannot record the evaluation")
        warnings = validation.evaluation_warnings(draft, [
            e for e in store.evaluations_for(args.patient_id) if not e.voided])
        if warnings and not args.reason.strip():
            raise ValidationError({"date": " ".join(warnings) + " Give --reason to record it "
                                   "anyway (the reason is recorded)."},
                                  "cannot record the evaluation")
        try:
            saved = store.record_evaluation(draft, context.today,
                                            reason=args.reason.strip() if warnings else "")
        except ValidationError as error:
            problems = dict(error.problems)
            if "stop_reason" in problems:
                problems["stop_reason"] += " (--stop-reason)"
            raise ValidationError(problems, "cannot record the evaluation") from None
        view = store.outlook(store.patient(args.patient_id), context.today)
    if args.json:
        print_json({"id": saved.id, "next_due": view.next_due.isoformat() if view.next_due
                    else None, "status": view.status.value})
    else:
        print(saved.id)
    return 0
