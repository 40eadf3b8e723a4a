"""The formats other than JSON, each written from one selection of the records (the table of
every format, JSON included, is mesotui/interop/formats.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from mesotui import export
from mesotui.deidentify import Deidentifier
from mesotui.evaluation import Evaluation
from mesotui.interop import Pseudonym, Records, Selected, Systems, fhir, ics, tabular
from mesotui.models import Patient, Protocol
from mesotui.schedule import Outlook
from mesotui.store import Store


@dataclass(frozen=True)
class Options:
    """What some formats take besides the request (see each format's `options`)."""

    horizon_months: int = 6
    """ics: how far ahead planned sessions are listed."""
    with_names: bool = False
    """ics: full names in event titles instead of initials and id."""


@dataclass(frozen=True)
class Selection:
    """The records a request selects, with the look-ups the formats make, de-identified
    together when the request is pseudonymised."""

    records: Records
    protocol_for: Callable[[Patient], Protocol]
    outlook_for: Callable[[Patient], Outlook]
    evaluations_for: Callable[[Patient], list[Evaluation]]
    changed_for: Callable[[Patient], datetime | None]
    pseudonym: Pseudonym | None = None
    """Set when the records carry their pseudonyms already: the formats go private."""


def selection(store: Store, today: date, request: export.ExportRequest,
              progress: export.Progress | None = None) -> Selection:
    """What `request` selects, ready for any format but JSON (see `export.stream`)."""
    pseudo = export.pseudonymiser(store, request)
    records: Records = export.select(store, request, progress)
    if pseudo:
        return _deidentified(pseudo, store, today, request, records)
    return Selection(records, store.protocol_in_force, lambda p: store.outlook(p, today),
                     lambda p: evaluations(store, p, request), lambda p: last_change(store, p))


def as_csv(store: Store, today: date, request: export.ExportRequest, options: Options,
        progress: export.Progress | None = None) -> bytes:
    """A row per session, for spreadsheets (UTF-8 with its byte-order mark)."""
    chosen = selection(store, today, request, progress)
    return tabular.csv_text(chosen.records, chosen.pseudonym,
                            _avoid_until(chosen)).encode("utf-8")


def as_jsonl(store: Store, today: date, request: export.ExportRequest, options: Options,
          progress: export.Progress | None = None) -> bytes:
    """A session per line, as JSON."""
    chosen = selection(store, today, request, progress)
    return "".join(line + "\n" for line in tabular.jsonl_lines(
        chosen.records, chosen.pseudonym, _avoid_until(chosen))).encode()


def _avoid_until(chosen: Selection) -> tabular.AvoidUntil:
    """Each patient's pregnancy-avoid date, as the selection's outlook gives it (shifted
    with the other dates when pseudonymised)."""
    return lambda p: chosen.outlook_for(p).pregnancy_avoid_until


def as_fhir(store: Store, today: date, request: export.ExportRequest, options: Options,
                progress: export.Progress | None = None) -> bytes:
    """An R4 Bundle of the patients, their sessions and evaluations."""
    chosen = selection(store, today, request, progress)
    bundle = fhir.bundle(chosen.records, today=today, protocol_for=chosen.protocol_for,
                         outlook_for=chosen.outlook_for, pseudonym=chosen.pseudonym,
                         evaluations_for=chosen.evaluations_for,
                         systems=Systems(store.settings.system_base))
    return (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def as_ics(store: Store, today: date, request: export.ExportRequest, options: Options,
             progress: export.Progress | None = None) -> bytes:
    """An iCalendar of the sessions due, `options.horizon_months` ahead."""
    chosen = selection(store, today, request, progress)
    private = chosen.pseudonym is not None
    return ics.calendar(chosen.records, today=today, protocol_for=chosen.protocol_for,
                        outlook_for=chosen.outlook_for, horizon_months=options.horizon_months,
                        with_names=options.with_names and not private,
                        pseudonym=chosen.pseudonym,
                        clinic_name="" if private else store.settings.clinic_name,
                        stamp=store.clock(), changed_for=chosen.changed_for,
                        systems=Systems(store.settings.system_base)).encode("utf-8")


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
                  records: Records) -> Selection:
    """The selection with every id, date and free text de-identified (deidentify.py), and the
    look-ups the formats make, answered from the real records and de-identified the same way."""
    real: dict[str, Patient] = {}
    out = []
    for patient, sessions, numbers in records:
        masked = d.patient(patient)
        real[masked.id] = patient
        out.append(Selected(masked, [d.session(s) for s in sessions],
                            {d(sid, "SX"): n for sid, n in numbers.items()}))
    return Selection(
        out, lambda p: store.protocol_in_force(real[p.id]),
        lambda p: d.outlook(real[p.id].id, store.outlook(real[p.id], today)),
        lambda p: [d.evaluation(e) for e in evaluations(store, real[p.id], request)],
        lambda p: d.when(real[p.id].id, last_change(store, real[p.id])), _already)
