"""A selection of patients and their course as one FHIR R4 Bundle (type collection), as dicts."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from mesotui.deidentify import birth_band
from mesotui.evaluation import Evaluation
from mesotui.interop import Pseudonym, Records, Systems
from mesotui.interop import codes as sct
from mesotui.interop.fhir_course import Context, care_plan, concept, consents, evaluation, ref
from mesotui.models import Patient, Protocol, Session
from mesotui.schedule import Outlook
from mesotui.vocab import AnaesthesiaType

SNOMED, UCUM = sct.SNOMED, sct.UCUM


def bundle(records: Records, *, today: date, protocol_for: Callable[[Patient], Protocol],
           outlook_for: Callable[[Patient], Outlook],
           evaluations_for: Callable[[Patient], Sequence[Evaluation]] = lambda _: (),
           systems: Systems | None = None, pseudonym: Pseudonym | None = None
           ) -> dict[str, Any]:
    """The selection as a FHIR R4 Bundle of type `collection`.

    Args:
        records: each patient with the sessions chosen (voided ones become
            `entered-in-error`) and their numbers in the course.
        today: the day the care plans' next due sessions are judged against.
        protocol_for: the protocol in force for a patient (their own or the clinic's).
        outlook_for: where a patient stands today (next due session, evaluation, safety dates).
        evaluations_for: the patient's course evaluations (each becomes Observations).
        systems: the clinic's identifier and code systems (its own URL).
        pseudonym: replaces every id; names, contact details and free text are then left out.
    """
    ctx = Context(systems or Systems(), pseudonym)
    entries: list[dict[str, Any]] = []
    medications: dict[str, dict[str, Any]] = {}
    for patient, sessions, counted in records:
        builder = _Builder(ctx, patient, medications)
        entries.append(builder.patient())
        entries += consents(ctx, patient, builder.subject)
        for session in sessions:
            entries += builder.session(session, counted.get(session.id))
        for item in evaluations_for(patient):
            entries += evaluation(ctx, item, builder.subject)
        entries.append(ctx.entry(care_plan(ctx, patient, protocol_for(patient),
                                           outlook_for(patient), today, builder.subject)))
    name = "pseudonymised" if pseudonym else today.isoformat()
    return {"resourceType": "Bundle", "id": f"mesotui-{name}",
            "type": "collection", "entry": [*entries, *medications.values()]}


def _id(text: str) -> str:
    """A FHIR id (letters, digits, '-', '.'; up to 64): record ids already are one."""
    cleaned = re.sub(r"[^A-Za-z0-9\-.]", "-", text)[:64]
    return cleaned or "x"


class _Builder:
    """Builds one patient's resources; holds what their references point at."""

    def __init__(self, ctx: Context, patient: Patient,
                 medications: dict[str, dict[str, Any]]) -> None:
        self.ctx = ctx
        self.source = patient
        self.key = ctx.key(patient.id, "PX")
        self.medications = medications
        self.subject: dict[str, Any] = {}

    def patient(self) -> dict[str, Any]:
        p, private = self.source, self.ctx.private
        kind = "pseudonym/patient" if private else "patient"
        resource: dict[str, Any] = {
            "resourceType": "Patient", "id": _id(self.key),
            "identifier": [{"system": self.ctx.systems.identifier(kind), "value": self.key}],
            "active": not p.archived, "gender": p.sex.value,
        }
        if private:  # the decade only (FHIR has no element for it): age matters, the day identifies
            resource["extension"] = [{"url": f"{self.ctx.systems.base.rstrip('/')}"
                                             "/StructureDefinition/birth-decade",
                                      "valueString": birth_band(p.date_of_birth)}]
        else:
            resource["birthDate"] = p.date_of_birth.isoformat()
        if not private:
            resource["name"] = [{"text": p.name}]
            telecom = [{"system": "phone", "value": p.phone}] if p.phone else []
            telecom += [{"system": "email", "value": p.email}] if p.email else []
            if telecom:
                resource["telecom"] = telecom
        entry = self.ctx.entry(resource)
        self.subject = ref(entry)
        return entry

    def session(self, s: Session, number: int | None) -> list[dict[str, Any]]:
        ctx, private = self.ctx, self.ctx.private
        key = _id(ctx.key(s.id, "SX"))
        status = "entered-in-error" if s.voided else "completed"
        performer = ([{"actor": {"display": s.practitioner}}]
                     if s.practitioner and not private else [])
        title = f"Session {number}" if number else "Voided session"
        mesotherapy = ctx.local("procedure", "dutasteride-mesotherapy",
                                "Dutasteride mesotherapy of the scalp")
        procedure: dict[str, Any] = {
            "resourceType": "Procedure", "id": key, "status": status,
            "identifier": [{"system": ctx.systems.identifier(
                "pseudonym/session" if private else "session"), "value": key}],
            "code": concept(mesotherapy, text=f"{title}: dutasteride mesotherapy"),
            "subject": self.subject, "performedDateTime": s.date.isoformat(),
            "bodySite": _sites(s),
        }
        if s.voided and not private:
            procedure["statusReason"] = {"text": s.void_reason}
        if performer:
            procedure["performer"] = performer
        if s.side_effects:
            procedure["complication"] = [self._effect(e) for e in s.side_effects]
        notes = [f"Anaesthesia: {s.anaesthesia.type.label}"]
        notes += [f"Injection points: {s.injection_points}"] if s.injection_points else []
        notes += ["No side effects on enquiry"] if s.no_side_effects else []
        notes += [s.dose_notes] if s.dose_notes and not private else []
        procedure["note"] = [{"text": note} for note in notes]
        proc_entry = ctx.entry(procedure)
        medication = self._dutasteride(s)
        procedure["usedReference"] = [ref(medication)]
        given = self._administration(f"{key}-dut", status, performer, proc_entry, medication,
                                     self._dutasteride_dosage(s))
        out = [proc_entry, given]
        if s.anaesthesia.type is not AnaesthesiaType.NONE:
            anaesthetic = self._anaesthetic_medication(s)
            out.append(self._administration(f"{key}-anaesthetic", status, performer, proc_entry,
                                            anaesthetic, self._anaesthetic_dosage(s)))
        if not s.voided:  # R4 AdverseEvent has no status; a voided session reports no events
            for n, effect in enumerate(s.side_effects, start=1):
                out.append(ctx.entry({
                    "resourceType": "AdverseEvent", "id": f"{key}-ae-{n}",
                    "actuality": "actual", "subject": self.subject,
                    "event": self._effect(effect), "date": s.date.isoformat(),
                    "severity": concept({"system": sct.SEVERITY, "code": effect.severity.value,
                                         "display": effect.severity.label}),
                    "suspectEntity": [{"instance": ref(given)}, {"instance": ref(proc_entry)}],
                }))
        return out

    def _effect(self, report: Any) -> dict[str, Any]:
        """The side effect coded (SNOMED CT where one was found, and the clinic's code), with
        its note in the text: R4 AdverseEvent has no note of its own."""
        effect = report.effect
        codings = [sct.EFFECT_CODES[effect]] if effect in sct.EFFECT_CODES else []
        codings.append(self.ctx.local("side-effect", effect.value, effect.label))
        note = report.note.strip() if not self.ctx.private else ""
        return concept(*codings, text=f"{effect.label}: {note}" if note else effect.label)

    def _administration(self, resource_id: str, status: str, performer: list[Any],
                        procedure: dict[str, Any], medication: dict[str, Any],
                        dosage: dict[str, Any]) -> dict[str, Any]:
        resource = {"resourceType": "MedicationAdministration", "id": resource_id,
                    "status": status, "medicationReference": ref(medication),
                    "subject": self.subject,
                    "effectiveDateTime": procedure["resource"]["performedDateTime"],
                    "partOf": [ref(procedure)], "dosage": dosage}
        if performer:
            resource["performer"] = performer
        return self.ctx.entry(resource)

    def _dutasteride_dosage(self, s: Session) -> dict[str, Any]:
        areas = ", ".join(a.label for a in s.areas) or "Scalp"
        dosage: dict[str, Any] = {"site": concept(sct.SCALP, text=areas),
                                  "route": concept(sct.INTRADERMAL,
                                                   text="Intradermal micro-injections")}
        if s.dose_mg is not None:
            dosage["dose"] = {"value": s.dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
        elif s.volume_ml is not None:
            dosage["dose"] = {"value": s.volume_ml, "unit": "mL", "system": UCUM, "code": "mL"}
        if s.volume_ml is not None and s.concentration_pct is not None:
            dosage["text"] = f"{s.volume_ml:g} mL of {s.concentration_pct:g} % ({s.dose_mg:g} mg)"
        return dosage

    def _anaesthetic_dosage(self, s: Session) -> dict[str, Any]:
        local = s.anaesthesia.type is AnaesthesiaType.LOCAL
        dosage: dict[str, Any] = {
            "route": concept(sct.INFILTRATION if local else sct.TOPICAL,
                             text="Local infiltration (ring block)" if local else "Topical"),
            "site": concept(sct.SCALP, text="Scalp")}
        if s.anaesthesia.amount and not self.ctx.private:
            dosage["text"] = s.anaesthesia.amount
        return dosage

    def _anaesthetic_medication(self, s: Session) -> dict[str, Any]:
        """The anaesthetic as a Medication: each component an ingredient with its substance
        code (or its name only where no code is certain), a known mixture's product code."""
        kind = s.anaesthesia
        generic = f"{kind.type.label} anaesthetic"
        agent = "" if self.ctx.private else kind.agent
        components = sct.anaesthetic_components(kind.agent)
        named = "-".join(n for n, _ in components) if self.ctx.private else kind.agent
        key = _id(f"anaesthetic-{kind.type.value}-{named}")
        if key not in self.medications:
            product = sct.anaesthetic_product(components)
            code = concept(*([product] if product else []), text=agent or generic)
            resource: dict[str, Any] = {"resourceType": "Medication", "id": key, "code": code}
            if components:
                resource["ingredient"] = [
                    {"itemCodeableConcept": concept(*([c] if c else []), text=name),
                     "isActive": True} for name, c in components]
            self.medications[key] = self.ctx.entry(resource)
        return self.medications[key]

    def _dutasteride(self, s: Session) -> dict[str, Any]:
        """One Medication per product lot, shared by every session given from it: the product
        by name (no product code was found), dutasteride as its coded substance."""
        key = _id(f"lot-{s.product}-{s.concentration_pct}-{s.lot}-{s.lot_expiry}")
        if key not in self.medications:
            resource: dict[str, Any] = {"resourceType": "Medication", "id": key,
                                        "code": concept(text=s.product or "Dutasteride")}
            ingredient: dict[str, Any] = {"itemCodeableConcept": concept(
                sct.DUTASTERIDE, text="Dutasteride"), "isActive": True}
            if s.concentration_pct is not None:
                ingredient["strength"] = {
                    "numerator": {"value": round(s.concentration_pct * 10, 6), "unit": "mg",
                                  "system": UCUM, "code": "mg"},
                    "denominator": {"value": 1, "unit": "mL", "system": UCUM, "code": "mL"}}
            resource["ingredient"] = [ingredient]
            batch = {"lotNumber": s.lot} if s.lot else {}
            if s.lot_expiry and not self.ctx.private:  # a known date: it would undo the shift
                batch["expirationDate"] = s.lot_expiry.isoformat()
            if batch:
                resource["batch"] = batch
            self.medications[key] = self.ctx.entry(resource)
        return self.medications[key]


def _sites(s: Session) -> list[dict[str, Any]]:
    return ([concept(sct.SCALP, text=f"Scalp, {area.label}") for area in s.areas]
            or [concept(sct.SCALP, text="Scalp")])


def resources(doc: dict[str, Any], kind: str) -> Sequence[dict[str, Any]]:
    """The resources of one type in a bundle, in order (for tests and readers)."""
    return [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == kind]
