"""A record's revisions in the clinic's words: what was done, by whom, why, old → new."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Session
from mesotui.tui.undo import UNDO_REASON
from mesotui.validation import plural
from mesotui.vocab import AnaesthesiaType, Area, Decision, PullTest, ScoreChange, SideEffect

Record = Patient | Session | Evaluation

VERBS = {"create": {"Session": "logged", "Evaluation": "recorded", "Patient": "added"},
         "amend": "amended", "void": "voided", "restore": "restored", "undo": "undone",
         "status": "course changed", "archive": "archived", "unarchive": "unarchived"}


def _label(enum: Any, value: Any) -> str:
    try:
        return enum(value).label
    except ValueError:
        return str(value)


def _unit(unit: str) -> Callable[[Any], str]:
    return lambda value: "-" if value is None else f"{value:g} {unit}"


def _anaesthesia(value: Mapping[str, Any]) -> str:
    details = " ".join(part for part in (value.get("agent"), value.get("amount")) if part)
    kind = _label(AnaesthesiaType, value.get("type"))
    return f"{kind} ({details})" if details else kind


def _effects(data: Mapping[str, Any]) -> str:
    """A session's side effects as one answer: the effects, "none reported" or unanswered."""
    if data.get("no_side_effects"):
        return "none reported"
    found = [f"{_label(SideEffect, e.get('effect'))} ({e.get('severity')})"
             + (f": {e['note']}" if e.get("note") else "") for e in data.get("side_effects", [])]
    return "; ".join(found) or "not assessed"


def _yes(value: Any) -> str:
    return "yes" if value else "no"


FIELDS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "date": ("Date", str), "anaesthesia": ("Anaesthesia", _anaesthesia),
    "product": ("Product", str), "concentration_pct": ("Concentration", _unit("%")),
    "volume_ml": ("Volume", _unit("mL")), "lot": ("Lot", str), "lot_expiry": ("Lot expiry", str),
    "expired_lot_confirmed": ("Expired lot confirmed", _yes),
    "areas": ("Areas", lambda v: ", ".join(_label(Area, a) for a in v) or "-"),
    "injection_points": ("Injection points", lambda v: "-" if v is None else str(v)),
    "needle": ("Needle", str), "duration_min": ("Duration", _unit("min")),
    "dose_notes": ("Dose notes", str), "counselling_given": ("Counselling given", _yes),
    "practitioner": ("Practitioner", str), "consent_override": ("Consent override", _yes),
    "decision": ("Decision", lambda v: _label(Decision, v)),
    "maintenance_months": ("Maintenance every", _unit("months")),
    "stop_reason": ("Stop reason", str), "hair_count_per_cm2": ("Hair count", _unit("/cm²")),
    "hair_count_site": ("Hair count site", str), "shaft_diameter_um": ("Shaft", _unit("µm")),
    "pull_test": ("Pull test", lambda v: "not done" if v is None else _label(PullTest, v)),
    "global_score": ("Global score", lambda v: "-" if v is None else _label(ScoreChange, v)),
    "self_assessment": ("Self-assessed", lambda v: "-" if v is None else _label(ScoreChange, v)),
    "photos": ("Photos", lambda v: plural(len(v), "photo", count=True)),
    "notes": ("Notes", str), "name": ("Name", str), "sex": ("Sex", str),
    "date_of_birth": ("Date of birth", str), "phone": ("Phone", str), "email": ("Email", str),
    "concurrent_treatments": ("Concurrent treatments", lambda v: "; ".join(v) or "none"),
    "planned_start": ("Planned start", lambda v: v or "-"),
    "protocol": ("Own protocol", lambda v: "clinic default" if not v else
                 ", ".join(map(str, v.get("intervals_months", []))) + " months, then every "
                 f"{v.get('maintenance_months')}"),
    "course": ("Course", lambda v: f"{v[-1]['status']} from {v[-1]['on']}" if v else "active"),
    "archived": ("Archived", _yes),
    "consents": ("Consent", lambda v: "none" if not v else (
        f"withdrawn on {v[-1]['withdrawn_on']}" if v[-1].get("withdrawn_on")
        else f"given on {v[-1]['given_on']} ({v[-1].get('form_version') or '-'})")),
}


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """'Label: old → new' for each field that differs (side effects as one answer)."""
    lines = []
    if _effects(before) != _effects(after):
        lines.append(f"Side effects: {_effects(before)} \u2192 {_effects(after)}")
    for key, value in after.items():
        if key in ("side_effects", "no_side_effects", "patient_id") or before.get(key) == value:
            continue
        if key == "areas" and sorted(before.get(key) or ()) == sorted(value or ()):
            continue  # the same areas, listed in another order: nothing the user changed
        label, shown = FIELDS.get(key, (key.replace("_", " ").capitalize(), str))
        old = before.get(key)
        lines.append(f"{label}: {_shown(shown, old)} \u2192 {_shown(shown, value)}")
    return lines


def _shown(shown: Callable[[Any], str], value: Any) -> str:
    if value in (None, "", [], {}):
        return "-"
    try:
        return shown(value) or "-"
    except (AttributeError, KeyError, TypeError, IndexError):
        return str(value)


def revision_lines(record: Record) -> list[str]:
    """Each revision: number, when, what was done (in words), by whom, why; then what changed,
    old → new, one line each."""
    kind = type(record).__name__
    lines: list[str] = []
    previous: Mapping[str, Any] | None = None
    for revision in record.history:
        verb = VERBS.get(revision.action, revision.action)
        if isinstance(verb, dict):
            verb = verb.get(kind, "added")
        if revision.action == "void" and revision.reason == UNDO_REASON:
            verb = "undone (ctrl+z)"
        line = f"{revision.number}. {revision.at[:16].replace('T', ' ')}  {verb}"
        line += f" by {revision.by}" if revision.by else " (author not recorded)"
        if revision.reason and revision.reason != UNDO_REASON:
            line += f": {revision.reason}"
        lines.append(line)
        if previous is not None:
            lines += [f"     {change}" for change in changes(previous, revision.data)]
        previous = revision.data
    return lines or ["(no revisions)"]
