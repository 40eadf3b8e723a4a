"""The one shape every record id has: a kind letter, a dash, then capitals and digits.

The app makes `P-7K3M9QXD` (Crockford base32), the demo clinic `P-00001` and `S-00001-01`;
pseudonyms are `PX-...`, `SX-...`. Nothing else is accepted from a file: an id is shown in
every list and message, so it must never carry a control character, a space or markup.
"""

from __future__ import annotations

import re

PATTERN = re.compile(r"[A-Z]{1,2}-[0-9A-Z]{1,16}(?:-[0-9A-Z]{1,16})?")
KINDS = {"patient": "P", "session": "S", "evaluation": "E"}


def problem(value: object, kind: str) -> str | None:
    """What is wrong with `value` as the id of a record of `kind`, or None."""
    prefix = KINDS[kind]
    if not isinstance(value, str) or not PATTERN.fullmatch(value) \
            or not value.startswith(prefix + "-"):
        return (f"is not a {kind} id (a {kind} id looks like {prefix}-7K3M9QXD: "
                f"{prefix}-, then capital letters and digits)")
    return None
