"""Add or edit a patient: details, concurrent treatments, planned start and protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select

from mesotui import validation
from mesotui.models import Patient, Protocol
from mesotui.tui import fmt
from mesotui.tui.screens.form import FormScreen
from mesotui.tui.widgets.dates import DateInput
from mesotui.tui.widgets.field import Field
from mesotui.tui.widgets.protocol_fields import protocol_fields, read_protocol
from mesotui.tui.widgets.ticks import Tick
from mesotui.vocab import Sex


class PatientForm(FormScreen[Patient | None]):
    """Collects a patient; `save(patient, reason)` stores it (reason only when editing)."""

    def __init__(self, patient: Patient | None, save: Callable[[Patient, str], Patient], *,
                 today: date, default_protocol: Protocol) -> None:
        super().__init__()
        self.patient, self.save, self.today = patient, save, today
        self.default_protocol = default_protocol
        self.TITLE_TEXT = f"Edit {patient.name} ({patient.id})" if patient else "New patient"

    def compose_fields(self) -> ComposeResult:
        p = self.patient
        yield Field("Name", Input(p.name if p else "", id="name", compact=True), keys=("name",))
        yield Field("Sex", Select([(s.label, s) for s in Sex], value=p.sex if p else Select.NULL,
                                  id="sex", compact=True, prompt="choose"), keys=("sex",))
        yield Field("Date of birth", DateInput(fmt.day(p.date_of_birth) if p else "",
                                               placeholder="YYYY-MM-DD", id="dob"),
                    keys=("date_of_birth",))
        yield Field("Phone", Input(p.phone if p else "", id="phone", compact=True),
                    keys=("phone",))
        yield Field("Email", Input(p.email if p else "", id="email", compact=True),
                    keys=("email",))
        yield Field("Treatments", Input("; ".join(p.concurrent_treatments) if p else "",
                                        id="treatments", compact=True,
                                        placeholder="e.g. oral minoxidil 1 mg daily; biotin"),
                    keys=("concurrent_treatments",), hint="concurrent treatments, separated by ;")
        start = fmt.day(p.planned_start) if p and p.planned_start else ""
        yield Field("Planned start", DateInput(start, id="start",
                                               placeholder="optional: YYYY-MM-DD, +2w, +mon\u2026"),
                    keys=("planned_start",))
        yield Field("Notes", Input(p.notes if p else "", id="notes", compact=True),
                    keys=("notes",))
        own = bool(p and p.protocol)
        yield Tick("Own protocol (otherwise the clinic default)", own, id="own-protocol",
                       compact=True)
        yield from protocol_fields(p.protocol if p and p.protocol else self.default_protocol,
                                   "own")
        if p:
            yield Field("Reason", Input(placeholder="why the details change (optional)",
                                        id="reason", compact=True), keys=("reason",))

    def on_mount(self) -> None:
        self._own_changed()
        self.query_one("#name", Input).focus()
        super().on_mount()

    @on(Checkbox.Changed, "#own-protocol")
    def _own_changed(self) -> None:
        own = self.query_one("#own-protocol", Checkbox).value
        for field in self.query(".field"):
            if field.query("#own-intervals, #own-after"):
                field.display = own

    def collect(self) -> Any:
        sex = self.query_one("#sex", Select).value
        if sex is Select.NULL:
            self.problems["sex"] = "is required"
        dob = self.day("#dob", "date_of_birth", required=True)
        start = self.day("#start", "planned_start")
        protocol = (read_protocol(self, "own") if self.query_one("#own-protocol", Checkbox).value
                    else None)
        treatments = tuple(t.strip() for t in self.text("#treatments").split(";") if t.strip())
        # Fields that could not be read stand in with a harmless value, so that every other
        # field's problem is found too, at once (the reading problem is the one shown).
        dob = dob or self.today
        sex = Sex.OTHER if sex is Select.NULL else sex
        base = self.patient or Patient(id="", name="", sex=Sex.OTHER, date_of_birth=dob)
        return replace(base, name=self.text("#name"), sex=sex, date_of_birth=dob,
                       phone=self.text("#phone"), email=self.text("#email"),
                       notes=self.query_one("#notes", Input).value,
                       concurrent_treatments=treatments, planned_start=start, protocol=protocol)

    def check(self, record: Any) -> dict[str, str]:
        return validation.patient_problems(record, self.today)

    def submit(self, record: Any) -> Patient | None:
        return self.save(record, self.text("#reason") if self.patient else "")
