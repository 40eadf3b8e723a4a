"""De-identification for research exports, the same in every format.

Method "mesotui-deid" version 1, keyed with the clinic's random secret (kept in the record file):
- every id (patient, session, evaluation, practitioner) becomes an HMAC-SHA256 pseudonym,
  stable across exports of the same clinic and irreversible without the secret;
- every free-text field is dropped: names, contact details, notes, treatments, reasons, dose
  and side-effect notes, anaesthesia agent and amount, product, needle, consent form, photo
  paths and angles, the hair count's site;
- every date of a patient's records (sessions, evaluations, consents, course changes, plans,
  revision times) moves by one secret number of days per patient (between 30 and 395,
  earlier), so the intervals between them, and so the schedule, stay exact while the
  calendar dates do not;
- lot numbers become keyed pseudonyms (sessions from one batch still share one), and lot
  expiry dates are dropped: a lot's one real expiry is printed on its vials, so any expiry
  kept, shifted or not, would give back the patient's shift and so every real date; whether a
  lot was past its expiry on the session date is kept (`lot_expired`, and the practitioner's
  `expired_lot_confirmed`);
- the date of birth is reduced to its decade ("1980-1989").
Kept: sex, birth decade, counts, doses, concentrations, volumes, areas, side effects and their
severity, anaesthesia type, evaluation measures.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta

from mesotui.evaluation import Consent, Evaluation, Photo
from mesotui.history import Revision
from mesotui.models import Anaesthesia, CourseEvent, Patient, Session, SideEffectReport
from mesotui.schedule import Outlook

METHOD = {"name": "mesotui-deid", "version": 2,
          "ids": "HMAC-SHA256 pseudonyms keyed with the clinic's secret (lot numbers too)",
          "dates": "shifted earlier by a secret 30-395 days per patient; intervals exact; "
                   "lot expiry dropped",
          "birth": "decade only (1980-1989)", "free_text": "dropped"}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class Deidentifier:
    """Pseudonyms and date shifts for one clinic's secret."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, record_id: str, prefix: str) -> str:
        """The pseudonym of a record id (prefix PX patient, SX session, EX evaluation, PR)."""
        mac = hmac.new(self._key, record_id.encode("utf-8"), hashlib.sha256).digest()
        value = int.from_bytes(mac[:10], "big")  # 80 bits: collisions are out of reach
        chars = "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(75, -1, -5))
        return f"{prefix}-{chars}"

    def lot(self, lot: str) -> str:
        """A lot number's pseudonym, the same however the number was typed (case, spaces)."""
        return self(lot.strip().casefold(), "LX") if lot.strip() else ""

    def offset(self, patient_id: str) -> timedelta:
        """The patient's secret shift: the same for all their dates, 30 to 395 days back."""
        mac = hmac.new(self._key, b"date-shift\0" + patient_id.encode("utf-8"),
                       hashlib.sha256).digest()
        return -timedelta(days=30 + int.from_bytes(mac[:4], "big") % 366)

    def day(self, patient_id: str, value: date | None) -> date | None:
        return None if value is None else value + self.offset(patient_id)

    def iso(self, patient_id: str, value: str | None) -> str | None:
        """A shifted ISO date or timestamp (kept in its own form)."""
        if not value:
            return value
        shift = self.offset(patient_id)
        if len(value) == 10:
            return (date.fromisoformat(value) + shift).isoformat()
        return (datetime.fromisoformat(value) + shift).isoformat()

    # -- models, for the FHIR, calendar and table formats --------------------------------

    def patient(self, p: Patient) -> Patient:
        shift = self.offset(p.id)
        return Patient(
            self(p.id, "PX"), "", p.sex, date(p.date_of_birth.year // 10 * 10, 1, 1),
            planned_start=p.planned_start + shift if p.planned_start else None,
            protocol=p.protocol, archived=p.archived,
            course=tuple(CourseEvent(e.status, e.on + shift) for e in p.course),
            consents=tuple(Consent(c.given_on + shift, "", self._who(c.taken_by),
                                   c.withdrawn_on + shift if c.withdrawn_on else None)
                           for c in p.consents),
            history=self._history(p.id, p.history))

    def session(self, s: Session) -> Session:
        shift = self.offset(s.patient_id)
        return replace(
            s, id=self(s.id, "SX"), patient_id=self(s.patient_id, "PX"), date=s.date + shift,
            anaesthesia=Anaesthesia(s.anaesthesia.type), product="", needle="", dose_notes="",
            lot=self.lot(s.lot),
            # Shifted with the session (so `lot_expired` still holds); no format writes it.
            lot_expiry=s.lot_expiry + shift if s.lot_expiry else None,
            side_effects=tuple(SideEffectReport(e.effect, e.severity) for e in s.side_effects),
            practitioner=self._who(s.practitioner), history=self._history(s.patient_id,
                                                                          s.history))

    def evaluation(self, e: Evaluation) -> Evaluation:
        return replace(
            e, id=self(e.id, "EX"), patient_id=self(e.patient_id, "PX"),
            date=e.date + self.offset(e.patient_id), stop_reason="", hair_count_site="",
            photos=tuple(Photo("") for _ in e.photos), notes="",
            practitioner=self._who(e.practitioner),
            history=self._history(e.patient_id, e.history))

    def outlook(self, patient_id: str, view: Outlook) -> Outlook:
        shift = self.offset(patient_id)
        return view._replace(
            last_session=view.last_session + shift if view.last_session else None,
            next_due=view.next_due + shift if view.next_due else None,
            pregnancy_avoid_until=(view.pregnancy_avoid_until + shift
                                   if view.pregnancy_avoid_until else None),
            today=view.today + shift)

    def when(self, patient_id: str, value: datetime | None) -> datetime | None:
        return None if value is None else value + self.offset(patient_id)

    def _who(self, name: str) -> str:
        return self(name, "PR") if name else ""

    def _history(self, patient_id: str, revisions: Iterable[Revision]) -> tuple[Revision, ...]:
        """Number, action and shifted time only: snapshots, authors and reasons would reveal
        (or let one confirm) what was removed."""
        shift = self.offset(patient_id)
        return tuple(Revision(r.number, r.action,
                              (datetime.fromisoformat(r.at) + shift).isoformat(), "", "", {},
                              "", "") for r in revisions)


def birth_band(born: date) -> str:
    """The decade of birth, the only part of the date a de-identified export keeps."""
    start = born.year // 10 * 10
    return f"{start}-{start + 9}"


def unique_patients(patients: Iterable[tuple[str, str, int]]) -> tuple[int, int]:
    """How many of (sex, birth decade, number of sessions) occur once: (unique, total)."""
    keys = Counter(patients)
    return sum(1 for n in keys.values() if n == 1), sum(keys.values())


