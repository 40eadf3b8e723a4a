"""`mesotui add-patient` and `mesotui log`: quick entry from a shell; each prints the new id."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mesotui import schedule, validation
from mesotui.commands._common import date_arg, number_arg, print_json, whole_arg
from mesotui.errors import MesoError, ValidationError
from mesotui.models import Patient, SideEffectReport
from mesotui.visits import routine_visit, with_anaesthesia
from mesotui.vocab import AnaesthesiaType, Area, Severity, Sex, SideEffect

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def side_effect_arg(text: str) -> SideEffectReport:
    """EFFECT:SEVERITY, e.g. pain:mild (an argparse type)."""
    effect, _, severity = text.partition(":")
    try:
        return SideEffectReport(SideEffect(effect.strip().lower()),
                                Severity(severity.strip().lower()))
    except ValueError:
        effects = ", ".join(e.value for e in SideEffect)
        raise argparse.ArgumentTypeError(
            f"{text!r} is not EFFECT:SEVERITY (effects: {effects}; "
            f"severities: mild, moderate, severe)") from None


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    add = subparsers.add_parser("add-patient", parents=[common], help="add a patient")
    add.add_argument("--name", required=True)
    add.add_argument("--sex", required=True, choices=[s.value for s in Sex])
    add.add_argument("--dob", required=True, metavar="DATE", type=date_arg)
    add.add_argument("--phone", default="")
    add.add_argument("--email", default="")
    add.add_argument("--notes", default="")
    add.add_argument("--treatment", action="append", default=[],
                     help="a concurrent treatment (repeat for more)")
    add.add_argument("--planned-start", metavar="DATE", type=date_arg)
    add.add_argument("--json", action="store_true", help="print JSON for scripts")
    add.set_defaults(handler=run_add_patient)

    demo = subparsers.add_parser("demo", parents=[common],
                                 help="write the synthetic demo clinic to a new record file")
    demo.add_argument("file", metavar="FILE", type=Path,
                      help="the record file to create (refused if it exists)")
    demo.add_argument("--patients", type=whole_arg, default=36,
                      help="how many synthetic patients (default 36)")
    demo.set_defaults(handler=run_demo)

    log = subparsers.add_parser("log", parents=[common], help="log a session given to a patient")
    log.add_argument("patient_id", metavar="PATIENT_ID")
    log.add_argument("--date", metavar="DATE", type=date_arg, help="default: today")
    log.add_argument("--anaesthesia", required=True, choices=[a.value for a in AnaesthesiaType])
    log.add_argument("--agent", help="anaesthetic agent, e.g. 'lidocaine 2%%'")
    log.add_argument("--amount", help="e.g. '1 mL ring block'")
    log.add_argument("--product")
    log.add_argument("--concentration-pct", type=number_arg)
    log.add_argument("--volume-ml", type=number_arg,
                     help="default: the last session's, else the clinic's (a routine visit)")
    log.add_argument("--lot", default="", help="the product lot (required unless the clinic's "
                     "settings make it optional)")
    log.add_argument("--lot-expiry", metavar="DATE", type=date_arg,
                     help="the lot's expiry (required with the lot)")
    log.add_argument("--confirm-expired-lot", action="store_true",
                     help="log a lot past its expiry on the session date")
    log.add_argument("--area", action="append", default=[], choices=[a.value for a in Area],
                     help="an area treated (repeat for more; default: the last session's)")
    log.add_argument("--points", type=whole_arg,
                     help="number of injection points (default: the last session's)")
    log.add_argument("--needle")
    log.add_argument("--duration-min", type=whole_arg)
    effects = log.add_mutually_exclusive_group()
    effects.add_argument("--side-effect", metavar="EFFECT:SEVERITY", action="append",
                         default=[], type=side_effect_arg,
                         help="a side effect reported (repeat for more); this or "
                              "--no-side-effects is required")
    effects.add_argument("--no-side-effects", action="store_true", help="asked: none reported")
    log.add_argument("--dose-notes", default="")
    counselling = log.add_mutually_exclusive_group()
    counselling.add_argument("--counselling", action="store_true", default=None,
                             help="pregnancy or contraception counselling was given (this or "
                                  "--no-counselling is required for women of child-bearing "
                                  "age and for men)")
    counselling.add_argument("--no-counselling", dest="counselling", action="store_false",
                             help="counselling was not given at this session")
    log.add_argument("--practitioner", help="one of the clinic's practitioners "
                     "(default: the clinic's default)")
    log.add_argument("--reason", default="",
                     help="why, when the session is a second one that day or comes before the "
                          "protocol's interval (recorded with it)")
    log.add_argument("--no-consent-ok", action="store_true",
                     help="log although no consent to off-label treatment is in force "
                          "(the override is recorded on the session)")
    log.add_argument("--json", action="store_true", help="print JSON for scripts")
    log.set_defaults(handler=run_log)


def run_demo(args: argparse.Namespace, context: Context) -> int:
    """A record file to try the commands on: the demo clinic as of --today."""
    from mesotui.commands.context import demo_store

    if args.file.exists():
        raise MesoError(f"{args.file}: already exists; the demo clinic goes into a new file")
    if not 1 <= args.patients <= 20_000:
        raise ValidationError({"patients": "must be 1 to 20,000"})
    demo_store(args.file, context, args.patients).close()
    print(f"{args.file}: the demo clinic as of {context.today} ({args.patients} synthetic "
          f"patients). Try: MESOTUI_DB={args.file} MESOTUI_TODAY={context.today} mesotui due")
    return 0


def run_add_patient(args: argparse.Namespace, context: Context) -> int:
    draft = Patient(id="", name=args.name.strip(), sex=Sex(args.sex), date_of_birth=args.dob,
                    phone=args.phone.strip(), email=args.email.strip(), notes=args.notes,
                    concurrent_treatments=tuple(t.strip() for t in args.treatment),
                    planned_start=args.planned_start)
    with context.open_store() as store:
        try:
            saved = store.add_patient(draft, context.today)
        except ValidationError as error:
            raise ValidationError(error.problems, "cannot add the patient") from None
    _print_id(args, saved.id)
    return 0


def run_log(args: argparse.Namespace, context: Context) -> int:
    with context.open_store() as store:
        defaults = store.settings
        patient = store.patient(args.patient_id)  # NotFound names the id
        day = args.date or context.today
        given = store.sessions_for(patient.id, include_voided=False)
        routine = with_anaesthesia(
            routine_visit(patient.id, day, defaults, given[-1] if given else None),
            AnaesthesiaType(args.anaesthesia), defaults, agent=args.agent, amount=args.amount)
        draft = replace(
            routine, product=_or(args.product, routine.product),
            concentration_pct=_or(args.concentration_pct, routine.concentration_pct),
            volume_ml=_or(args.volume_ml, routine.volume_ml),
            lot=args.lot.strip(), lot_expiry=args.lot_expiry,
            expired_lot_confirmed=args.confirm_expired_lot,
            areas=tuple(Area(a) for a in dict.fromkeys(args.area)) or routine.areas,
            injection_points=_or(args.points, routine.injection_points),
            needle=_or(args.needle, routine.needle),
            duration_min=_or(args.duration_min, routine.duration_min),
            dose_notes=args.dose_notes, side_effects=tuple(args.side_effect),
            no_side_effects=args.no_side_effects, counselling_given=bool(args.counselling),
            practitioner=_or(args.practitioner, routine.practitioner).strip(),
            consent_override=args.no_consent_ok and patient.consent_on(day) is None)
        problems = validation.session_problems(draft, patient, context.today)
        for key, problem in validation.completeness_problems(
                draft, patient, defaults, counselling_answered=args.counselling is not None
        ).items():
            problems.setdefault(key, problem + LOG_OPTIONS.get(key, ""))
        problems.update(practitioner_problems(draft.practitioner, defaults.practitioners))
        if problems:
            raise ValidationError(_with_options(problems), "cannot log the session")
        warnings = validation.session_warnings(
            draft, schedule.given(store.sessions_for(patient.id)),
            store.protocol_in_force(patient))
        if warnings and not args.reason.strip():
            dose = validation.dose_warnings(draft, schedule.given(store.sessions_for(
                patient.id)))
            field = "dose" if set(warnings) <= set(dose) else "date"
            raise ValidationError({field: " ".join(warnings) + " Give --reason to log it "
                                   "anyway (the reason is recorded)."}, "cannot log the session")
        try:
            saved = store.log_session(draft, context.today,
                                      reason=args.reason.strip() if warnings else "")
        except ValidationError as error:
            raise ValidationError(_with_options(error.problems),
                                  "cannot log the session") from None
    _print_id(args, saved.id)
    return 0


def _with_options(problems: dict[str, str]) -> dict[str, str]:
    """The problems, each with the option that answers it."""
    problems = dict(problems)
    if "before the session" in problems.get("lot_expiry", ""):
        problems["lot_expiry"] += " (--confirm-expired-lot)"
    if "consent" in problems:
        problems["consent"] = problems["consent"].replace(
            "confirm the override", "give --no-consent-ok")
    return problems


LOG_OPTIONS = {"lot": " (--lot)", "lot_expiry": " (--lot-expiry)",
               "side_effects": " (--side-effect EFFECT:SEVERITY or --no-side-effects)",
               "counselling": " (--counselling or --no-counselling)"}
"""The option that answers each problem of an incomplete session."""


def practitioner_problems(name: str, listed: tuple[str, ...]) -> dict[str, str]:
    """A clinic that lists its practitioners takes a session's from that list."""
    if not listed or name in listed:
        return {}
    choices = "; ".join(listed)
    if not name:
        return {"practitioner": f"is required (--practitioner, one of: {choices})"}
    return {"practitioner": f"{name!r} is not one of the clinic's practitioners ({choices}); "
                            "add it in the app's settings (s)"}


def _or(value, default):  # type: ignore[no-untyped-def]
    return default if value is None else value


def _print_id(args: argparse.Namespace, record_id: str) -> None:
    if args.json:
        print_json({"id": record_id})
    else:
        print(record_id)
