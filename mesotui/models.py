"""The clinic's records as plain dataclasses: patients, sessions, the protocol and settings."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from mesotui import parse
from mesotui.errors import ValidationError
from mesotui.evaluation import Consent, current_consent
from mesotui.history import Revision
from mesotui.vocab import AnaesthesiaType, Area, CourseStatus, Severity, Sex, SideEffect

_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread


def new_id(prefix: str) -> str:
    """A stable, random record id such as `P-7K3M9QXD`; never TinyDB's doc id."""
    return prefix + "-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


@dataclass(frozen=True, slots=True)
class Protocol:
    """A course plan: months between sessions, then maintenance, and when to evaluate."""

    intervals_months: tuple[int, ...] = (2, 2, 2, 4, 4)
    maintenance_months: int = 4
    evaluate_after: int = 4
    """Evaluation is due once this many sessions are given..."""
    evaluate_by: int = 6
    """...and is overdue past this many."""

    def interval_after(self, sessions_given: int) -> int:
        """Months from session `sessions_given` to the next one."""
        if 1 <= sessions_given <= len(self.intervals_months):
            return self.intervals_months[sessions_given - 1]
        return self.maintenance_months

    def describe(self) -> str:
        """The plan in words; a maintenance-only plan (no induction intervals) says just that."""
        if not self.intervals_months:
            return f"maintenance: one session every {self.maintenance_months} months"
        steps = ", ".join(str(m) for m in self.intervals_months)
        return (f"every {steps} months, then {self.maintenance_months}-monthly; "
                f"evaluate after {self.evaluate_after}-{self.evaluate_by}")

    def to_data(self) -> dict[str, Any]:
        return {"intervals_months": list(self.intervals_months),
                "maintenance_months": self.maintenance_months,
                "evaluate_after": self.evaluate_after, "evaluate_by": self.evaluate_by}

    @classmethod
    def from_data(cls, doc: Any, name: str = "protocol") -> Protocol:
        doc = parse.mapping(doc, name)
        intervals = parse.listing(doc, "intervals_months")
        if not all(isinstance(m, int) and not isinstance(m, bool) for m in intervals):
            raise ValidationError({f"{name}.intervals_months": "must be whole months"})
        return cls(tuple(intervals),
                   _int(doc, "maintenance_months", 4, name),
                   _int(doc, "evaluate_after", 4, name),
                   _int(doc, "evaluate_by", 6, name))


DEFAULT_PROTOCOL = Protocol()


@dataclass(frozen=True, slots=True)
class CourseEvent:
    """A change of course status (paused, stopped, resumed) with its date and reason."""

    status: CourseStatus
    on: date
    reason: str = ""

    def to_data(self) -> dict[str, Any]:
        return {"status": self.status.value, "on": self.on.isoformat(), "reason": self.reason}

    @classmethod
    def from_data(cls, doc: Any) -> CourseEvent:
        doc = parse.mapping(doc, "course")
        return cls(parse.choice(CourseStatus, doc.get("status"), "course.status"),
                   parse.required_date(doc, "on"), parse.text(doc, "reason"))


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient on (or considered for) a course of dutasteride mesotherapy."""

    id: str
    name: str
    sex: Sex
    date_of_birth: date
    phone: str = ""
    email: str = ""
    notes: str = ""
    concurrent_treatments: tuple[str, ...] = ()
    planned_start: date | None = None
    protocol: Protocol | None = None
    """The patient's own plan; None means the clinic default."""
    course: tuple[CourseEvent, ...] = ()
    archived: bool = False
    consents: tuple[Consent, ...] = ()
    """Informed consent for off-label treatment, oldest first; the last one is current."""
    history: tuple[Revision, ...] = field(default=(), compare=False, repr=False)

    def consent_on(self, day: date) -> Consent | None:
        """The consent in force on `day`, or None: logging a session then needs an override."""
        return current_consent(self.consents, day)

    @property
    def status(self) -> CourseStatus:
        return self.course[-1].status if self.course else CourseStatus.ACTIVE

    @property
    def status_event(self) -> CourseEvent | None:
        return self.course[-1] if self.course else None

    def age_on(self, day: date) -> int:
        return age_on(self.date_of_birth, day)

    def to_data(self) -> dict[str, Any]:
        """The record's content (what a revision snapshots), JSON-ready."""
        return {
            "name": self.name, "sex": self.sex.value,
            "date_of_birth": self.date_of_birth.isoformat(),
            "phone": self.phone, "email": self.email, "notes": self.notes,
            "concurrent_treatments": list(self.concurrent_treatments),
            "planned_start": _iso(self.planned_start),
            "protocol": self.protocol.to_data() if self.protocol else None,
            "course": [event.to_data() for event in self.course],
            "archived": self.archived,
            "consents": [consent.to_data() for consent in self.consents],
        }

    @classmethod
    def from_data(cls, record_id: str, doc: Mapping[str, Any],
                  history: tuple[Revision, ...] = ()) -> Patient:
        treatments = parse.listing(doc, "concurrent_treatments")
        if not all(isinstance(t, str) for t in treatments):
            raise ValidationError({"concurrent_treatments": "must be a list of text"}, record_id)
        protocol = doc.get("protocol")
        return cls(
            id=record_id,
            name=parse.text(doc, "name"),
            sex=parse.choice(Sex, doc.get("sex"), "sex"),
            date_of_birth=parse.required_date(doc, "date_of_birth"),
            phone=parse.text(doc, "phone"), email=parse.text(doc, "email"),
            notes=parse.text(doc, "notes"),
            concurrent_treatments=tuple(treatments),
            planned_start=parse.optional_date(doc, "planned_start"),
            protocol=None if protocol is None else Protocol.from_data(protocol),
            course=tuple(CourseEvent.from_data(e) for e in parse.listing(doc, "course")),
            archived=parse.flag(doc, "archived"),
            consents=tuple(Consent.from_data(c) for c in parse.listing(doc, "consents")),
            history=history,
        )


def age_on(date_of_birth: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


class Card(NamedTuple):
    """What the patient list shows of a patient, kept so the list needs no whole record.

    A tuple, not a frozen dataclass: thousands are built at every start, three times as fast.
    """

    id: str
    name: str
    sex: Sex
    date_of_birth: date
    archived: bool
    status: CourseStatus

    @classmethod
    def of(cls, patient: Patient) -> Card:
        return cls(patient.id, patient.name, patient.sex, patient.date_of_birth,
                   patient.archived, patient.status)

    def age_on(self, day: date) -> int:
        return age_on(self.date_of_birth, day)

    def to_data(self) -> list[Any]:
        return [self.name, self.sex.value, self.date_of_birth.isoformat(), self.archived,
                self.status.value]

    @classmethod
    def from_data(cls, record_id: str, row: list[Any]) -> Card:
        name, sex, born, archived, status = row
        if not isinstance(name, str):
            raise ValueError("not a card")
        return cls(record_id, name, parse.choice(Sex, sex, "sex"), date.fromisoformat(born),
                   archived is True, parse.choice(CourseStatus, status, "status"))


@dataclass(frozen=True, slots=True)
class Anaesthesia:
    type: AnaesthesiaType = AnaesthesiaType.NONE
    agent: str = ""
    """e.g. "topical anaesthetic cream", "lidocaine 2%"."""
    amount: str = ""
    """e.g. "1 mL ring block"."""

    def describe(self) -> str:
        details = " ".join(part for part in (self.agent, self.amount) if part)
        return f"{self.type.label} ({details})" if details else self.type.label


@dataclass(frozen=True, slots=True)
class SideEffectReport:
    effect: SideEffect
    severity: Severity
    note: str = ""

    def describe(self) -> str:
        base = f"{self.effect.label} ({self.severity.value})"
        return f"{base}: {self.note}" if self.note else base


@dataclass(frozen=True, slots=True)
class Session:
    """One mesotherapy session as given; its number in the course is derived, never stored."""

    id: str
    patient_id: str
    date: date
    anaesthesia: Anaesthesia = Anaesthesia()
    product: str = ""
    concentration_pct: float | None = None
    """Percent weight/volume: 0.01 % is 0.1 mg/mL."""
    volume_ml: float | None = None
    lot: str = ""
    lot_expiry: date | None = None
    expired_lot_confirmed: bool = False
    """The practitioner confirmed using a lot past its expiry on the session date."""
    areas: tuple[Area, ...] = ()
    injection_points: int | None = None
    needle: str = ""
    duration_min: int | None = None
    dose_notes: str = ""
    side_effects: tuple[SideEffectReport, ...] = ()
    no_side_effects: bool = False
    """"None" was asked about and recorded; distinct from not yet assessed."""
    counselling_given: bool = False
    practitioner: str = ""
    consent_override: bool = False
    """Logged without consent in force, by the practitioner's explicit decision."""
    history: tuple[Revision, ...] = field(default=(), compare=False, repr=False)

    @property
    def dose_mg(self) -> float | None:
        """Dutasteride given, from volume and concentration (0.01 % = 0.1 mg/mL)."""
        if self.volume_ml is None or self.concentration_pct is None:
            return None
        return round(self.volume_ml * self.concentration_pct * 10, 6)

    @property
    def lot_expired(self) -> bool:
        return self.lot_expiry is not None and self.lot_expiry < self.date

    @property
    def voided(self) -> bool:
        return bool(self.history) and self.history[-1].action == "void"

    @property
    def void_reason(self) -> str:
        return self.history[-1].reason if self.voided else ""

    @property
    def amended(self) -> bool:
        return any(r.action == "amend" for r in self.history)

    @property
    def side_effects_assessed(self) -> bool:
        return self.no_side_effects or bool(self.side_effects)

    def to_data(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id, "date": self.date.isoformat(),
            "anaesthesia": {"type": self.anaesthesia.type.value, "agent": self.anaesthesia.agent,
                            "amount": self.anaesthesia.amount},
            "product": self.product, "concentration_pct": self.concentration_pct,
            "volume_ml": self.volume_ml, "lot": self.lot, "lot_expiry": _iso(self.lot_expiry),
            "expired_lot_confirmed": self.expired_lot_confirmed,
            "areas": [a.value for a in self.areas], "injection_points": self.injection_points,
            "needle": self.needle, "duration_min": self.duration_min,
            "dose_notes": self.dose_notes,
            "side_effects": [{"effect": s.effect.value, "severity": s.severity.value,
                              "note": s.note} for s in self.side_effects],
            "no_side_effects": self.no_side_effects,
            "counselling_given": self.counselling_given, "practitioner": self.practitioner,
            "consent_override": self.consent_override,
        }

    @classmethod
    def from_data(cls, record_id: str, doc: Mapping[str, Any],
                  history: tuple[Revision, ...] = ()) -> Session:
        anaesthesia = parse.mapping(doc.get("anaesthesia", {}), "anaesthesia")
        effects = []
        for item in parse.listing(doc, "side_effects"):
            item = parse.mapping(item, "side_effects")
            effects.append(SideEffectReport(
                parse.choice(SideEffect, item.get("effect"), "side_effects.effect"),
                parse.choice(Severity, item.get("severity"), "side_effects.severity"),
                parse.text(item, "note")))
        return cls(
            id=record_id,
            patient_id=parse.text(doc, "patient_id"),
            date=parse.required_date(doc, "date"),
            anaesthesia=Anaesthesia(
                parse.choice(AnaesthesiaType, anaesthesia.get("type", "none"), "anaesthesia.type"),
                parse.text(anaesthesia, "agent"), parse.text(anaesthesia, "amount")),
            product=parse.text(doc, "product"),
            concentration_pct=parse.number(doc, "concentration_pct"),
            volume_ml=parse.number(doc, "volume_ml"),
            lot=parse.text(doc, "lot"),
            lot_expiry=parse.optional_date(doc, "lot_expiry"),
            expired_lot_confirmed=parse.flag(doc, "expired_lot_confirmed"),
            areas=tuple(parse.choice(Area, a, "areas") for a in parse.listing(doc, "areas")),
            injection_points=parse.number(doc, "injection_points", integer=True),  # type: ignore[arg-type]
            needle=parse.text(doc, "needle"),
            duration_min=parse.number(doc, "duration_min", integer=True),  # type: ignore[arg-type]
            dose_notes=parse.text(doc, "dose_notes"),
            side_effects=tuple(effects),
            no_side_effects=parse.flag(doc, "no_side_effects"),
            counselling_given=parse.flag(doc, "counselling_given"),
            practitioner=parse.text(doc, "practitioner"),
            consent_override=parse.flag(doc, "consent_override"),
            history=history,
        )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _int(doc: Mapping[str, Any], key: str, default: int, name: str) -> int:
    value = doc.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError({f"{name}.{key}": "must be a whole number"})
    return value
