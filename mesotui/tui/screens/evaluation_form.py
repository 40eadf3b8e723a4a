"""Record (or amend) a course evaluation: outcome measures, photo references and the decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select, Static

from mesotui import validation
from mesotui.evaluation import DEFAULT_MAINTENANCE_MONTHS, Evaluation, Photo
from mesotui.models import Patient
from mesotui.tui.screens.form import FormScreen, Question
from mesotui.tui.widgets.dates import DateInput
from mesotui.tui.widgets.field import Field
from mesotui.tui.widgets.practitioner import PractitionerSelect
from mesotui.validation import plural
from mesotui.vocab import Decision, PullTest, ScoreChange


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def photos_text(photos: tuple[Photo, ...]) -> str:
    return "; ".join(f"{p.path}:{p.angle}" if p.angle else p.path for p in photos)


def parse_photos(text: str) -> tuple[Photo, ...]:
    """'PATH[:ANGLE]; PATH[:ANGLE]' into photo references (a drive letter is not an angle)."""
    photos = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        path, colon, angle = item.rpartition(":")
        if not colon or not path or any(c in angle for c in "/\\"):
            path, angle = item, ""
        photos.append(Photo(path.strip(), angle.strip()))
    return tuple(photos)


class EvaluationForm(FormScreen[Evaluation | None]):
    """Collects one evaluation; `save(evaluation, reason)` stores it ("" for a new one)."""

    def __init__(self, patient: Patient, save: Callable[[Evaluation, str], Evaluation], *,
                 today: date, practitioners: tuple[str, ...] = (), practitioner: str = "",
                 evaluation: Evaluation | None = None, sessions_given: int = 0,
                 recorded: list[Evaluation] | None = None) -> None:
        super().__init__()
        self.patient, self.save, self.practitioners = patient, save, list(practitioners)
        self.today = today
        self.recorded = [e for e in recorded or [] if not e.voided]
        """The patient's evaluations that stand, to warn of a second one on one date."""
        self.amending = evaluation is not None
        self.TITLE_TEXT = (f"Amend the evaluation of {evaluation.date} for {patient.name}"
                           if evaluation else f"Evaluate the course of {patient.name} "
                                              f"({patient.id}) after "
                                              f"{plural(sessions_given, 'session', count=True)}")
        self.base = evaluation or Evaluation(id="", patient_id=patient.id, date=today,
                                             practitioner=practitioner)

    def compose_fields(self) -> ComposeResult:
        e = self.base
        yield Field("Date", DateInput(e.date.isoformat(), id="date"), keys=("date",))
        yield Field("Hair count", Input(_num(e.hair_count_per_cm2), id="hair-count",
                                        compact=True),
                    Label("per cm², site", classes="inline-label"),
                    Input(e.hair_count_site, placeholder="e.g. vertex tattoo mark", id="site",
                          compact=True),
                    keys=("hair_count_per_cm2", "hair_count_site"),
                    hint="hairs counted in the marked area, per cm²")
        yield Field("Shaft µm", Input(_num(e.shaft_diameter_um), id="diameter", compact=True),
                    Label("pull test", classes="inline-label"),
                    Select([(p.label, p) for p in PullTest], value=e.pull_test or Select.NULL,
                           prompt="not done", id="pull-test", compact=True),
                    keys=("shaft_diameter_um", "pull_test"))
        scale = [(f"{c.points:+d} {c.label}", c) for c in ScoreChange]
        yield Field("Global score", Select(scale, value=e.global_score or Select.NULL,
                                           prompt="not scored", id="global-score", compact=True,
                                           classes="scale"),
                    keys=("global_score",), hint="independent global photographic assessment")
        yield Field("Self-assessed", Select(scale, value=e.self_assessment or Select.NULL,
                                            prompt="not asked", id="self-assessment",
                                            compact=True, classes="scale"),
                    keys=("self_assessment",), hint="the patient's own view of the change")
        yield Field("Photos", Input(photos_text(e.photos), id="photos", compact=True,
                                    placeholder="PATH[:ANGLE]; PATH[:ANGLE]"),
                    keys=("photos",), hint="where the clinic keeps them, e.g. "
                                           "/photos/P-1/2026-01-15-vertex.jpg:vertex")
        yield Field("Notes", Input(e.notes, id="notes", compact=True), keys=("notes",))
        yield Static("Decision: what happens to the schedule from here.", classes="prompt")
        yield Field("Decision", Select([(d.label, d) for d in Decision],
                                       value=e.decision if self.amending else Select.NULL,
                                       prompt="choose the decision", id="decision",
                                       compact=True, classes="scale"),
                    Label("every", classes="inline-label maintenance-only"),
                    Input(_num(e.maintenance_months or DEFAULT_MAINTENANCE_MONTHS), id="months",
                          compact=True, classes="maintenance-only"),
                    Label("months", classes="inline-label maintenance-only"),
                    keys=("decision", "maintenance_months"))
        yield Field("Stop reason", Input(e.stop_reason, id="stop-reason", compact=True,
                                         placeholder="why the course stops"),
                    keys=("stop_reason",), classes="stop-only")
        yield Field("Practitioner", PractitionerSelect(tuple(self.practitioners),
                                                       e.practitioner, id="practitioner"),
                    keys=("practitioner",))
        if self.amending:
            yield Field("Reason", Input(placeholder="why this record changes", id="reason",
                                        compact=True), keys=("reason",))

    def on_mount(self) -> None:
        self._decision_changed()
        self.query_one("#reason" if self.amending else "#hair-count", Input).focus()
        super().on_mount()

    @on(Select.Changed, "#decision")
    def _decision_changed(self) -> None:
        decision = self.query_one("#decision", Select).value
        for widget in self.query(".maintenance-only"):
            widget.display = decision is Decision.MAINTENANCE
        self.query_one(".stop-only").display = decision is Decision.STOP

    def _choice(self, selector: str) -> Any:
        value = self.query_one(selector, Select).value
        return None if value is Select.NULL else value

    def collect(self) -> Any:
        on = self.day("#date", "date", required=True)
        decision = self.query_one("#decision", Select).value
        if decision is Select.NULL:
            self.problems["decision"] = "is required: choose what happens to the course"
            decision = self.base.decision
        months = self.number("#months", "maintenance_months", integer=True)
        evaluation = replace(
            self.base, date=on or self.base.date, decision=decision,
            maintenance_months=months if decision is Decision.MAINTENANCE else None,
            stop_reason=self.text("#stop-reason") if decision is Decision.STOP else "",
            hair_count_per_cm2=self.number("#hair-count", "hair_count_per_cm2"),
            hair_count_site=self.text("#site"),
            shaft_diameter_um=self.number("#diameter", "shaft_diameter_um"),
            pull_test=self._choice("#pull-test"), global_score=self._choice("#global-score"),
            self_assessment=self._choice("#self-assessment"),
            photos=parse_photos(self.query_one("#photos", Input).value),
            notes=self.text("#notes"),
            practitioner=self.query_one(PractitionerSelect).name_chosen)
        if self.amending and not self.text("#reason"):
            self.problems["reason"] = "is required: say why the record changes"
        return evaluation

    def check(self, record: Any) -> dict[str, str]:
        problems = validation.evaluation_problems(record, self.patient, self.today)
        if self.practitioners and not record.practitioner and not self.amending:
            problems["practitioner"] = "is required: who evaluated the course?"
        return problems

    def questions(self, record: Any) -> list[Question]:
        """Two evaluations on one date need a reason."""
        warnings = validation.evaluation_warnings(record, self.recorded)
        if not warnings:
            return []
        return [Question("\n".join(warnings) + "\n\nRecord this evaluation too? The reason "
                         "is recorded with it.", "Record anyway",
                         reason="why, e.g. the first was entered for the wrong date")]

    def submit(self, record: Any) -> Evaluation | None:
        return self.save(record, self.text("#reason") if self.amending else self.reason_given)
