"""A patient's course beyond the sessions, as FHIR R4: consents, evaluations, photos, plan."""

from __future__ import annotations

import mimetypes
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from mesotui.evaluation import Consent, Evaluation, Photo
from mesotui.interop import Pseudonym, Systems, record_key
from mesotui.interop.codes import (
    CONSENT_CATEGORY,
    CONSENT_SCOPE,
    MEDIA_TYPE,
    NEGATIVE,
    OBSERVATION_CATEGORY,
    POSITIVE,
    UCUM,
)
from mesotui.models import Patient, Protocol
from mesotui.schedule import Outlook
from mesotui.validation import plural
from mesotui.vocab import CourseStatus, PullTest, ScoreChange


@dataclass
class Context:
    """What every resource of one export shares: the clinic's systems and the pseudonyms."""

    systems: Systems
    pseudonym: Pseudonym | None = None
    namespace: uuid.UUID = field(init=False)

    def __post_init__(self) -> None:
        # fullUrls are stable for the same clinic and record, and differ between clinics.
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, self.systems.base)

    @property
    def private(self) -> bool:
        return self.pseudonym is not None

    def key(self, record_id: str, kind: str) -> str:
        return record_key(record_id, kind, self.pseudonym)

    def entry(self, resource: dict[str, Any]) -> dict[str, Any]:
        name = f"{resource['resourceType']}/{resource['id']}"
        return {"fullUrl": f"urn:uuid:{uuid.uuid5(self.namespace, name)}", "resource": resource}

    def local(self, system: str, code: str, display: str) -> dict[str, str]:
        """A concept of the clinic's own code system (where no standard code exists)."""
        return {"system": self.systems.code(system), "code": code, "display": display}


def ref(entry: dict[str, Any], display: str = "") -> dict[str, Any]:
    reference = {"reference": entry["fullUrl"]}
    return {**reference, "display": display} if display else reference


def concept(*codings: dict[str, str], text: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"coding": list(codings)} if codings else {}
    return {**out, "text": text} if text else out


def consents(ctx: Context, patient: Patient, subject: dict[str, Any]) -> list[dict[str, Any]]:
    """A Consent for each consent given, and another for each withdrawal (a `deny` that
    points at the consent it ends)."""
    out = []
    base = ctx.key(patient.id, "PX")
    for n, given in enumerate(patient.consents, start=1):
        resource = _consent(ctx, f"{base}-consent-{n}", given, subject)
        out.append(ctx.entry(resource))
        if given.withdrawn_on is not None:
            withdrawal = _consent(ctx, f"{base}-withdrawal-{n}", given, subject, out[-1])
            out.append(ctx.entry(withdrawal))
    return out


def _consent(ctx: Context, resource_id: str, given: Consent, subject: dict[str, Any],
             withdrawn: dict[str, Any] | None = None) -> dict[str, Any]:
    day = given.withdrawn_on if withdrawn else given.given_on
    assert day is not None
    period: dict[str, str] = {"start": day.isoformat()}
    if withdrawn is None and given.withdrawn_on is not None:
        period["end"] = given.withdrawn_on.isoformat()
    what = "Withdrawal of consent" if withdrawn else "Informed consent"
    resource: dict[str, Any] = {
        "resourceType": "Consent", "id": resource_id,
        "status": "inactive" if withdrawn is None and given.withdrawn_on else "active",
        "scope": concept({"system": CONSENT_SCOPE, "code": "treatment", "display": "Treatment"}),
        "category": [concept(CONSENT_CATEGORY)], "patient": subject,
        "dateTime": day.isoformat(),
        "policyRule": concept(text=f"{what} to off-label dutasteride mesotherapy of the scalp"),
        "provision": {"type": "deny" if withdrawn else "permit", "period": period},
    }
    if given.form_version:
        resource["sourceAttachment"] = {"title": f"Consent form {given.form_version}"}
    if withdrawn is not None:
        resource.pop("sourceAttachment", None)
        resource["sourceReference"] = ref(withdrawn)
    if given.taken_by and not ctx.private:
        resource["performer"] = [{"display": given.taken_by}]
    return resource


_CHANGE_SYSTEM = "change-scale"


def evaluation(ctx: Context, e: Evaluation, subject: dict[str, Any]) -> list[dict[str, Any]]:
    """Photos as Media (references to where the clinic keeps them, never their content) and
    an Observation for each measure recorded, then one for the decision."""
    base = ctx.key(e.id, "EX")
    status = "entered-in-error" if e.voided else "final"
    media = [ctx.entry(_media(ctx, f"{base}-photo-{n}", e, photo, subject))
             for n, photo in enumerate(e.photos, start=1)]

    def observation(suffix: str, category: str, code: dict[str, str],
                    value: dict[str, Any]) -> dict[str, Any]:
        resource = {"resourceType": "Observation", "id": f"{base}-{suffix}", "status": status,
                    "category": [concept({"system": OBSERVATION_CATEGORY, "code": category})],
                    "code": concept(code, text=code["display"]), "subject": subject,
                    "effectiveDateTime": e.date.isoformat(), **value}
        if e.practitioner and not ctx.private:
            resource["performer"] = [{"display": e.practitioner}]
        return resource

    measure = lambda code, display: ctx.local("evaluation-measure", code, display)  # noqa: E731
    found = []
    if e.hair_count_per_cm2 is not None:
        count = observation("hair-count", "exam", measure("hair-count", "Hair count per cm²"), {
            "valueQuantity": {"value": e.hair_count_per_cm2, "unit": "hairs/cm²",
                              "system": UCUM, "code": "/cm2"}})
        if e.hair_count_site and not ctx.private:
            count["bodySite"] = concept(text=e.hair_count_site)
        found.append(count)
    if e.shaft_diameter_um is not None:
        found.append(observation("shaft-diameter", "exam",
                                 measure("shaft-diameter", "Hair shaft diameter"),
                                 {"valueQuantity": {"value": e.shaft_diameter_um, "unit": "µm",
                                                    "system": UCUM, "code": "um"}}))
    if e.pull_test is not None:
        positive = e.pull_test is PullTest.POSITIVE
        found.append(observation("pull-test", "exam", measure("pull-test", "Hair pull test"), {
            "valueCodeableConcept": concept(POSITIVE if positive else NEGATIVE,
                                            text=e.pull_test.label),
            "interpretation": [concept(POSITIVE if positive else NEGATIVE)]}))
    if e.global_score is not None:
        score = observation("global-score", "imaging",
                            measure("global-photographic-score",
                                    "Global photographic assessment of hair growth"),
                            {"valueCodeableConcept": _change(ctx, e.global_score)})
        if media:
            score["derivedFrom"] = [ref(m) for m in media]
        found.append(score)
    if e.self_assessment is not None:
        found.append(observation("self-assessment", "survey",
                                 measure("self-assessment",
                                         "Patient self-assessment of hair growth"),
                                 {"valueCodeableConcept": _change(ctx, e.self_assessment)}))
    decision = observation("decision", "exam", measure("decision", "Course evaluation decision"),
                           {"valueCodeableConcept": concept(
                               ctx.local("evaluation-decision", e.decision.value,
                                         e.decision.label), text=e.decision.label)})
    notes = [] if ctx.private else [n for n in (e.stop_reason, e.notes) if n.strip()]
    if notes:
        decision["note"] = [{"text": note} for note in notes]
    if e.interval_months:
        decision["component"] = [{
            "code": concept(measure("maintenance-interval", "Maintenance interval")),
            "valueQuantity": {"value": e.interval_months, "unit": "months", "system": UCUM,
                              "code": "mo"}}]
    if found:
        decision["hasMember"] = [ref(ctx.entry(o)) for o in found]
    return [*media, *(ctx.entry(o) for o in found), ctx.entry(decision)]


def _change(ctx: Context, change: ScoreChange) -> dict[str, Any]:
    coding = ctx.local(_CHANGE_SYSTEM, change.value, change.label)
    return concept(coding, text=f"{change.label} ({change.points:+d})")


def _media(ctx: Context, resource_id: str, e: Evaluation, photo: Photo,
           subject: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    kind, _ = mimetypes.guess_type(photo.path)
    if kind:
        content["contentType"] = kind
    if not ctx.private:
        content["url"] = photo_url(photo.path)
    resource: dict[str, Any] = {
        "resourceType": "Media", "id": resource_id,
        "status": "entered-in-error" if e.voided else "completed",
        "type": concept({"system": MEDIA_TYPE, "code": "image", "display": "Image"}),
        "subject": subject, "createdDateTime": e.date.isoformat(),
        "content": content or {"title": "Photo (location withheld)"}}
    if photo.angle:
        resource["view"] = concept(text=photo.angle)
    return resource


def photo_url(path: str) -> str:
    """Where a photo is, as a URL: a file: URL for an absolute path, else the path escaped."""
    for flavour in (PurePosixPath, PureWindowsPath):
        candidate = flavour(path)
        if candidate.is_absolute():
            return candidate.as_uri()
    return quote(path.replace("\\", "/"))


def care_plan(ctx: Context, patient: Patient, protocol: Protocol, view: Outlook,
              today: date, subject: dict[str, Any]) -> dict[str, Any]:
    """The course as a CarePlan whose description reads right in every state."""
    statuses = {CourseStatus.ACTIVE: "active", CourseStatus.PAUSED: "on-hold",
                CourseStatus.STOPPED: "revoked"}
    resource: dict[str, Any] = {
        "resourceType": "CarePlan", "id": f"{ctx.key(patient.id, 'PX')}-careplan",
        "status": statuses[patient.status], "intent": "plan",
        "title": "Dutasteride mesotherapy course",
        "description": describe_course(patient, protocol, view, with_reasons=not ctx.private),
        "subject": subject}
    if view.next_due is not None:
        resource["activity"] = [{"detail": {
            "kind": "ServiceRequest",
            "code": concept(ctx.local("procedure", "dutasteride-mesotherapy",
                                      "Dutasteride mesotherapy of the scalp"),
                            text=f"Session {view.next_number}"),
            "status": "not-started", "scheduledPeriod": {"start": view.next_due.isoformat()},
            "description": f"Session {view.next_number} due {view.next_due.isoformat()}"}}]
    given = plural(view.sessions_given, "session", count=True)
    notes = [f"{given} given as of {view.today.isoformat()}"]
    notes += ["Course evaluation due"] if view.evaluation_due else []
    if view.pregnancy_avoid_until:
        notes.append(f"Avoid pregnancy until {view.pregnancy_avoid_until.isoformat()}")
    resource["note"] = [{"text": note} for note in notes]
    return resource


def describe_course(patient: Patient, protocol: Protocol, view: Outlook, *,
                    with_reasons: bool = True) -> str:
    """One sentence for where the course stands and what the plan is."""
    event = patient.status_event
    if patient.status is not CourseStatus.ACTIVE and event is not None:
        why = f": {event.reason}" if event.reason and with_reasons else ""
        verb = "stopped" if patient.status is CourseStatus.STOPPED else "paused"
        return (f"Course {verb} on {event.on.isoformat()}{why}, after "
                f"{plural(view.sessions_given, 'session', count=True)}; no session is planned.")
    if not protocol.intervals_months:
        return (f"Maintenance: one session every {protocol.maintenance_months} months, "
                f"{plural(view.sessions_given, 'session', count=True)} given.")
    steps = ", ".join(str(m) for m in protocol.intervals_months)
    plan = (f"Induction: sessions {steps} months apart, then one every "
            f"{protocol.maintenance_months} months; evaluation after "
            f"{protocol.evaluate_after}-{protocol.evaluate_by} sessions.")
    if view.sessions_given == 0:
        start = (f"planned to start {patient.planned_start.isoformat()}"
                 if patient.planned_start else "no start date planned")
        return f"Not started ({start}). {plan}"
    return f"{plural(view.sessions_given, 'session', count=True)} given. {plan}"
