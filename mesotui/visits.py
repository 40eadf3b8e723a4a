"""A routine visit: what a new session starts from, in the app's form and `mesotui log` alike.

The clinic's settings give the product, its concentration, the anaesthesia, the session's
length and the practitioner; the patient's last session given repeats its dose, areas,
injection points and needle (a course keeps one patient's dose), or the clinic's defaults
give them for a first session. Lot, side effects and counselling are never assumed: each
session answers them itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from mesotui.models import Anaesthesia, Session
from mesotui.settings import Settings
from mesotui.vocab import AnaesthesiaType


def routine_visit(patient_id: str, day: date, settings: Settings,
                  previous: Session | None = None) -> Session:
    """A new session of `patient_id` on `day`, as a routine visit would be given.

    Args:
        previous: the patient's last session given (not voided), if any.
    """
    return Session(
        id="", patient_id=patient_id, date=day, anaesthesia=settings.default_anaesthesia,
        product=settings.default_product,
        concentration_pct=settings.default_concentration_pct,
        volume_ml=(previous.volume_ml if previous and previous.volume_ml is not None
                   else settings.default_volume_ml),
        areas=previous.areas if previous else (),
        injection_points=previous.injection_points if previous else None,
        needle=previous.needle if previous and previous.needle else settings.default_needle,
        duration_min=settings.default_duration_min,
        practitioner=settings.default_practitioner)


def with_anaesthesia(session: Session, kind: AnaesthesiaType, settings: Settings, *,
                     agent: str | None = None, amount: str | None = None) -> Session:
    """`session` given `kind` of anaesthesia: the routine agent and amount when it is the
    clinic's usual type, else the type's usual agent; `agent` and `amount` override them."""
    usual = session.anaesthesia if kind is session.anaesthesia.type else Anaesthesia(
        kind, settings.usual_agent(kind))
    return replace(session, anaesthesia=Anaesthesia(
        kind, usual.agent if agent is None else agent,
        usual.amount if amount is None else amount))
