"""Log (or amend) a session: a routine visit's defaults prefilled, every safety answer asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Label, Select, Static

from mesotui import validation
from mesotui.errors import ValidationError
from mesotui.models import Anaesthesia, Patient, Protocol, Session
from mesotui.parse import resolve_date
from mesotui.settings import Settings
from mesotui.tui import fmt
from mesotui.tui.screens.form import FormScreen, Question
from mesotui.tui.widgets.dates import DateInput
from mesotui.tui.widgets.effects import SideEffectsField
from mesotui.tui.widgets.field import Field
from mesotui.tui.widgets.practitioner import PractitionerSelect
from mesotui.tui.widgets.ticks import Tick, TickGroup
from mesotui.visits import routine_visit
from mesotui.vocab import AnaesthesiaType, Area, Sex

COUNSELLING = [("Given", True), ("Not given this time", False)]
EXPIRED_LABEL = {True: "Lot is past its expiry: use it anyway (recorded)",
                 False: "Lot past its expiry? No: nothing to confirm"}


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@dataclass(frozen=True)
class Course:
    """What the form needs of the patient's course to warn before saving."""

    given: list[Session]
    """The sessions that count (not voided), oldest first."""
    protocol: Protocol
    banners: tuple[tuple[str, str], ...] = ()
    """The record's safety and consent banners, (text, style class), repeated on the form."""


class SessionForm(FormScreen[Session | None]):
    """Collects one session; `save(session, reason)` stores it.

    The reason is the amendment's for an amended session, and for a new one the reasons
    given to its warnings (a second session that day, one before its interval), or "".
    """

    def __init__(self, patient: Patient, save: Callable[[Session, str], Session], *,
                 settings: Settings, today: date, lots: list[tuple[str, date | None]],
                 previous: Session | None = None, session: Session | None = None,
                 course: Course | None = None) -> None:
        super().__init__()
        self.patient, self.save, self.today, self.lots = patient, save, today, dict(lots)
        self.settings, self.course = settings, course or Course([], settings.protocol)
        self.amending = session is not None
        self.TITLE_TEXT = (f"Amend session of {session.date} for {patient.name}" if session
                           else f"Log session for {patient.name} ({patient.id})")
        self.last_lot = ((previous.lot, previous.lot_expiry)
                         if previous and previous.lot and not session else None)
        """The previous session's lot, offered as "same as last session", never prefilled."""
        self.base = session or routine_visit(patient.id, today, settings, previous)
        self._kind = self.base.anaesthesia.type
        self.counselling_answered = False

    def compose_fields(self) -> ComposeResult:
        s = self.base
        for text, style in self.course.banners:
            yield Static(text, classes=f"form-banner {style}", markup=False)
        yield Field("Date", DateInput(s.date.isoformat(), id="date"),
                    keys=("date",))
        yield Field("Anaesthesia",
                    Select([(t.label, t) for t in AnaesthesiaType], value=s.anaesthesia.type,
                           allow_blank=False, id="anaesthesia", compact=True),
                    Input(s.anaesthesia.agent, placeholder="agent", id="agent", compact=True),
                    Input(s.anaesthesia.amount, placeholder="amount", id="amount", compact=True),
                    keys=("anaesthesia.agent", "anaesthesia.amount"), targets=("#agent", "#amount"),
                    hint="choosing a type offers its usual agent")
        yield Field("Product", Input(s.product, id="product", compact=True),
                    Label("conc. %", classes="inline-label"),
                    Input(_num(s.concentration_pct), id="concentration", compact=True),
                    keys=("product", "concentration_pct"), targets=("#product", "#concentration"))
        yield Field("Volume mL", Input(_num(s.volume_ml), id="volume", compact=True),
                    Static("", id="dose", markup=False), keys=("volume_ml",))
        yield from self._lot_fields()
        yield Field("Areas", TickGroup[Area](
            *[(area.label, area, area in s.areas) for area in Area], id="areas"),
            keys=("areas",), hint="each area is a tab stop: space ticks it")
        yield Field("Points", Input(_num(s.injection_points), id="points", compact=True),
                    Label("needle", classes="inline-label"),
                    Input(s.needle, id="needle", compact=True),
                    Label("min", classes="inline-label"),
                    Input(_num(s.duration_min), id="duration", compact=True),
                    keys=("injection_points", "needle", "duration_min"),
                    targets=("#points", "#needle", "#duration"))
        yield SideEffectsField(s.side_effects, s.no_side_effects)
        yield self._counselling_field()
        yield Field("Practitioner", PractitionerSelect(self.settings.practitioners,
                                                       s.practitioner, id="practitioner"),
                    keys=("practitioner",))
        yield Field("Dose notes", Input(s.dose_notes, id="notes", compact=True),
                    keys=("dose_notes",))
        if self.amending:
            yield Field("Reason", Input(placeholder="why this record changes", id="reason",
                                        compact=True), keys=("reason",))

    def _lot_fields(self) -> ComposeResult:
        s = self.base
        recent = "  ".join(f"{lot} (exp {fmt.day(exp)})"
                           for lot, exp in list(self.lots.items())[:3])
        optional = " (optional in this clinic)" if self.settings.lot_optional else ""
        yield Field("Lot", Input(s.lot, id="lot", compact=True, placeholder="type or scan",
                                 suggester=SuggestFromList(list(self.lots), case_sensitive=False)),
                    Label("expiry", classes="inline-label"),
                    DateInput(fmt.day(s.lot_expiry) if s.lot_expiry else "", id="expiry"),
                    keys=("lot", "lot_expiry"), targets=("#lot", "#expiry"),
                    hint=(f"Recent: {recent}" if recent else "") + optional)
        # Both boxes are there from the start, whatever is typed: the tab order never changes
        # under a burst of keys (a scanner's, a fast typist's).
        if self.last_lot:
            lot, expiry = self.last_lot
            yield Tick(f"Same lot as last session: {lot}, expiry {fmt.day(expiry)}", False,
                       id="same-lot", compact=True)
        yield Field("", Tick(EXPIRED_LABEL[False], s.expired_lot_confirmed, applicable=False,
                             id="confirm-expired", compact=True),
                    keys=("expired_lot_confirmed",), classes="tick-field")

    def _counselling_field(self) -> Field:
        topic = {Sex.FEMALE: "pregnancy advice", Sex.MALE: "contraception advice"}.get(
            self.patient.sex, "pregnancy or contraception advice")
        answered = self.amending or self.base.counselling_given
        return Field("Counselling", Select(COUNSELLING, value=self.base.counselling_given
                                           if answered else Select.NULL,
                                           prompt="not answered", id="counselling",
                                           compact=True, classes="scale"),
                     Label(topic, classes="inline-label"), keys=("counselling",))

    def on_mount(self) -> None:
        self._refresh_derived()
        first = self.query_one("#volume" if not self.amending else "#reason", Input)
        first.focus()
        first.select_all()  # the field the form opens on: what is typed replaces it
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
        confirm = self.query_one("#confirm-expired", Tick)
        if confirm.applicable != expired:  # (a label set anew lays the form out again)
            confirm.applicable = expired
            confirm.label = EXPIRED_LABEL[expired]

    @on(Select.Changed, "#anaesthesia")
    def _anaesthesia_changed(self, event: Select.Changed) -> None:
        """Offer the new type's usual agent, unless the practitioner typed their own."""
        kind: AnaesthesiaType = event.value  # type: ignore[assignment]
        agent = self.query_one("#agent", Input)
        if agent.value.strip() in ("", self.settings.usual_agent(self._kind)):
            agent.value = self.settings.usual_agent(kind)
        self._kind = kind

    @on(Input.Changed, "#lot")
    def _lot_changed(self, event: Input.Changed) -> None:
        known = {lot.casefold(): exp for lot, exp in self.lots.items()}
        expiry = known.get(event.value.strip().casefold())
        if expiry is not None:
            self.query_one("#expiry", Input).value = expiry.isoformat()
        if self.last_lot:  # ticked only while the last lot is the one in the field
            same = self.query_one("#same-lot", Checkbox)
            if event.value.strip() not in ("", self.last_lot[0]):
                same.value = False

    @on(Checkbox.Changed, "#same-lot")
    def _same_lot(self, event: Checkbox.Changed) -> None:
        assert self.last_lot is not None
        lot, expiry = self.last_lot
        lot_input, expiry_input = self.query_one("#lot", Input), self.query_one("#expiry", Input)
        if event.value:
            lot_input.value, expiry_input.value = lot, fmt.day(expiry) if expiry else ""
        elif lot_input.value.strip() == lot:
            lot_input.value = expiry_input.value = ""

    def _quiet_number(self, selector: str) -> float | None:
        try:
            return float(self.text(selector).replace(",", "."))
        except ValueError:
            return None

    def _quiet_date(self, selector: str) -> date | None:
        try:
            return resolve_date(self.text(selector), "date", self.today)
        except ValidationError:
            return None

    # -- saving ---------------------------------------------------------------------------

    def collect(self) -> Any:
        on = self.day("#date", "date", required=True)
        effects, none_reported = self.query_one(SideEffectsField).read()
        counselling = self.query_one("#counselling", Select).value
        session = replace(
            self.base, date=on or self.base.date,
            anaesthesia=Anaesthesia(self.query_one("#anaesthesia", Select).value,  # type: ignore[arg-type]
                                    self.text("#agent"), self.text("#amount")),
            product=self.text("#product"),
            concentration_pct=self.number("#concentration", "concentration_pct"),
            volume_ml=self.number("#volume", "volume_ml"),
            lot=self.text("#lot"), lot_expiry=self.day("#expiry", "lot_expiry"),
            expired_lot_confirmed=self.query_one("#confirm-expired", Checkbox).value,
            areas=tuple(self.query_one("#areas", TickGroup).selected),
            injection_points=self.number("#points", "injection_points", integer=True),
            needle=self.text("#needle"),
            duration_min=self.number("#duration", "duration_min", integer=True),
            dose_notes=self.text("#notes"), side_effects=effects, no_side_effects=none_reported,
            counselling_given=counselling is True,
            practitioner=self.query_one(PractitionerSelect).name_chosen)
        self.counselling_answered = counselling is not Select.NULL
        self.problems.update(self.query_one(SideEffectsField).problems())
        if not session.lot_expired:
            session = replace(session, expired_lot_confirmed=False)
        if self.amending and not self.text("#reason"):
            self.problems["reason"] = "is required: say why the record changes"
        return session

    def check(self, record: Any) -> dict[str, str]:
        problems = validation.session_problems(record, self.patient, self.today)
        if record.lot_expired and not record.expired_lot_confirmed and "lot_expiry" in problems:
            # the box to tick says it, and a failed save puts the cursor there
            problems["expired_lot_confirmed"] = f"lot expiry {problems.pop('lot_expiry')}"
        if not self.amending:
            problems.update(validation.completeness_problems(
                record, self.patient, self.settings,
                counselling_answered=self.counselling_answered))
            if self.settings.practitioners and not record.practitioner:
                problems["practitioner"] = "is required: who gave the session?"
        if any(key.startswith("side_effects.") for key in self.problems):
            problems.pop("side_effects", None)  # effects are given: their severity is not
        return problems

    def questions(self, record: Any) -> list[Question]:
        """A prefilled product, point count or duration emptied is asked about; a second
        session that day or one before its interval needs a reason; a session on a day
        without consent in force needs the practitioner's override."""
        asked = []
        if blank := validation.blank_details(record, self.base):  # emptied since it opened
            asked.append(Question(
                f"{validation.join_words(blank).capitalize()} "
                f"{'is' if len(blank) == 1 else 'are'} now blank (the form had "
                f"{'it' if len(blank) == 1 else 'them'} filled in): the session is saved "
                f"without {'it' if len(blank) == 1 else 'them'}.\n\nSave it anyway?",
                "Save anyway"))
        if self.amending:
            return asked
        if warnings := validation.session_warnings(record, self.course.given,
                                                   self.course.protocol):
            asked.append(Question("\n".join(warnings) + "\n\nLog this session anyway? The "
                                  "reason is recorded with it.", "Log anyway",
                                  reason="why, e.g. the first attempt was stopped"))
        if not record.consent_override and not self.patient.consent_on(record.date):
            asked.append(Question(
                f"No consent to off-label dutasteride mesotherapy is in force for "
                f"{self.patient.name} on {record.date}. Dutasteride is not licensed for hair "
                f"loss, so the record must show the patient's informed consent.\n\n"
                f"Log the session anyway? The override is recorded on the session. "
                f"(Record the consent with k on the patient's record.)", "Log without consent",
                apply=lambda s: replace(s, consent_override=True)))
        return asked

    def submit(self, record: Any) -> Session | None:
        return self.save(record, self.text("#reason") if self.amending else self.reason_given)
