"""What the record file's seals found, in words: for the command line, the app and exports.

Plain text only, never markup (the app shows it with `markup=False`); record ids, never a
patient's name.
"""

from __future__ import annotations

from typing import Any

from mesotui.engine.seal import State
from mesotui.terminal import safe


def about(state: State, record_id: str, *, patient: bool = False) -> list[str]:
    """What the seals found about one record; for a patient, also about records of theirs
    gone from the file, and about the whole file (an older copy put back concerns them all)."""
    found = []
    for finding in state.ledger.findings():
        if finding.record == record_id:
            found.append(finding.what)
        elif patient and finding.patient == record_id and finding.record:
            found.append(f"{finding.record}: {finding.what}")
        elif patient and not finding.record:
            found.append(f"the record file: {finding.what}")
    return found


def summary(state: State) -> dict[str, Any]:
    """What an export states of the file's integrity: whether it could be checked, which
    records failed, and what concerns the whole file."""
    findings = state.ledger.findings()
    return {"checked": state.status == "sealed", "status": state.status,
            "failed": sorted({f.record for f in findings if f.record}),
            "file": [f.what for f in findings if not f.record]}


def banner(state: State) -> tuple[str, str]:
    """The patient list's banner (plain text) and its kind: "tampered", "unchecked" or ""."""
    findings = state.ledger.findings()
    if findings:
        records = sorted({f.record for f in findings if f.record})
        shown = ", ".join(records[:6]) + (f" and {len(records) - 6} more" if len(records) > 6
                                          else "")
        parts = [f"{len(records)} record{'s' if len(records) != 1 else ''} ({shown})"
                 ] if records else []
        parts += [f"the file: {f.what}" for f in findings if not f.record][:2]
        return (f"⚠ CHANGED OUTSIDE MESOTUI: {'; '.join(parts)}. Run `mesotui check`, and "
                "compare with a backup before relying on them.", "tampered")
    if state.status == "no-key":
        return ("⚠ INTEGRITY CANNOT BE CHECKED on this machine: the clinic key of this record "
                "file is not here, so saving is refused (mesotui key import FILE; if it is lost "
                "for good, mesotui key new).", "unchecked")
    return "", ""


def failed_note(state: State) -> str:
    """For an export's report: which records failed the integrity check ("" if none)."""
    failed = summary(state)["failed"]
    if not failed and not state.ledger.found:
        return ""
    shown = ", ".join(failed[:5]) + (" ..." if len(failed) > 5 else "")
    what = f"{len(failed)} records failed the integrity check ({shown})" if failed else \
        "the record file failed the integrity check"
    return f"{what}: the export's header says so; run mesotui check"


def reseals(meta: dict[str, Any]) -> list[str]:
    """Each time the file was sealed anew without its earlier key, in words (for `check`)."""
    found = meta.get("resealed")
    return [f"sealed anew on {r.get('at', '?')[:10]} with a new key, the old one lost "
            f"({safe(str(r.get('reason', '')))}): changes made outside mesotui before then "
            "cannot be detected"
            for r in (found if isinstance(found, list) else []) if isinstance(r, dict)]
