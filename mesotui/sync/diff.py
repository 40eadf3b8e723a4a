"""What differs between two versions of a record, in the clinic's words, field by field.

For the record screen's "two versions" view: each difference is a field's name as the forms
call it, and its value in one version → the other ("Volume: 1 mL → 1.5 mL"). Lists and nested
fields are compared by what a clinician reads (a side effect with its severity, a consent by
its form and date), so reordering nothing shows nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mesotui.sync.tree import Leaf
from mesotui.terminal import safe

LABELS = {
    "date": "Date", "practitioner": "Practitioner", "areas": "Areas treated",
    "anaesthesia.type": "Anaesthesia", "anaesthesia.agent": "Anaesthetic agent",
    "anaesthesia.amount": "Anaesthetic amount", "product": "Product",
    "concentration_pct": "Concentration", "volume_ml": "Volume", "dose_mg": "Dose",
    "dose_notes": "Dose notes", "injection_points": "Injection points",
    "needle": "Needle", "duration_min": "Duration", "lot": "Lot", "lot_expiry": "Lot expiry",
    "expired_lot_confirmed": "Expired lot confirmed", "side_effects": "Side effects",
    "no_side_effects": "No side effects", "counselling_given": "Counselling given",
    "consent_override": "Consent override", "notes": "Notes", "voided": "Voided",
    "void_reason": "Void reason", "name": "Name", "sex": "Sex",
    "date_of_birth": "Date of birth", "phone": "Phone", "email": "Email",
    "consents": "Consents", "course": "Course status", "archived": "Archived",
    "planned_start": "Planned start", "protocol": "Protocol",
    "concurrent_treatments": "Concurrent treatments", "decision": "Decision",
    "global_score": "Global photo score", "hair_count_per_cm2": "Hair count",
    "hair_count_site": "Hair count site", "shaft_diameter_um": "Shaft diameter",
    "pull_test": "Pull test", "self_assessment": "Self-assessment",
    "maintenance_months": "Maintenance interval", "stop_reason": "Stop reason",
    "photos": "Photos", "patient_id": "Patient",
}
UNITS = {"volume_ml": "mL", "dose_mg": "mg", "concentration_pct": "%", "duration_min": "min",
         "hair_count_per_cm2": "/cm²", "shaft_diameter_um": "µm",
         "maintenance_months": "months"}
EMPTY = "(empty)"


@dataclass(frozen=True)
class Difference:
    field: str
    label: str
    old: str
    new: str

    @property
    def line(self) -> str:
        return f"{self.label}: {self.old} → {self.new}"


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Difference]:
    """The fields that differ between two versions' data, in the order the forms show them."""
    a, b = flat(old), flat(new)
    found = []
    for name in in_form_order(a.keys() | b.keys()):
        before, after = shown(name, a.get(name)), shown(name, b.get(name))
        if before != after:
            found.append(Difference(name, label(name), before, after))
    return found


_ORDER = {name: n for n, name in enumerate(LABELS)}


def in_form_order(names: Iterable[str]) -> list[str]:
    """Field names in the order the forms show them (unknown ones last, by name)."""
    return sorted(names, key=lambda f: (_ORDER.get(f, len(_ORDER)), f))


def label(name: str) -> str:
    """A field's name as the forms call it ("volume_ml" -> "Volume")."""
    return LABELS.get(name, name.replace("_", " ").capitalize())


def between(old: Leaf, new: Leaf) -> list[Difference]:
    """The differences between two leaves of a record (their latest revisions' data, and
    whether each is voided)."""
    return differences(state(old), state(new))


def state(leaf: Leaf) -> dict[str, Any]:
    """A version as a clinician compares it: its data, and for a session or an evaluation
    whether it is voided (which its last revision's action says, not its data)."""
    data = dict(leaf.head["data"])
    if leaf.table in ("sessions", "evaluations"):
        data["voided"] = leaf.head["action"] == "void"
    return data


def version_line(leaf: Leaf) -> str:
    """Who made a version, when and why: "revision 3, amended 16 Jan 2026 10:00 by Dr Osei
    (dose corrected)"."""
    head = leaf.head
    when = datetime.fromisoformat(head["at"]).strftime("%d %b %Y %H:%M")
    action = {"create": "created", "amend": "amended", "void": "voided",
              "restore": "restored", "undo": "undone"}.get(head["action"], head["action"])
    who = f" by {safe(head['by'])}" if head.get("by") else ""
    why = f" ({safe(head['reason'])})" if head.get("reason") else ""
    retired = ", set aside" if leaf.deleted else ""
    return f"revision {head['n']}, {action} {when}{who}{why}{retired}"


def flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A version's data with its nested fields named in full ("anaesthesia.type")."""
    found: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and name in ("anaesthesia",):
            found.update(flat(value, name + "."))
        else:
            found[name] = value
    return found


def shown(name: str, value: Any) -> str:
    """A field's value as a clinician reads it ("1.5 mL", "yes", "(empty)")."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        unit = UNITS.get(name, "")
        return f"{value:g}{' ' if unit and unit != '%' else ''}{unit}"
    if isinstance(value, list):
        return "; ".join(sorted(_item(v) for v in value)) or EMPTY
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_item(v)}" for k, v in sorted(value.items()) if v not in
                         (None, "", []))
    return _quoted(name, str(value))


def _item(value: Any) -> str:
    if isinstance(value, Mapping):
        if "effect" in value:  # a side effect
            note = f", {safe(value['note'])}" if value.get("note") else ""
            return f"{value['effect']} ({value.get('severity', '')}{note})"
        if "form_version" in value:  # a consent
            withdrawn = f", withdrawn {value['withdrawn_on']}" if value.get("withdrawn_on") \
                else ""
            return f"{safe(value['form_version'])} given {value.get('given_on')}{withdrawn}"
        return ", ".join(f"{k} {_item(v)}" for k, v in sorted(value.items())
                         if v not in (None, "", []))
    return safe(str(value))


def _quoted(name: str, text: str) -> str:
    text = safe(text)
    return f"“{text}”" if name in ("notes", "dose_notes", "void_reason", "stop_reason") \
        else text
