"""The standard codes the FHIR export uses, each with the public source it was checked against.

Nothing here is written from memory: a concept without a code found in public material is sent
as text, or under the clinic's own code system (`Systems.code`), never with a guessed code.
The README's interop table lists the same codes and sources.
"""

from __future__ import annotations

import re
from typing import Any

from mesotui.vocab import SideEffect

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# HL7 code systems of the FHIR R4 (4.0.1) specification itself.
SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"

DICOM_CID = "DICOM PS3.16 context group {cid}, in its FHIR form (bvdh/dicom-terminology-in-fhir)"
ROUTE_VS = ("FHIR value set route-codes (descendants of SNOMED CT 284009009), "
            "https://build.fhir.org/valueset-route-codes.html")


def snomed(code: str, display: str) -> dict[str, str]:
    return {"system": SNOMED, "code": code, "display": display}


# Body site: SCT 41695006 in the DICOM anatomic-region mappings to SNOMED CT.
SCALP = snomed("41695006", "Scalp structure")
# Routes: members of the SNOMED CT Route Codes value set that R4 Dosage.route binds to.
INTRADERMAL = snomed("372464004", "Intradermal route")
TOPICAL = snomed("6064005", "Topical route")
INFILTRATION = snomed("718329006", "Infiltration route")
# Substances (Medication.ingredient) and products (Medication.code, which R4 binds to
# "SNOMED CT Medication Codes", i.e. medicinal products).
DUTASTERIDE = snomed("385572003", "Dutasteride")
LIDOCAINE = snomed("387480006", "Lidocaine")
BUPIVACAINE = snomed("387150008", "Bupivacaine")
LIDOCAINE_PRILOCAINE = snomed("346553009", "Lidocaine + Prilocaine")
"""A product concept: DICOM CID 630 uses it because the mixture has no substance code."""

CONSENT_CATEGORY = {"system": LOINC, "code": "59284-0", "display": "Patient Consent"}
POSITIVE = {"system": INTERPRETATION, "code": "POS", "display": "Positive"}
NEGATIVE = {"system": INTERPRETATION, "code": "NEG", "display": "Negative"}

SOURCES: dict[str, str] = {
    "41695006": "DICOM anatomic-region mappings to SNOMED CT in public FHIR implementation "
                "guides (SCT 41695006 \"Scalp structure (body structure)\")",
    "372464004": ROUTE_VS, "6064005": ROUTE_VS,
    "718329006": ROUTE_VS + " (\"Infiltration route (qualifier value)\")",
    "385572003": "SNOMED CT substance Dutasteride, listed with ATC G04CB02 in public "
                 "urology terminology tables",
    "387480006": DICOM_CID.format(cid="630") + " (Local anesthetics)",
    "387150008": DICOM_CID.format(cid="630") + " (Local anesthetics)",
    "346553009": DICOM_CID.format(cid="630") + " (Local anesthetics), product concept",
    "95388000": DICOM_CID.format(cid="10043") + " (Intravenous extravasation symptom)",
    "95401009": DICOM_CID.format(cid="10043"), "95385002": DICOM_CID.format(cid="10043"),
    "95392007": DICOM_CID.format(cid="10043"),
    "25064002": DICOM_CID.format(cid="60") + " (Imaging agent administration adverse event)",
    "48694002": DICOM_CID.format(cid="60"),
    "860914002": "SNOMED CT Erectile dysfunction, in the MedDRA-to-SNOMED CT maps of public "
                 "FHIR implementation guides",
    "59284-0": "FHIR R4 value set consent-category (LOINC 59284-0 Patient Consent)",
}
"""Where each standard code above was found (the README's interop table says the same)."""

EFFECT_CODES: dict[SideEffect, dict[str, str]] = {
    SideEffect.PAIN: snomed("95388000", "Injection site pain"),
    SideEffect.BRUISING: snomed("95401009", "Injection site bruising"),
    SideEffect.BLEEDING: snomed("95385002", "Injection site hemorrhage"),
    SideEffect.SWELLING: snomed("95392007", "Injection site edema"),
    SideEffect.HEADACHE: snomed("25064002", "Headache"),
    SideEffect.ANXIETY: snomed("48694002", "Anxiety"),
    SideEffect.ERECTILE_DYSFUNCTION: snomed("860914002", "Erectile dysfunction"),
}
"""Side effects with a SNOMED CT clinical finding found in public material. The others
(erythema's 70819003 is a morphologic abnormality, not a finding; scalp tenderness, mood,
libido, ejaculation, breast, weight, other) carry the clinic's code only."""

_ANAESTHETICS: tuple[tuple[str, dict[str, str] | None], ...] = (
    (r"lidocaine|lignocaine|xylocaine", LIDOCAINE),
    (r"prilocaine|citanest", None),  # no substance code found in public material: text only
    (r"bupivacaine|marcaine", BUPIVACAINE),
    (r"tetracaine|amethocaine", None),
    (r"benzocaine", None),
    (r"articaine", None),
    (r"mepivacaine", None),
    (r"adrenaline|epinephrine", None),
)
_EMLA = re.compile(r"\bemla\b", re.IGNORECASE)


def anaesthetic_components(agent: str) -> list[tuple[str, dict[str, str] | None]]:
    """The local anaesthetics named in an agent's free text, each with its substance code
    (or None where no code is certain), in the order written: "lidocaine 2.5% / prilocaine
    2.5% cream" gives lidocaine (387480006) then prilocaine (text only)."""
    found: list[tuple[int, str, dict[str, str] | None]] = []
    text = agent.casefold()
    if _EMLA.search(agent):
        text += " lidocaine prilocaine"
    for pattern, code in _ANAESTHETICS:
        match = re.search(rf"\b(?:{pattern})\b", text)
        if match:
            name = pattern.split("|")[0]
            found.append((match.start(), name.capitalize(), code))
    return [(name, code) for _, name, code in sorted(found, key=lambda f: f[0])]


def anaesthetic_product(components: list[tuple[str, Any]]) -> dict[str, str] | None:
    """The product concept for a known mixture (Medication.code), or None."""
    names = {name for name, _ in components}
    return LIDOCAINE_PRILOCAINE if names == {"Lidocaine", "Prilocaine"} else None
