"""One export request in any of the formats `mesotui export --format` offers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from mesotui import export
from mesotui.deidentify import Deidentifier
from mesotui.evaluation import Evaluation
from mesotui.interop import Records, Systems, fhir, ics, tabular
from mesotui.models import Patient, Protocol
from mesotui.schedule import Outlook
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
    pseudo = export.pseudonymiser(store, request)
    records: Records = export.select(store, request, progress)
    protocol_for: Callable[[Patient], Protocol] = store.protocol_in_force
    outlook_for: Callable[[Patient], Outlook] = lambda p: store.outlook(p, today)  # noqa: E731
    evaluations_for: Callable[[Patient], list[Evaluation]] = \
        lambda p: evaluations(store, p, request)  # noqa: E731
    changed_for: Callable[[Patient], datetime | None] = lambda p: last_change(store, p)  # noqa: E731
    pseudonym = None
    if pseudo:
        records, protocol_for, outlook_for, evaluations_for, changed_for = _deidentified(
            pseudo, store, today, request, records)
        pseudonym = _already  # the records carry their pseudonyms: formats go private
    if fmt == "csv":
        return tabular.csv_text(records, pseudonym).encode("utf-8")
    if fmt == "jsonl":
        return "".join(line + "\n" for line in tabular.jsonl_lines(records, pseudonym)).encode()
    if fmt == "fhir":
        bundle = fhir.bundle(records, today=today, protocol_for=protocol_for,
                             outlook_for=outlook_for, pseudonym=pseudonym,
                             evaluations_for=evaluations_for,
                             systems=Systems(store.settings.system_base))
        return (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if fmt == "ics":
        return ics.calendar(records, today=today, protocol_for=protocol_for,
                            outlook_for=outlook_for, horizon_months=horizon_months,
                            with_names=with_names and pseudonym is None, pseudonym=pseudonym,
                            clinic_name="" if pseudo else store.settings.clinic_name,
                            stamp=store.clock(), changed_for=changed_for,
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


def _already(record_id: str, kind: str) -> str:
    return record_id


def _deidentified(d: Deidentifier, store: Store, today: date, request: export.ExportRequest,
                  records: Records) -> tuple[Any, Any, Any, Any, Any]:
    """The selection with every id, date and free text de-identified (deidentify.py), and the
    look-ups the formats make, answered from the real records and de-identified the same way."""
    real: dict[str, Patient] = {}
    out = []
    for patient, sessions in records:
        masked = d.patient(patient)
        real[masked.id] = patient
        out.append((masked, [d.session(s) for s in sessions]))
    return (out, lambda p: store.protocol_in_force(real[p.id]),
            lambda p: d.outlook(real[p.id].id, store.outlook(real[p.id], today)),
            lambda p: [d.evaluation(e) for e in evaluations(store, real[p.id], request)],
            lambda p: d.when(real[p.id].id, last_change(store, real[p.id])))
