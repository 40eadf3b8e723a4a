"""Consent to off-label treatment, and the course evaluation with its measures and decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mesotui import parse
from mesotui.errors import ValidationError
from mesotui.history import Revision
from mesotui.vocab import Decision, PullTest, ScoreChange

DEFAULT_MAINTENANCE_MONTHS = 4


@dataclass(frozen=True, slots=True)
class Consent:
    """Informed consent for off-label dutasteride mesotherapy, and its withdrawal if any."""

    given_on: date
    form_version: str = ""
    """The consent form's version or reference, e.g. "DUT-MESO v3 (2025-09)"."""
    taken_by: str = ""
    withdrawn_on: date | None = None
    withdrawal_reason: str = ""

    def covers(self, day: date) -> bool:
        """Whether this consent was in force on `day`."""
        return self.given_on <= day and (self.withdrawn_on is None or day < self.withdrawn_on)

    def to_data(self) -> dict[str, Any]:
        return {"given_on": self.given_on.isoformat(), "form_version": self.form_version,
                "taken_by": self.taken_by,
                "withdrawn_on": self.withdrawn_on.isoformat() if self.withdrawn_on else None,
                "withdrawal_reason": self.withdrawal_reason}

    @classmethod
    def from_data(cls, doc: Any) -> Consent:
        doc = parse.mapping(doc, "consents")
        return cls(parse.required_date(doc, "given_on"), parse.text(doc, "form_version"),
                   parse.text(doc, "taken_by"), parse.optional_date(doc, "withdrawn_on"),
                   parse.text(doc, "withdrawal_reason"))


@dataclass(frozen=True, slots=True)
class Photo:
    """A reference to a standardised photo kept where the clinic keeps its photos."""

    path: str
    angle: str = ""
    """e.g. "vertex", "frontal", "left temporal"."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The 4-6 session evaluation: outcome measures, photos, and what was decided."""

    id: str
    patient_id: str
    date: date
    decision: Decision = Decision.CONTINUE
    maintenance_months: int | None = None
    """The interval from now on, when the decision is maintenance (default 4)."""
    stop_reason: str = ""
    hair_count_per_cm2: float | None = None
    hair_count_site: str = ""
    shaft_diameter_um: float | None = None
    pull_test: PullTest | None = None
    global_score: ScoreChange | None = None
    """Independent global photographic assessment."""
    self_assessment: ScoreChange | None = None
    photos: tuple[Photo, ...] = ()
    notes: str = ""
    practitioner: str = ""
    history: tuple[Revision, ...] = field(default=(), compare=False, repr=False)

    @property
    def voided(self) -> bool:
        return bool(self.history) and self.history[-1].action == "void"

    @property
    def amended(self) -> bool:
        return any(r.action == "amend" for r in self.history)

    @property
    def interval_months(self) -> int | None:
        if self.decision is not Decision.MAINTENANCE:
            return None
        return self.maintenance_months or DEFAULT_MAINTENANCE_MONTHS

    def to_data(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id, "date": self.date.isoformat(),
            "decision": self.decision.value, "maintenance_months": self.maintenance_months,
            "stop_reason": self.stop_reason, "hair_count_per_cm2": self.hair_count_per_cm2,
            "hair_count_site": self.hair_count_site, "shaft_diameter_um": self.shaft_diameter_um,
            "pull_test": self.pull_test.value if self.pull_test else None,
            "global_score": self.global_score.value if self.global_score else None,
            "self_assessment": self.self_assessment.value if self.self_assessment else None,
            "photos": [{"path": p.path, "angle": p.angle} for p in self.photos],
            "notes": self.notes, "practitioner": self.practitioner,
        }

    @classmethod
    def from_data(cls, record_id: str, doc: Mapping[str, Any],
                  history: tuple[Revision, ...] = ()) -> Evaluation:
        photos = []
        for item in parse.listing(doc, "photos"):
            item = parse.mapping(item, "photos")
            path = parse.text(item, "path")
            if not path:
                raise ValidationError({"photos": "each photo needs a path"}, record_id)
            photos.append(Photo(path, parse.text(item, "angle")))
        return cls(
            id=record_id, patient_id=parse.text(doc, "patient_id"),
            date=parse.required_date(doc, "date"),
            decision=parse.choice(Decision, doc.get("decision", "continue"), "decision"),
            maintenance_months=parse.number(doc, "maintenance_months", integer=True),  # type: ignore[arg-type]
            stop_reason=parse.text(doc, "stop_reason"),
            hair_count_per_cm2=parse.number(doc, "hair_count_per_cm2"),
            hair_count_site=parse.text(doc, "hair_count_site"),
            shaft_diameter_um=parse.number(doc, "shaft_diameter_um"),
            pull_test=_optional(PullTest, doc.get("pull_test"), "pull_test"),
            global_score=_optional(ScoreChange, doc.get("global_score"), "global_score"),
            self_assessment=_optional(ScoreChange, doc.get("self_assessment"), "self_assessment"),
            photos=tuple(photos), notes=parse.text(doc, "notes"),
            practitioner=parse.text(doc, "practitioner"), history=history,
        )


def _optional(enum: Any, value: Any, name: str) -> Any:
    return None if value is None else parse.choice(enum, value, name)


def current_consent(consents: tuple[Consent, ...], day: date) -> Consent | None:
    """The consent in force on `day`, if any (the latest one given on or before it)."""
    for consent in reversed(consents):
        if consent.covers(day):
            return consent
    return None
