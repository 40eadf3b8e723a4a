"""Pause, stop or resume a patient's course, with the date and the reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from mesotui.models import Patient
from mesotui.tui.screens.form import FormScreen
from mesotui.tui.widgets.dates import DateInput
from mesotui.tui.widgets.field import Field
from mesotui.vocab import CourseStatus

HINTS = {CourseStatus.PAUSED: "why, e.g. travelling for three months",
         CourseStatus.STOPPED: "why, e.g. the patient's decision, or side effects",
         CourseStatus.ACTIVE: "optional, e.g. back from travelling"}
"""The reason's placeholder for each change: a pause or a stop needs one, a resume may."""

CHOICES = {CourseStatus.ACTIVE: [("Pause the course", CourseStatus.PAUSED),
                                 ("Stop the course", CourseStatus.STOPPED)],
           CourseStatus.PAUSED: [("Resume the course", CourseStatus.ACTIVE),
                                 ("Stop the course", CourseStatus.STOPPED)],
           CourseStatus.STOPPED: [("Resume the course", CourseStatus.ACTIVE)]}


class CourseDialog(FormScreen[Patient | None]):
    """Collects a course change; `save(status, on, reason)` records it.

    It opens on the reason, with the usual change already chosen: what is typed just after
    `c` is the reason (shift+tab goes back to the change and its date)."""

    def __init__(self, patient: Patient, save: Callable[[CourseStatus, date, str], Patient], *,
                 today: date) -> None:
        super().__init__()
        self.patient, self.save, self.today = patient, save, today
        self.TITLE_TEXT = f"Course of {patient.name}: now {patient.status.value}"

    def compose_fields(self) -> ComposeResult:
        choices = CHOICES[self.patient.status]
        yield Static("A paused or stopped course has no next due date until it is resumed.",
                     classes="prompt")
        yield Field("Change", Select(choices, value=choices[0][1], allow_blank=False,
                                     id="status", compact=True, classes="scale"),
                    keys=("status",))
        yield Field("From", DateInput(self.today.isoformat(), id="on"), keys=("on",))
        yield Field("Reason", Input(placeholder=HINTS[choices[0][1]], id="reason",
                                    compact=True), keys=("reason", "course"))

    def on_mount(self) -> None:
        self.query_one("#reason").focus()
        super().on_mount()

    @on(Select.Changed, "#status")
    def _hint(self, event: Select.Changed) -> None:
        self.query_one("#reason", Input).placeholder = HINTS[event.value]  # type: ignore[index]

    def collect(self) -> Any:
        on = self.day("#on", "on", required=True)
        resuming = self.query_one("#status", Select).value is CourseStatus.ACTIVE
        if not self.text("#reason") and not resuming:
            self.problems["reason"] = "is required: say why, for the record"
        return (self.query_one("#status", Select).value, on, self.text("#reason"))

    def submit(self, record: Any) -> Patient | None:
        status, on, reason = record
        return self.save(status, on, reason)
