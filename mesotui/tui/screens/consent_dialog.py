"""Record informed consent to off-label treatment, or its withdrawal, with date and who took it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from mesotui.evaluation import Consent
from mesotui.models import Patient
from mesotui.tui.screens.form import FormScreen, Question
from mesotui.tui.widgets.dates import DateInput
from mesotui.tui.widgets.field import Field
from mesotui.tui.widgets.practitioner import PractitionerSelect

RECORD, WITHDRAW = "record", "withdraw"
DEFAULT_FORM = "DUT-MESO consent"


class ConsentDialog(FormScreen[Patient | None]):
    """Collects a consent or a withdrawal.

    `record(consent)` and `withdraw(on, reason)` save it (through the store) and return the
    patient as saved.

    It opens on the field to type in for the change chosen (the withdrawal's reason while a
    consent is in force, else the form version), so what is typed just after `k` lands there;
    a withdrawal is confirmed before it is saved, so a `k` meant to renew never withdraws.
    """

    def __init__(self, patient: Patient, record: Callable[[Consent], Patient],
                 withdraw: Callable[[date, str], Patient], *, today: date,
                 practitioners: tuple[str, ...] = (), default_practitioner: str = "") -> None:
        super().__init__()
        self.patient, self.record, self.withdraw, self.today = patient, record, withdraw, today
        self.current = patient.consent_on(today)
        self.practitioners, self.default_practitioner = practitioners, default_practitioner
        self.TITLE_TEXT = f"Consent of {patient.name} to off-label dutasteride mesotherapy"

    def compose_fields(self) -> ComposeResult:
        if self.current:
            state = (f"In force since {self.current.given_on} "
                     f"({self.current.form_version or 'no form reference'}, taken by "
                     f"{self.current.taken_by or '-'}).")
            choices = [("Withdrawn", WITHDRAW),
                       ("New consent", RECORD)]
        else:
            state = "No consent is in force today: sessions can only be logged with an override."
            choices = [("Record consent", RECORD)]
        last = self.patient.consents[-1] if self.patient.consents else None
        yield Static(state, classes="prompt", markup=False)
        yield Field("Change", Select(choices, value=choices[0][1], allow_blank=False,
                                     id="change", compact=True, classes="scale"),
                    keys=("change", "consent"))
        yield Field("Date", DateInput(self.today.isoformat(), id="on"),
                    keys=("on", "given_on", "consents"))
        yield Field("Form version", Input(last.form_version if last else DEFAULT_FORM,
                                          id="form-version", compact=True),
                    keys=("form_version",), hint="the consent form's version or reference",
                    classes="record-only")
        yield Field("Taken by", PractitionerSelect(self.practitioners,
                                                   self.default_practitioner, id="taken-by"),
                    keys=("taken_by",), classes="record-only")
        yield Field("Reason", Input(placeholder="why the patient withdrew consent", id="reason",
                                    compact=True), keys=("reason", "withdrawal_reason"),
                    classes="withdraw-only")

    def on_mount(self) -> None:
        self._show_fields()
        self.query_one("#reason" if self.current else "#form-version").focus()
        super().on_mount()

    @on(Select.Changed, "#change")
    def _show_fields(self) -> None:
        withdrawing = self.query_one("#change", Select).value == WITHDRAW
        for field in self.query(".record-only"):
            field.display = not withdrawing
        for field in self.query(".withdraw-only"):
            field.display = withdrawing

    def questions(self, record: Any) -> list[Question]:
        change, on, _detail = record
        if change != WITHDRAW:
            return []
        return [Question(f"Withdraw the consent of {self.patient.name} from {on}? From then "
                         "on a session can be logged only with an override, recorded on it.",
                         "Withdraw consent")]

    def collect(self) -> Any:
        change = self.query_one("#change", Select).value
        on = self.day("#on", "on", required=True)
        if change == WITHDRAW:
            if not self.text("#reason"):
                self.problems["reason"] = "is required: say why, for the record"
            return (WITHDRAW, on, self.text("#reason"))
        taken_by = self.query_one(PractitionerSelect).name_chosen
        for value, key in ((self.text("#form-version"), "form_version"),
                           (taken_by, "taken_by")):
            if not value:
                self.problems[key] = ("is required: the record must show what was signed, "
                                      "and with whom")
        return (RECORD, on, Consent(on or self.today, self.text("#form-version"), taken_by))

    def submit(self, record: Any) -> Patient | None:
        change, on, detail = record
        return self.withdraw(on, detail) if change == WITHDRAW else self.record(detail)
