"""Log (or amend) a session: everything prefilled for a routine visit, ctrl+s to save."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static

from mesotui.models import Anaesthesia, Patient, Session, SideEffectReport
from mesotui.settings import Settings
from mesotui.tui import fmt
from mesotui.tui.widgets.field import Field, FormScreen
from mesotui.tui.widgets.ticks import Tick, TickList
from mesotui.vocab import AnaesthesiaType, Area, Severity, SideEffect


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class SessionForm(FormScreen[Session | None]):
    """Collects one session; `save(session, reason)` stores it (reason is "" for a new one)."""

    def __init__(self, patient: Patient, save: Callable[[Session, str], Session], *,
                 settings: Settings, today: date, lots: list[tuple[str, date | None]],
                 previous: Session | None = None, session: Session | None = None) -> None:
        super().__init__()
        self.patient, self.save, self.today, self.lots = patient, save, today, dict(lots)
        self.amending = session is not None
        self.TITLE_TEXT = (f"Amend session of {session.date} for {patient.name}" if session
                           else f"Log session for {patient.name} ({patient.id})")
        lot, expiry = lots[0] if lots else ("", None)
        self.base = session or Session(
            id="", patient_id=patient.id, date=today, anaesthesia=settings.default_anaesthesia,
            product=settings.default_product,
            concentration_pct=settings.default_concentration_pct,
            volume_ml=previous.volume_ml if previous else settings.default_volume_ml,
            lot=lot, lot_expiry=expiry, areas=previous.areas if previous else (),
            injection_points=previous.injection_points if previous else None,
            needle=previous.needle if previous and previous.needle else settings.default_needle,
            duration_min=settings.default_duration_min,
            practitioner=settings.default_practitioner)
        self.practitioners = list(settings.practitioners)

    def compose_fields(self) -> ComposeResult:
        s = self.base
        yield Field("Date", Input(s.date.isoformat(), id="date", compact=True),
                    keys=("date",))
        yield Field("Anaesthesia",
                    Select([(t.label, t) for t in AnaesthesiaType], value=s.anaesthesia.type,
                           allow_blank=False, id="anaesthesia", compact=True),
                    Input(s.anaesthesia.agent, placeholder="agent", id="agent", compact=True),
                    Input(s.anaesthesia.amount, placeholder="amount", id="amount", compact=True),
                    keys=("anaesthesia.agent", "anaesthesia.amount"))
        yield Field("Product", Input(s.product, id="product", compact=True),
                    Label("conc. %", classes="inline-label"),
                    Input(_num(s.concentration_pct), id="concentration", compact=True),
                    keys=("product", "concentration_pct"))
        yield Field("Volume mL", Input(_num(s.volume_ml), id="volume", compact=True),
                    Static("", id="dose", markup=False), keys=("volume_ml",))
        lots = "  ".join(f"{lot} (exp {fmt.day(exp)})" for lot, exp in list(self.lots.items())[:3])
        yield Field("Lot", Input(s.lot, id="lot", compact=True,
                                 suggester=SuggestFromList(list(self.lots), case_sensitive=False)),
                    Label("expiry", classes="inline-label"),
                    Input(fmt.day(s.lot_expiry) if s.lot_expiry else "", placeholder="YYYY-MM-DD",
                          id="expiry", compact=True),
                    keys=("lot", "lot_expiry"), hint=f"Recent: {lots}" if lots else "")
        yield Tick("Lot is past its expiry: use it anyway (recorded)", s.expired_lot_confirmed,
                       id="confirm-expired", compact=True)
        yield Field("Areas", TickList[Area](
            *[(area.label, area, area in s.areas) for area in Area], id="areas", compact=True),
            keys=("areas",), hint="space ticks an area")
        yield Field("Points", Input(_num(s.injection_points), id="points", compact=True),
                    Label("needle", classes="inline-label"),
                    Input(s.needle, id="needle", compact=True),
                    Label("min", classes="inline-label"),
                    Input(_num(s.duration_min), id="duration", compact=True),
                    keys=("injection_points", "needle", "duration_min"))
        yield Tick("No side effects (asked; none reported)", s.no_side_effects,
                       id="no-effects", compact=True)
        chosen = {r.effect for r in s.side_effects}
        yield Field("Side effects", TickList[SideEffect](
            *[(e.label, e, e in chosen) for e in SideEffect], id="effects", compact=True),
            keys=("side_effects",), hint="space ticks one; set its severity and note below")
        yield Vertical(id="effect-details")
        yield Tick("Counselling given (pregnancy / contraception advice)",
                       s.counselling_given, id="counselling", compact=True)
        yield Field("Practitioner", Input(s.practitioner, id="practitioner", compact=True,
                                          suggester=SuggestFromList(self.practitioners)),
                    keys=("practitioner",))
        yield Field("Dose notes", Input(s.dose_notes, id="notes", compact=True),
                    keys=("dose_notes",))
        if self.amending:
            yield Field("Reason", Input(placeholder="why this record changes", id="reason",
                                        compact=True), keys=("reason",))

    def on_mount(self) -> None:
        for report in self.base.side_effects:
            self._mount_effect(report.effect, report.severity, report.note)
        self._refresh_derived()
        self.query_one("#volume" if not self.amending else "#reason", Input).focus()
        super().on_mount()

    # -- live feedback -------------------------------------------------------------------

    @on(Input.Changed, "#volume, #concentration, #date, #expiry")
    def _refresh_derived(self) -> None:
        volume = self._quiet_number("#volume")
        concentration = self._quiet_number("#concentration")
        dose = self.query_one("#dose", Static)
        dose.update(f"= {volume * concentration * 10:g} mg dutasteride"
                    if volume is not None and concentration is not None else "= ? mg")
        expiry, on = self._quiet_date("#expiry"), self._quiet_date("#date")
        expired = expiry is not None and on is not None and expiry < on
        self.query_one("#confirm-expired").display = expired

    @on(Input.Changed, "#lot")
    def _lot_changed(self, event: Input.Changed) -> None:
        known = {lot.casefold(): exp for lot, exp in self.lots.items()}
        expiry = known.get(event.value.strip().casefold())
        if expiry is not None:
            self.query_one("#expiry", Input).value = expiry.isoformat()

    @on(Checkbox.Changed, "#no-effects")
    def _none_ticked(self, event: Checkbox.Changed) -> None:
        if event.value:
            self.query_one("#effects", SelectionList).deselect_all()

    @on(SelectionList.SelectedChanged, "#effects")
    def _effects_changed(self, event: SelectionList.SelectedChanged[SideEffect]) -> None:
        chosen = list(event.selection_list.selected)
        if chosen:
            self.query_one("#no-effects", Checkbox).value = False
        for row in list(self.query(".effect-row")):
            if row.name not in chosen:
                row.remove()
        shown = {row.name for row in self.query(".effect-row")}
        for effect in chosen:
            if effect.value not in shown:
                self._mount_effect(effect, Severity.MILD, "")

    def _mount_effect(self, effect: SideEffect, severity: Severity, note: str) -> None:
        self.query_one("#effect-details").mount(Field(
            effect.label,
            Select([(s.label, s) for s in Severity], value=severity, allow_blank=False,
                   compact=True, classes="severity"),
            Input(note, placeholder="note", compact=True, classes="effect-note"),
            keys=(), name=effect.value, classes="effect-row"))

    def _quiet_number(self, selector: str) -> float | None:
        try:
            return float(self.text(selector).replace(",", "."))
        except ValueError:
            return None

    def _quiet_date(self, selector: str) -> date | None:
        try:
            return date.fromisoformat(self.text(selector))
        except ValueError:
            return None

    # -- saving ---------------------------------------------------------------------------

    def collect(self) -> Any:
        on = self.day("#date", "date", required=True)
        effects = []
        for row in self.query(".effect-row"):
            effects.append(SideEffectReport(
                SideEffect(row.name), row.query_one(".severity", Select).value,  # type: ignore[arg-type]
                row.query_one(".effect-note", Input).value.strip()))
        order = list(SideEffect)
        effects.sort(key=lambda r: order.index(r.effect))
        session = replace(
            self.base, date=on or self.base.date,
            anaesthesia=Anaesthesia(self.query_one("#anaesthesia", Select).value,  # type: ignore[arg-type]
                                    self.text("#agent"), self.text("#amount")),
            product=self.text("#product"),
            concentration_pct=self.number("#concentration", "concentration_pct"),
            volume_ml=self.number("#volume", "volume_ml"),
            lot=self.text("#lot"), lot_expiry=self.day("#expiry", "lot_expiry"),
            expired_lot_confirmed=self.query_one("#confirm-expired", Checkbox).value,
            areas=tuple(self.query_one("#areas", SelectionList).selected),
            injection_points=self.number("#points", "injection_points", integer=True),
            needle=self.text("#needle"),
            duration_min=self.number("#duration", "duration_min", integer=True),
            dose_notes=self.text("#notes"),
            side_effects=tuple(effects),
            no_side_effects=self.query_one("#no-effects", Checkbox).value,
            counselling_given=self.query_one("#counselling", Checkbox).value,
            practitioner=self.text("#practitioner"))
        if not session.lot_expired:
            session = replace(session, expired_lot_confirmed=False)
        if self.amending and not self.text("#reason"):
            self.problems["reason"] = "is required: say why the record changes"
        return session

    def confirm(self, record: Any) -> tuple[str, str] | None:
        """A new session on a day without consent in force needs the practitioner's override."""
        if self.amending or record.consent_override or self.patient.consent_on(record.date):
            return None
        return (f"No consent to off-label dutasteride mesotherapy is in force for "
                f"{self.patient.name} on {record.date}. Dutasteride is not licensed for hair "
                f"loss, so the record must show the patient's informed consent.\n\n"
                f"Log the session anyway? The override is recorded on the session. "
                f"(Record the consent with k on the patient's record.)", "Log without consent")

    def confirmed(self, record: Any) -> Any:
        return replace(record, consent_override=True)

    def submit(self, record: Any) -> Session | None:
        return self.save(record, self.text("#reason") if self.amending else "")
