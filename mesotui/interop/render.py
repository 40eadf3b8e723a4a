"""One export request in any of the formats `mesotui export --format` offers."""

from __future__ import annotations

import json
from datetime import date, datetime

from mesotui import export
from mesotui.evaluation import Evaluation
from mesotui.interop import Systems, fhir, ics, tabular
from mesotui.models import Patient
from mesotui.store import Store

FORMATS = ("json", "fhir", "ics", "csv", "jsonl")
SUFFIX = {"json": ".json", "fhir": ".fhir.json", "ics": ".ics", "csv": ".csv", "jsonl": ".jsonl"}


def render(store: Store, today: date, request: export.ExportRequest, fmt: str = "json", *,
           horizon_months: int = 6, with_names: bool = False,
           progress: export.Progress | None = None) -> bytes:
    """The records `request` selects, as `fmt`, ready to write (UTF-8).

    Args:
        fmt: one of FORMATS.
        horizon_months: for `ics`, how far ahead planned sessions are listed.
        with_names: for `ics`, full names in event titles instead of initials.
    """
    if fmt == "json":
        return export.to_json(export.build(store, today, request, progress=progress))
    pseudonym = export.pseudonymiser(store, request)
    records = export.select(store, request, progress)
    if fmt == "csv":
        return tabular.csv_text(records, pseudonym).encode("utf-8")
    if fmt == "jsonl":
        return "".join(line + "\n" for line in tabular.jsonl_lines(records, pseudonym)).encode()
    protocol_for = store.protocol_in_force
    outlook_for = lambda patient: store.outlook(patient, today)  # noqa: E731
    if fmt == "fhir":
        bundle = fhir.bundle(records, today=today, protocol_for=protocol_for,
                             outlook_for=outlook_for, pseudonym=pseudonym,
                             evaluations_for=lambda p: evaluations(store, p, request),
                             systems=Systems(store.settings.system_base))
        return (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if fmt == "ics":
        return ics.calendar(records, today=today, protocol_for=protocol_for,
                            outlook_for=outlook_for, horizon_months=horizon_months,
                            with_names=with_names and pseudonym is None, pseudonym=pseudonym,
                            clinic_name=store.settings.clinic_name, stamp=store.clock(),
                            changed_for=lambda p: last_change(store, p),
                            systems=Systems(store.settings.system_base)).encode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}")


def evaluations(store: Store, patient: Patient, request: export.ExportRequest
                ) -> list[Evaluation]:
    """The patient's evaluations within the request's date range."""
    return [e for e in store.evaluations_for(patient.id)
            if (request.since is None or e.date >= request.since)
            and (request.until is None or e.date <= request.until)]


def last_change(store: Store, patient: Patient) -> datetime | None:
    """When any of the patient's records last changed (the newest revision's time)."""
    revisions = [*patient.history, *(r for s in store.sessions_for(patient.id)
                                     for r in s.history),
                 *(r for e in store.evaluations_for(patient.id) for r in e.history)]
    return max((r.when for r in revisions), default=None)
