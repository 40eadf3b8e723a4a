"""The clinic's own defaults: protocol, due-soon window, product, practitioners."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mesotui import parse
from mesotui.errors import ValidationError
from mesotui.models import DEFAULT_PROTOCOL, Anaesthesia, Protocol
from mesotui.vocab import AnaesthesiaType

USUAL_AGENTS = {AnaesthesiaType.NONE: "", AnaesthesiaType.TOPICAL: "topical anaesthetic cream",
                AnaesthesiaType.LOCAL: "lidocaine 2%"}
"""The agent each anaesthesia type usually means, offered when the type is chosen."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What a new session is prefilled with, and how the schedule is read."""

    clinic_name: str = ""
    protocol: Protocol = DEFAULT_PROTOCOL
    due_soon_days: int = 14
    default_product: str = "Dutasteride 0.01% solution"
    default_concentration_pct: float = 0.01
    default_volume_ml: float | None = 1.0
    default_duration_min: int = 20
    default_anaesthesia: Anaesthesia = Anaesthesia(AnaesthesiaType.TOPICAL,
                                                   USUAL_AGENTS[AnaesthesiaType.TOPICAL])
    default_needle: str = "30G x 4 mm"
    practitioners: tuple[str, ...] = ()
    default_practitioner: str = ""
    system_base: str = "https://clinic.example/mesotui"
    """A URL the clinic owns: its FHIR identifier and code systems live under it."""
    lot_optional: bool = False
    """A session may be logged without its product lot and expiry (off by default: a recall
    must find every patient given a lot)."""

    def usual_agent(self, kind: AnaesthesiaType) -> str:
        """The agent to offer for `kind`: the clinic's own for its default type."""
        if kind is self.default_anaesthesia.type and self.default_anaesthesia.agent:
            return self.default_anaesthesia.agent
        return USUAL_AGENTS[kind]

    def to_data(self) -> dict[str, Any]:
        return {
            "clinic_name": self.clinic_name,
            "protocol": self.protocol.to_data(),
            "due_soon_days": self.due_soon_days,
            "default_product": self.default_product,
            "default_concentration_pct": self.default_concentration_pct,
            "default_volume_ml": self.default_volume_ml,
            "default_duration_min": self.default_duration_min,
            "default_anaesthesia": {"type": self.default_anaesthesia.type.value,
                                    "agent": self.default_anaesthesia.agent,
                                    "amount": self.default_anaesthesia.amount},
            "default_needle": self.default_needle,
            "practitioners": list(self.practitioners),
            "default_practitioner": self.default_practitioner,
            "system_base": self.system_base,
            "lot_optional": self.lot_optional,
        }

    @classmethod
    def from_data(cls, doc: Mapping[str, Any]) -> Settings:
        base = cls()
        anaesthesia = parse.mapping(doc.get("default_anaesthesia", {}), "default_anaesthesia")
        practitioners = parse.listing(doc, "practitioners")
        if not all(isinstance(p, str) for p in practitioners):
            raise ValidationError({"practitioners": "must be a list of names"})
        concentration = parse.number(doc, "default_concentration_pct")
        window = parse.number(doc, "due_soon_days", integer=True)
        duration = parse.number(doc, "default_duration_min", integer=True)
        return cls(
            clinic_name=parse.text(doc, "clinic_name"),
            protocol=Protocol.from_data(doc["protocol"]) if "protocol" in doc else base.protocol,
            due_soon_days=int(window) if window is not None else base.due_soon_days,
            default_product=parse.text(doc, "default_product", base.default_product),
            default_concentration_pct=(concentration if concentration is not None
                                       else base.default_concentration_pct),
            default_volume_ml=parse.number(doc, "default_volume_ml"),
            default_duration_min=int(duration) if duration is not None
            else base.default_duration_min,
            default_anaesthesia=Anaesthesia(
                parse.choice(AnaesthesiaType, anaesthesia.get("type", "topical"),
                             "default_anaesthesia.type"),
                parse.text(anaesthesia, "agent"), parse.text(anaesthesia, "amount"))
            if anaesthesia else base.default_anaesthesia,
            default_needle=parse.text(doc, "default_needle", base.default_needle),
            practitioners=tuple(practitioners),
            default_practitioner=parse.text(doc, "default_practitioner"),
            system_base=parse.text(doc, "system_base", base.system_base) or base.system_base,
            lot_optional=parse.flag(doc, "lot_optional"),
        )
