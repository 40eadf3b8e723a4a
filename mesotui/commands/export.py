"""`mesotui export`: the clinic's records (or some of them) as a JSON file or on stdout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mesotui import export
from mesotui.commands._common import date_arg, print_json, progress_bar, whole_arg
from mesotui.deidentify import birth_band, unique_patients
from mesotui.errors import MesoError, RecordFileLocked
from mesotui.findings import failed_note
from mesotui.interop import Systems, formats, what_was_exported
from mesotui.interop.formats import FORMATS, Options
from mesotui.schedule import given
from mesotui.terminal import write_data

if TYPE_CHECKING:
    from mesotui.commands.context import Context
    from mesotui.store import Store


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("export", parents=[common],
                                   help="write the records as JSON, FHIR, iCalendar, CSV or JSON "
                                        "lines (stdout unless -o)")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path,
                        help="write to FILE (mode 0600) instead of stdout")
    parser.add_argument("--patient", metavar="ID", action="append", default=[],
                        help="only this patient (repeat for more)")
    parser.add_argument("--since", metavar="DATE", type=date_arg,
                        help="only sessions on or after this day")
    parser.add_argument("--until", metavar="DATE", type=date_arg,
                        help="only sessions on or before this day")
    parser.add_argument("--pseudonymise", "--pseudonymize", action="store_true",
                        help="remove names, contacts and notes; stable pseudonymous ids")
    parser.add_argument("--format", choices=list(FORMATS), default="json",
                        help=", ".join(f"{f.name} ({f.summary})" for f in FORMATS.values()))
    parser.add_argument("--horizon", metavar="MONTHS", type=whole_arg, default=6,
                        help="ics: list planned sessions this many months ahead (default 6)")
    parser.add_argument("--with-names", action="store_true",
                        help="ics: full names in event titles (default: initials and id)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    request = export.ExportRequest(tuple(args.patient), args.since, args.until,
                                   args.pseudonymise, args.output)
    if request.pseudonymise:
        _ensure_pseudonym_key(context)
    # A whole clinic's export begins by parsing everyone: that, while the file is proven.
    with context.open_store(readonly=True, read_ahead=not request.patient_ids) as store:
        if note := failed_note(store.integrity):  # tampered content is never passed as sound
            print(f"mesotui: note: {note}", file=sys.stderr)
        if request.pseudonymise:
            _report_uniqueness(store, request)
        if args.format == "fhir" and Systems(store.settings.system_base).is_default:
            print(f"mesotui: note: FHIR ids and codes are under the placeholder "
                  f"{store.settings.system_base}; set your clinic's own URL with "
                  "`mesotui clinic-url URL` so two clinics' exports never mix", file=sys.stderr)
        with progress_bar("Exporting", len(store.cards()), to_file=bool(args.output)) as tick:
            tally = export.Tally()
            pieces = formats.write(args.format, store, context.today, request,
                                   Options(args.horizon, args.with_names), progress=tick,
                                   tally=tally)
            if args.output is None:
                if sys.stdout.isatty():  # to be read: made terminal-safe, whole
                    write_data(b"".join(pieces))
                    return 0
                sys.stdout.flush()
                sys.stdout.buffer.writelines(pieces)  # data for a file or a pipe: as it is
                sys.stdout.flush()
                return 0
            export.write_bytes(pieces, args.output)
    patients, sessions = tally.patients, tally.sessions
    if args.json:
        print_json({"file": str(args.output), "format": args.format, "patients": patients,
                    "sessions": sessions, "pseudonymised": request.pseudonymise})
    else:
        kind = "pseudonymised " if request.pseudonymise else ""
        print(f"Exported {what_was_exported(args.format, patients, sessions)} "
              f"({kind}{args.format.upper()}) to {args.output}")
    return 0


def _report_uniqueness(store: Store, request: export.ExportRequest) -> None:
    """Tell the clinic, before it sends the file, how many patients it still singles out."""
    kept = [(p.sex.value, birth_band(p.date_of_birth), len(given(sessions)))
            for p, sessions, _ in export.select(store, request)]
    unique, total = unique_patients(kept)
    print(f"mesotui: re-identification risk: {unique} of {total} patients are unique on sex, "
          "birth decade and number of sessions (what this export keeps); anyone who knows those "
          "three facts of such a patient can find their rows", file=sys.stderr)


def _ensure_pseudonym_key(context: Context) -> None:
    """The first pseudonymised export creates the clinic's secret, which needs the file free."""
    with context.open_store(readonly=True) as store:
        if store.pseudonym_key(create=False) is not None:
            return
    try:
        with context.open_store() as store:
            store.pseudonym_key()
    except RecordFileLocked:
        raise MesoError(f"{context.db_path.name} is open in another mesotui window; the first "
                        "pseudonymised export must create the clinic's pseudonym key, so close "
                        "it there and try again (needed once)") from None
