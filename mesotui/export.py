"""The clinic's records as a complete JSON export, optionally pseudonymised for research."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from mesotui import __version__, schedule
from mesotui.deidentify import METHOD, Deidentifier, birth_band
from mesotui.engine import durable
from mesotui.engine.checkpoint import no_gc
from mesotui.errors import MesoError
from mesotui.evaluation import Evaluation
from mesotui.interop import Selected
from mesotui.models import Patient, Session
from mesotui.store import Store

FORMAT = "mesotui-export"
SCHEMA_VERSION = 2
"""2 added consents, evaluations and the consent override; importer.py still reads 1."""

Progress = Callable[[int, int], None]
"""Called with (done, total) as patients are exported."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export: whole clinic or some patients, a date range, pseudonymised or not."""

    patient_ids: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    pseudonymise: bool = False
    destination: Path | None = None


Pseudonymiser = Deidentifier
"""Stable, irreversible stand-ins for ids, and the per-patient date shift (deidentify.py)."""


def build(store: Store, today: date, request: ExportRequest = ExportRequest(), *,
          now: datetime | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """The export document for `request`, with next-due dates computed as of `today`.

    Raises:
        NotFound: a requested patient id is not in the record.
        MesoError: a pseudonymised export was asked of a file without a pseudonym key.
    """
    document, entries = _parts(store, today, request, now, progress)
    with no_gc(freeze=True):  # a large clinic's entries all live on: never rescan them
        document["patients"] = list(entries)
    return document


def stream(store: Store, today: date, request: ExportRequest = ExportRequest(), *,
           now: datetime | None = None, progress: Progress | None = None,
           tally: Tally | None = None) -> Iterator[bytes]:
    """`to_json(build(...))` in pieces, a patient at a time: the same bytes, never the whole
    clinic in memory (a 20,000-patient export would otherwise hold gigabytes).

    Args:
        tally: counts the patients and sessions written, for the caller to report.

    Raises:
        NotFound, MesoError: as `build`, before the first piece.
    """
    document, entries = _parts(store, today, request, now, progress)
    document["patients"] = []
    head = to_json(document)
    closing = b"[]\n}\n"
    if not head.endswith(closing):  # orjson's layout: "patients" last, as `_parts` puts it
        raise AssertionError("the export document must end with its patients")
    head = head[:-len(closing)]
    written = 0
    with no_gc():
        for entry in entries:
            # Indented as deep as it sits in the document: in a list under a key.
            piece = orjson.dumps({"": [entry]}, option=orjson.OPT_INDENT_2)[_OPEN:-_CLOSE]
            yield head + b"[\n" + piece if not written else b",\n" + piece
            written += 1
            if tally is not None:
                tally.patients += 1
                tally.sessions += len(entry["sessions"])
    yield head + closing if not written else b"\n  ]\n}\n"


_OPEN, _CLOSE = len(b'{\n  "": [\n'), len(b"\n  ]\n}")
"""What `orjson.dumps({"": [entry]}, option=OPT_INDENT_2)` puts around the entry."""


@dataclass
class Tally:
    """What an export wrote."""

    patients: int = 0
    sessions: int = 0


def _parts(store: Store, today: date, request: ExportRequest, now: datetime | None,
           progress: Progress | None) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The document without its patients (checked and ready), and their entries to come."""
    pseudo = pseudonymiser(store, request)
    if request.since and request.until and request.since > request.until:
        raise MesoError(f"--since {request.since} is after --until {request.until}")
    patients = _chosen(store, request.patient_ids)
    settings = store.settings.to_data()
    if pseudo:  # the clinic's own words and names
        settings.update(clinic_name="", practitioners=[], default_practitioner="",
                        default_product="", default_needle="", system_base="",
                        default_anaesthesia=dict(settings["default_anaesthesia"], agent="",
                                                 amount=""))
    stamp = (now or store.clock()).astimezone().isoformat(timespec="seconds")
    document = {
        "format": FORMAT, "schema_version": SCHEMA_VERSION, "exported_at": stamp,
        "app_version": __version__, "pseudonymised": pseudo is not None,
        "scope": {"patients": sorted(request.patient_ids) if not pseudo else
                  sorted(pseudo(i, "PX") for i in request.patient_ids),
                  "since": _iso(request.since), "until": _iso(request.until)},
        "settings": settings,
        "integrity": _integrity(store, pseudo is not None),
    }
    if pseudo:
        document = {**{k: v for k, v in document.items() if k != "settings"},
                    "deidentification": METHOD, "settings": settings}
    return document, _entries(store, today, request, patients, pseudo, progress)


def _integrity(store: Store, pseudonymised: bool) -> dict[str, Any]:
    """Whether the record file's seals could be checked, and which records failed them (as a
    count only, in a pseudonymised export): tampered content is never passed off as sound."""
    from mesotui.findings import summary

    found = summary(store.integrity)
    if pseudonymised:
        found["failed"] = len(found["failed"])  # type: ignore[assignment]
    return found


def _entries(store: Store, today: date, request: ExportRequest, patients: list[Patient],
             pseudo: Pseudonymiser | None, progress: Progress | None
             ) -> Iterator[dict[str, Any]]:
    ranged = request.since is not None or request.until is not None
    for done, patient in enumerate(patients, start=1):
        evaluations = [e for e in store.evaluations_for(patient.id)
                       if _in_range(e.date, request.since, request.until)]
        sessions = _session_entries(store, patient.id, request)
        if not ranged or sessions or evaluations:
            yield patient_entry(store, patient, sessions, today, pseudo, evaluations)
        if progress:
            progress(done, len(patients))


def pseudonymiser(store: Store, request: ExportRequest) -> Pseudonymiser | None:
    """The clinic's pseudonymiser when `request` asks for one (the key must exist)."""
    if not request.pseudonymise:
        return None
    key = store.pseudonym_key(create=not store.readonly)
    if key is None:
        raise MesoError("this record file has no pseudonym key yet; close mesotui in the "
                        "other window and export again (needed once)")
    return Pseudonymiser(key)


def select(store: Store, request: ExportRequest, progress: Progress | None = None
           ) -> list[Selected]:
    """The patients and sessions `request` asks for: chosen patients, sessions in the range,
    each counted session with its number in the whole course (a range never renumbers).

    With a date range, patients with no session in it are left out.
    """
    if request.since and request.until and request.since > request.until:
        raise MesoError(f"--since {request.since} is after --until {request.until}")
    patients = _chosen(store, request.patient_ids)
    ranged = request.since is not None or request.until is not None
    chosen: list[Selected] = []
    for done, patient in enumerate(patients, start=1):
        every = store.sessions_for(patient.id)
        sessions = [s for s in every if _in_range(s.date, request.since, request.until)]
        evaluated = any(_in_range(e.date, request.since, request.until)
                        for e in store.evaluations_for(patient.id))
        if not ranged or sessions or evaluated:
            chosen.append(Selected(patient, sessions, schedule.numbers(every)))
        if progress:
            progress(done, len(patients))
    return chosen


def patient_entry(store: Store, patient: Patient, sessions: list[dict[str, Any]], today: date,
                  pseudo: Pseudonymiser | None = None,
                  evaluations: list[Evaluation] | None = None) -> dict[str, Any]:
    """One patient as exported: stored fields, derived ones, sessions, evaluations, history.

    `sessions` are entries made already (`_session_entries`); `evaluations` defaults to all of
    the patient's (a date-ranged export passes those in range).
    """
    view = store.outlook(patient, today)
    if evaluations is None:
        evaluations = store.evaluations_for(patient.id)
    entry: dict[str, Any] = {"id": patient.id, **patient.to_data()}
    entry.update(
        own_protocol=entry.pop("protocol"), protocol=store.protocol_for(patient).to_data(),
        status=patient.status.value, next_due=_iso(view.next_due),
        due_status=view.status.value, sessions_given=view.sessions_given,
        pregnancy_avoid_until=_iso(view.pregnancy_avoid_until),
        history=[r.to_doc() for r in patient.history],
        consent_in_force=patient.consent_on(today) is not None,
        sessions=sessions,
        evaluations=[evaluation_entry(e) for e in evaluations])
    return pseudonymise(entry, pseudo) if pseudo else entry


def session_entry(session: Session, number: int | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": session.id, **session.to_data()}
    entry.update(number=number, dose_mg=session.dose_mg, voided=session.voided,
                 void_reason=session.void_reason, amended=session.amended,
                 history=[r.to_doc() for r in session.history])
    return entry


_SESSION_FIELDS = Session("", "", date.min).to_data().keys()


def _session_entries(store: Store, patient_id: str, request: ExportRequest
                     ) -> list[dict[str, Any]]:
    """The patient's sessions in `request`'s range, as entries, numbered among all of them.

    Built from the stored documents, as `session_entry` would build them from models: a
    whole-clinic export then need not parse every session. A document written by another
    version (its fields differ) goes through the model instead.
    """
    entries, number = [], 0
    for doc in store.session_documents(patient_id):
        history = doc["history"]
        last = history[-1]
        voided = last["action"] == "void"
        number += not voided
        data = last["data"]
        day = date.fromisoformat(data["date"]) if request.since or request.until else None
        if day is not None and not _in_range(day, request.since, request.until):
            continue
        if data.keys() != _SESSION_FIELDS:
            entries.append(session_entry(store.session(doc["id"]), None if voided else number))
            continue
        volume, strength = data["volume_ml"], data["concentration_pct"]
        entries.append({
            "id": doc["id"], **data, "number": None if voided else number,
            "dose_mg": (None if volume is None or strength is None
                        else round(volume * strength * 10, 6)),
            "voided": voided, "void_reason": last["reason"] if voided else "",
            "amended": len(history) > 1 and any(r["action"] == "amend" for r in history),
            "history": history})
    return entries


def evaluation_entry(evaluation: Evaluation) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": evaluation.id, **evaluation.to_data()}
    entry.update(interval_months=evaluation.interval_months, voided=evaluation.voided,
                 void_reason=evaluation.history[-1].reason if evaluation.voided else "",
                 amended=evaluation.amended, history=[r.to_doc() for r in evaluation.history])
    return entry


def pseudonymise(entry: dict[str, Any], pseudo: Pseudonymiser) -> dict[str, Any]:
    """De-identify a patient entry (deidentify.METHOD): keyed pseudonyms for every id, free
    text dropped, every date shifted by the patient's secret offset, birth reduced to a year.

    Revision histories keep only number, action and (shifted) time: their snapshots, reasons,
    authors and hashes would reveal (or let one confirm) what was removed.
    """
    real = entry["id"]
    day = lambda value: pseudo.iso(real, value)  # noqa: E731
    out = dict(entry, id=pseudo(real, "PX"), name="", phone="", email="", notes="",
               concurrent_treatments=[],
               date_of_birth=birth_band(date.fromisoformat(entry["date_of_birth"])),
               planned_start=day(entry["planned_start"]), next_due=day(entry["next_due"]),
               pregnancy_avoid_until=day(entry["pregnancy_avoid_until"]),
               course=[dict(event, on=day(event["on"]), reason="") for event in entry["course"]],
               consents=[dict(c, given_on=day(c["given_on"]), withdrawn_on=day(c["withdrawn_on"]),
                              form_version="", taken_by=_practitioner(pseudo, c["taken_by"]),
                              withdrawal_reason="") for c in entry["consents"]],
               history=_bare(entry["history"], day))
    out["sessions"] = [
        dict(s, id=pseudo(s["id"], "SX"), patient_id=out["id"], date=day(s["date"]),
             lot=pseudo.lot(s["lot"]), lot_expiry=None, product="", needle="", dose_notes="",
             void_reason="", anaesthesia=dict(s["anaesthesia"], agent="", amount=""),
             practitioner=_practitioner(pseudo, s["practitioner"]),
             side_effects=[dict(e, note="") for e in s["side_effects"]],
             history=_bare(s["history"], day))
        for s in entry["sessions"]]
    out["evaluations"] = [  # photo paths name the patient's folder; notes are free text
        dict(e, id=pseudo(e["id"], "EX"), patient_id=out["id"], date=day(e["date"]), notes="",
             stop_reason="", void_reason="", hair_count_site="",
             practitioner=_practitioner(pseudo, e["practitioner"]),
             photos=[{"path": "", "angle": ""} for _ in e["photos"]],
             history=_bare(e["history"], day))
        for e in entry["evaluations"]]
    return out


def _practitioner(pseudo: Pseudonymiser, name: str) -> str:
    """Practitioners (and whoever took a consent) become the same stable stand-in everywhere."""
    return pseudo(name, "PR") if name else ""


def to_json(document: dict[str, Any]) -> bytes:
    """UTF-8 JSON, indented for people (orjson: a whole clinic in a fraction of a second)."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def write(document: dict[str, Any], path: Path) -> None:
    """Write an export file atomically, readable by this user only (0600)."""
    write_bytes(to_json(document), path)


def write_bytes(payload: bytes | Iterable[bytes], path: Path) -> None:
    """Write any export payload atomically, readable by this user only (0600)."""
    path = Path(path).expanduser()
    if not path.parent.is_dir():
        raise MesoError(f"{path.parent}: no such folder to export into")
    try:
        durable.atomic_write(path, payload, keep_backup=False)
    except OSError as error:
        raise MesoError(f"{path}: could not be written ({error.strerror or error})") from None


def _bare(revisions: Iterable[dict[str, Any]], shift: Callable[[str], str | None]
          ) -> list[dict[str, Any]]:
    return [{"n": r["n"], "action": r["action"], "at": shift(r["at"])} for r in revisions]


def _chosen(store: Store, patient_ids: tuple[str, ...]) -> list[Patient]:
    if not patient_ids:
        return sorted(store.patients(), key=lambda p: p.id)
    for patient_id in patient_ids:
        store.patient(patient_id)  # raises NotFound naming the id
    return [store.patient(i) for i in dict.fromkeys(patient_ids)]


def _in_range(day: date, since: date | None, until: date | None) -> bool:
    return (since is None or day >= since) and (until is None or day <= until)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
