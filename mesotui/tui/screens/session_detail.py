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
from mesotui.tui.history_text import revision_lines
from mesotui.tui.undo import is_undone
from mesotui.tui.widgets.keybar import KeyBar


def product_text(session: Session) -> str:
    """The product with its concentration, said once: 'Dutasteride 0.01% solution', not
    'Dutasteride 0.01% solution, 0.01 %'."""
    concentration = fmt.number(session.concentration_pct, "%")
    if session.concentration_pct is None or concentration.replace(" ", "") in (
            session.product.replace(" ", "")):
        return session.product or "-"
    return f"{session.product or 'product not named'} at {concentration}"


def describe(session: Session, number: int | None) -> list[str]:
    """The session as plain lines, as a practitioner would read it aloud."""
    state = state_text(session)
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
        f"Product        {product_text(session)}",
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


def state_text(record: Session | Evaluation) -> str:
    """How the record stands, the same words on the record's table and in its detail."""
    if is_undone(record):
        return "UNDONE (ctrl+z)"
    if record.voided:
        return f"VOIDED ({record.history[-1].reason})"
    return "amended" if record.amended else ""


def revisions(record: Session | Evaluation) -> list[str]:
    """Each revision in the clinic's words, with what changed, old → new."""
    return revision_lines(record)


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
