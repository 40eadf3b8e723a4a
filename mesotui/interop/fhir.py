"""A selection of patients and sessions as one FHIR R4 Bundle (type collection), as plain dicts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from mesotui.interop import LOCAL_CODES, Pseudonym, Records, patient_key
from mesotui.models import Patient, Protocol, Session
from mesotui.schedule import Outlook, numbers
from mesotui.vocab import AnaesthesiaType, CourseStatus

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
# SNOMED CT concepts (International edition): routes from the FHIR "SNOMED CT Route Codes"
# value set, body structure from "SNOMED CT Body Structures", substances for the ingredients.
SCALP = {"system": SNOMED, "code": "41695006", "display": "Scalp structure"}
INTRADERMAL = {"system": SNOMED, "code": "372464004", "display": "Intradermal route"}
TOPICAL = {"system": SNOMED, "code": "6064005", "display": "Topical route"}
SUBCUTANEOUS = {"system": SNOMED, "code": "34206005", "display": "Subcutaneous route"}
DUTASTERIDE = {"system": SNOMED, "code": "385572003", "display": "Dutasteride"}
LIDOCAINE = {"system": SNOMED, "code": "387480006", "display": "Lidocaine"}
MESOTHERAPY = {"system": LOCAL_CODES + "procedure", "code": "dutasteride-mesotherapy",
               "display": "Dutasteride mesotherapy of the scalp"}
SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
CAREPLAN_STATUS = {CourseStatus.ACTIVE: "active", CourseStatus.PAUSED: "on-hold",
                   CourseStatus.STOPPED: "revoked"}
_NAMESPACE = uuid.UUID("6d1e0c5e-2f59-4c1b-9a55-6f0d3c1a8e21")


def bundle(records: Records, *, today: date, protocol_for: Callable[[Patient], Protocol],
           outlook_for: Callable[[Patient], Outlook], pseudonym: Pseudonym | None = None
           ) -> dict[str, Any]:
    """The selection as a FHIR R4 Bundle of type `collection`.

    Args:
        records: each patient with all their sessions (voided ones become `entered-in-error`).
        today: the day the care plans' next due sessions are judged against.
        protocol_for: the protocol in force for a patient (their own or the clinic's).
        outlook_for: where a patient stands today (next due session, evaluation, safety dates).
        pseudonym: replaces patient ids; names, contact details and free text are then left out.
    """
    entries: list[dict[str, Any]] = []
    medications: dict[str, dict[str, Any]] = {}
    for patient, sessions in records:
        builder = _Builder(patient, pseudonym, medications)
        entries.append(builder.patient())
        counted = numbers(sessions)
        for session in sessions:
            entries.extend(builder.session(session, counted.get(session.id)))
        entries.append(builder.care_plan(protocol_for(patient), outlook_for(patient), today))
    return {"resourceType": "Bundle", "id": _id("bundle", today.isoformat()),
            "type": "collection", "entry": [*entries, *medications.values()]}


def _id(*parts: str) -> str:
    """A FHIR id (letters, digits, '-', '.'; up to 64) that is stable for the same parts."""
    text = "-".join(parts)
    if re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", text):
        return text
    return str(uuid.uuid5(_NAMESPACE, text))


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    name = f"{resource['resourceType']}/{resource['id']}"
    return {"fullUrl": f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}", "resource": resource}


def _ref(entry: dict[str, Any], display: str = "") -> dict[str, Any]:
    ref = {"reference": entry["fullUrl"]}
    return {**ref, "display": display} if display else ref


def _text(concept: dict[str, Any], text: str) -> dict[str, Any]:
    return {"coding": [concept], "text": text}


class _Builder:
    """Builds one patient's resources; holds what their references point at."""

    def __init__(self, patient: Patient, pseudonym: Pseudonym | None,
                 medications: dict[str, dict[str, Any]]) -> None:
        self.source = patient
        self.key = patient_key(patient, pseudonym)
        self.private = pseudonym is not None
        self.medications = medications
        self.subject: dict[str, Any] = {}

    def patient(self) -> dict[str, Any]:
        p = self.source
        resource: dict[str, Any] = {
            "resourceType": "Patient", "id": _id(self.key),
            "identifier": [{"system": LOCAL_CODES + ("pseudonym" if self.private else "patient-id"),
                            "value": self.key}],
            "active": not p.archived, "gender": p.sex.value,
            # A pseudonymised export keeps the birth year only: age matters, the day identifies.
            "birthDate": str(p.date_of_birth.year) if self.private else p.date_of_birth.isoformat(),
        }
        if not self.private:
            resource["name"] = [{"text": p.name}]
            telecom = [{"system": "phone", "value": p.phone}] if p.phone else []
            telecom += [{"system": "email", "value": p.email}] if p.email else []
            if telecom:
                resource["telecom"] = telecom
        entry = _entry(resource)
        self.subject = _ref(entry)
        return entry

    def session(self, s: Session, number: int | None) -> list[dict[str, Any]]:
        status = "entered-in-error" if s.voided else "completed"
        performer = ([{"actor": {"display": s.practitioner}}]
                     if s.practitioner and not self.private else [])
        medication = self._medication(s)
        title = f"Session {number}" if number else "Voided session"
        procedure: dict[str, Any] = {
            "resourceType": "Procedure", "id": _id(s.id), "status": status,
            "code": _text(MESOTHERAPY, f"{title}: dutasteride mesotherapy"),
            "subject": self.subject, "performedDateTime": s.date.isoformat(),
            "bodySite": ([_text(SCALP, f"Scalp, {area.label}") for area in s.areas]
                         or [_text(SCALP, "Scalp")]),
            "usedReference": [_ref(medication)],
        }
        if s.voided and not self.private:
            procedure["statusReason"] = {"text": s.void_reason}
        if performer:
            procedure["performer"] = performer
        if s.side_effects:
            procedure["complication"] = [_effect_concept(e.effect.value, e.effect.label)
                                         for e in s.side_effects]
        notes = [f"Anaesthesia: {s.anaesthesia.type.label}"]
        notes += [f"Injection points: {s.injection_points}"] if s.injection_points else []
        notes += ["No side effects on enquiry"] if s.no_side_effects else []
        notes += [s.dose_notes] if s.dose_notes and not self.private else []
        procedure["note"] = [{"text": note} for note in notes]
        proc_entry = _entry(procedure)
        given = self._administration(s, "dut", status, performer, proc_entry, {
            "medicationReference": _ref(medication, s.product or "Dutasteride"),
            "dosage": self._dutasteride_dosage(s)})
        out = [proc_entry, given]
        if s.anaesthesia.type is not AnaesthesiaType.NONE:
            out.append(self._administration(s, "anaesthetic", status, performer, proc_entry,
                                            self._anaesthetic(s)))
        if not s.voided:  # R4 AdverseEvent has no status; a voided session reports no events
            for n, effect in enumerate(s.side_effects, start=1):
                event: dict[str, Any] = {
                    "resourceType": "AdverseEvent", "id": _id(s.id, "ae", str(n)),
                    "actuality": "actual", "subject": self.subject,
                    "event": _effect_concept(effect.effect.value, effect.effect.label),
                    "date": s.date.isoformat(),
                    "severity": {"coding": [{"system": SEVERITY, "code": effect.severity.value,
                                             "display": effect.severity.label}]},
                    "suspectEntity": [{"instance": _ref(given)}, {"instance": _ref(proc_entry)}],
                }
                out.append(_entry(event))
        return out

    def _administration(self, s: Session, suffix: str, status: str, performer: list[Any],
                        procedure: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        resource = {"resourceType": "MedicationAdministration", "id": _id(s.id, suffix),
                    "status": status, **{k: v for k, v in fields.items() if k.startswith("med")},
                    "subject": self.subject, "effectiveDateTime": s.date.isoformat(),
                    "partOf": [_ref(procedure)], "dosage": fields["dosage"]}
        if performer:
            resource["performer"] = performer
        return _entry(resource)

    def _dutasteride_dosage(self, s: Session) -> dict[str, Any]:
        areas = ", ".join(a.label for a in s.areas) or "Scalp"
        dosage: dict[str, Any] = {"site": _text(SCALP, areas),
                                  "route": _text(INTRADERMAL, "Intradermal micro-injections")}
        if s.dose_mg is not None:
            dosage["dose"] = {"value": s.dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
        elif s.volume_ml is not None:
            dosage["dose"] = {"value": s.volume_ml, "unit": "mL", "system": UCUM, "code": "mL"}
        if s.volume_ml is not None and s.concentration_pct is not None:
            dosage["text"] = f"{s.volume_ml:g} mL of {s.concentration_pct:g} % ({s.dose_mg:g} mg)"
        return dosage

    def _anaesthetic(self, s: Session) -> dict[str, Any]:
        kind = s.anaesthesia
        local = kind.type is AnaesthesiaType.LOCAL
        generic = f"{kind.type.label} anaesthetic"
        concept: dict[str, Any] = {"text": generic if self.private else kind.agent or generic}
        if "lidocaine" in kind.agent.casefold() or "lignocaine" in kind.agent.casefold():
            concept["coding"] = [LIDOCAINE]
        dosage: dict[str, Any] = {"route": _text(SUBCUTANEOUS if local else TOPICAL,
                                                 "Local infiltration" if local else "Topical"),
                                  "site": _text(SCALP, "Scalp")}
        if kind.amount and not self.private:
            dosage["text"] = kind.amount
        return {"medicationCodeableConcept": concept, "dosage": dosage}

    def _medication(self, s: Session) -> dict[str, Any]:
        """One Medication per product lot, shared by every session given from it."""
        key = _id("lot", s.product, f"{s.concentration_pct}", s.lot, f"{s.lot_expiry}")
        if key not in self.medications:
            resource: dict[str, Any] = {"resourceType": "Medication", "id": key,
                                        "code": _text(DUTASTERIDE, s.product or "Dutasteride")}
            if s.concentration_pct is not None:
                resource["ingredient"] = [{"itemCodeableConcept": _text(DUTASTERIDE, "Dutasteride"),
                                           "isActive": True, "strength": {
                    "numerator": {"value": round(s.concentration_pct * 10, 6), "unit": "mg",
                                  "system": UCUM, "code": "mg"},
                    "denominator": {"value": 1, "unit": "mL", "system": UCUM, "code": "mL"}}}]
            batch = {"lotNumber": s.lot} if s.lot else {}
            batch |= {"expirationDate": s.lot_expiry.isoformat()} if s.lot_expiry else {}
            if batch:
                resource["batch"] = batch
            self.medications[key] = _entry(resource)
        return self.medications[key]

    def care_plan(self, protocol: Protocol, view: Outlook, today: date) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "CarePlan", "id": _id(self.key, "careplan"),
            "status": CAREPLAN_STATUS[self.source.status], "intent": "plan",
            "title": "Dutasteride mesotherapy course", "description": protocol.describe(),
            "subject": self.subject,
        }
        if view.next_due is not None:
            resource["activity"] = [{"detail": {
                "kind": "ServiceRequest", "code": _text(MESOTHERAPY, f"Session {view.next_number}"),
                "status": "not-started", "scheduledPeriod": {"start": view.next_due.isoformat()},
                "description": f"Session {view.next_number} due {view.next_due.isoformat()}"}}]
        notes = [f"{view.sessions_given} session(s) given as of {today.isoformat()}"]
        notes += ["Course evaluation due"] if view.evaluation_due else []
        if view.pregnancy_avoid_until:
            notes.append(f"Avoid pregnancy until {view.pregnancy_avoid_until.isoformat()}")
        resource["note"] = [{"text": note} for note in notes]
        return _entry(resource)


def _effect_concept(code: str, label: str) -> dict[str, Any]:
    return _text({"system": LOCAL_CODES + "side-effect", "code": code, "display": label}, label)


def resources(doc: dict[str, Any], kind: str) -> Sequence[dict[str, Any]]:
    """The resources of one type in a bundle, in order (for tests and readers)."""
    return [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == kind]
