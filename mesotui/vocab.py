"""The clinic's controlled vocabularies: sex, anaesthesia, areas, side effects, severity, status."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def short(self) -> str:
        return {"female": "F", "male": "M", "other": "X"}[self.value]


class AnaesthesiaType(StrEnum):
    NONE = "none"
    TOPICAL = "topical"
    LOCAL = "local"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Area(StrEnum):
    """Scalp areas treated, in the order a practitioner works front to back."""

    FRONTAL = "frontal"
    MID_SCALP = "mid_scalp"
    VERTEX = "vertex"
    TEMPORAL_LEFT = "temporal_left"
    TEMPORAL_RIGHT = "temporal_right"
    OCCIPITAL = "occipital"

    @property
    def label(self) -> str:
        return {
            "frontal": "Frontal",
            "mid_scalp": "Mid-scalp",
            "vertex": "Vertex/crown",
            "temporal_left": "Temporal L",
            "temporal_right": "Temporal R",
            "occipital": "Occipital",
        }[self.value]


class SideEffect(StrEnum):
    """Side effects named in the protocol: injection-site first, then those reported for oral
    use."""

    PAIN = "pain"
    SCALP_TENDERNESS = "scalp_tenderness"
    HEADACHE = "headache"
    ERYTHEMA = "erythema"
    SWELLING = "swelling"
    BRUISING = "bruising"
    BLEEDING = "bleeding"
    DEPRESSION = "depression"
    ANXIETY = "anxiety"
    MOOD_CHANGE = "mood_change"
    LOW_LIBIDO = "low_libido"
    ERECTILE_DYSFUNCTION = "erectile_dysfunction"
    EJACULATORY_DYSFUNCTION = "ejaculatory_dysfunction"
    BREAST_CHANGE = "breast_change"
    WEIGHT_GAIN = "weight_gain"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "pain": "Pain/discomfort",
            "scalp_tenderness": "Scalp tenderness",
            "headache": "Headache",
            "erythema": "Erythema",
            "swelling": "Swelling",
            "bruising": "Bruising",
            "bleeding": "Bleeding",
            "depression": "Depression",
            "anxiety": "Anxiety",
            "mood_change": "Mood change",
            "low_libido": "Low libido",
            "erectile_dysfunction": "Erectile dysfunction",
            "ejaculatory_dysfunction": "Ejaculatory dysfunction",
            "breast_change": "Breast enlargement/tenderness",
            "weight_gain": "Weight gain",
            "other": "Other",
        }[self.value]

    @property
    def is_injection_site(self) -> bool:
        return self in INJECTION_EFFECTS


INJECTION_EFFECTS = frozenset(
    {
        SideEffect.PAIN,
        SideEffect.SCALP_TENDERNESS,
        SideEffect.HEADACHE,
        SideEffect.ERYTHEMA,
        SideEffect.SWELLING,
        SideEffect.BRUISING,
        SideEffect.BLEEDING,
    }
)


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CourseStatus(StrEnum):
    """Where the patient's course stands, as the practitioner set it."""

    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DueStatus(StrEnum):
    """Where the patient stands against the schedule on a given day (derived, never stored)."""

    NOT_STARTED = "not started"
    ON_SCHEDULE = "on schedule"
    DUE_SOON = "due soon"
    OVERDUE = "overdue"
    PAUSED = "paused"
    STOPPED = "stopped"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Decision(StrEnum):
    """What the course evaluation decided."""

    CONTINUE = "continue"
    MAINTENANCE = "maintenance"
    STOP = "stop"

    @property
    def label(self) -> str:
        return {"continue": "Continue induction", "maintenance": "Move to maintenance",
                "stop": "Stop the course"}[self.value]


class ScoreChange(StrEnum):
    """A 7-point change scale, used for the global photographic score and self-assessment."""

    GREATLY_DECREASED = "greatly_decreased"
    MODERATELY_DECREASED = "moderately_decreased"
    SLIGHTLY_DECREASED = "slightly_decreased"
    UNCHANGED = "unchanged"
    SLIGHTLY_INCREASED = "slightly_increased"
    MODERATELY_INCREASED = "moderately_increased"
    GREATLY_INCREASED = "greatly_increased"

    @property
    def points(self) -> int:
        """-3 (greatly decreased) to +3 (greatly increased)."""
        return list(ScoreChange).index(self) - 3

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class PullTest(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"

    @property
    def label(self) -> str:
        return self.value.capitalize()
