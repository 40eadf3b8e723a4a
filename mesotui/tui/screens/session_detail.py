"""One session in full, with every revision: who changed what, when and why."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mesotui.evaluation import Evaluation
from mesotui.models import Session
from mesotui.tui import fmt
from mesotui.tui.widgets.keybar import KeyBar


def describe(session: Session, number: int | None) -> list[str]:
    """The session as plain lines, as a practitioner would read it aloud."""
    state = (f"VOIDED ({session.void_reason})" if session.voided else
             "amended" if session.amended else "")
    title = f"Session {number or '-'} on {session.date}" + (f"  [{state}]" if state else "")
    lot = f"{session.lot or '-'}, expiry {fmt.day(session.lot_expiry)}"
    if session.lot_expired:
        lot += "  EXPIRED on the session date" + (
            " (use confirmed)" if session.expired_lot_confirmed else "")
    effects = ("none (asked)" if session.no_side_effects else
               "; ".join(r.describe() for r in session.side_effects) or "not assessed")
    return [
        title, "",
        f"Anaesthesia    {session.anaesthesia.describe()}",
        f"Product        {session.product or '-'}, {fmt.number(session.concentration_pct, '%')}",
        f"Volume / dose  {fmt.number(session.volume_ml, 'mL')} = "
        f"{fmt.number(session.dose_mg, 'mg')}",
        f"Lot            {lot}",
        f"Areas          {', '.join(a.label for a in session.areas) or '-'}",
        f"Points/needle  {fmt.number(session.injection_points)} points, {session.needle or '-'}",
        f"Duration       {fmt.number(session.duration_min, 'min')}",
        f"Side effects   {effects}",
        f"Counselling    {fmt.yes_no(session.counselling_given)}",
        "Consent        " + ("OVERRIDE: logged without consent in force, by the practitioner's "
                             "decision" if session.consent_override else "no override"),
        f"Practitioner   {session.practitioner or '-'}",
        f"Dose notes     {session.dose_notes or '-'}",
    ]


def revisions(record: Session | Evaluation) -> list[str]:
    """Each revision: number, when, what, by whom, why, and the fields it changed."""
    lines: list[str] = []
    previous: dict[str, object] = {}
    for revision in record.history:
        changed = [key for key, value in revision.data.items()
                   if previous and previous.get(key) != value]
        line = f"{revision.number}. {revision.at[:16].replace('T', ' ')}  {revision.action}"
        line += f" by {revision.by}" if revision.by else ""
        line += f": {revision.reason}" if revision.reason else ""
        if changed:
            line += f"  (changed: {', '.join(changed)})"
        lines.append(line)
        previous = dict(revision.data)
    return lines or ["(no revisions)"]


class SessionDetail(ModalScreen[None]):
    """Read-only view of a session and its revision history; escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "Back")]

    def __init__(self, session: Session, number: int | None) -> None:
        super().__init__(classes="form-screen")
        self.session, self.number = session, number

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            with VerticalScroll(id="fields"):
                yield Static("\n".join(describe(self.session, self.number)), id="detail",
                             markup=False)
                yield Static("Revision history", classes="section-title")
                yield Static("\n".join(revisions(self.session)), id="revisions", markup=False)
        yield KeyBar()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
