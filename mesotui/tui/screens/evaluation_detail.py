"""One course evaluation in full, with every revision: who changed what, when and why."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mesotui.evaluation import Evaluation
from mesotui.tui import fmt
from mesotui.tui.screens.session_detail import revisions, state_text
from mesotui.tui.widgets.keybar import KeyBar
from mesotui.vocab import Decision, ScoreChange


def _change(value: ScoreChange | None) -> str:
    return f"{value.points:+d} {value.label.lower()}" if value else "-"


def decision_text(evaluation: Evaluation) -> str:
    if evaluation.decision is Decision.MAINTENANCE:
        return f"maintenance every {evaluation.interval_months} months"
    if evaluation.decision is Decision.STOP:
        return f"stop the course ({evaluation.stop_reason})"
    return "continue induction"


def describe(evaluation: Evaluation) -> list[str]:
    """The evaluation as plain lines, measures first, then the decision."""
    state = f"  [{state_text(evaluation)}]" if state_text(evaluation) else ""
    count = fmt.number(evaluation.hair_count_per_cm2, "hairs/cm²")
    site = f" at {evaluation.hair_count_site}" if evaluation.hair_count_site else ""
    photos = [f"  {p.path}" + (f"  ({p.angle})" if p.angle else "") for p in evaluation.photos]
    return [
        f"Evaluation on {evaluation.date}{state}", "",
        f"Hair count      {count}{site}",
        f"Shaft diameter  {fmt.number(evaluation.shaft_diameter_um, 'µm')}",
        f"Pull test       {evaluation.pull_test.label if evaluation.pull_test else '-'}",
        f"Global score    {_change(evaluation.global_score)} (independent, photographic)",
        f"Self-assessed   {_change(evaluation.self_assessment)}",
        f"Photos          {len(evaluation.photos) or '-'}", *photos,
        f"Notes           {evaluation.notes or '-'}",
        f"Decision        {decision_text(evaluation)}",
        f"Practitioner    {evaluation.practitioner or '-'}",
    ]


class EvaluationDetail(ModalScreen[None]):
    """Read-only view of an evaluation and its revision history; escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "Back")]

    def __init__(self, evaluation: Evaluation) -> None:
        super().__init__(classes="form-screen")
        self.evaluation = evaluation

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            with VerticalScroll(id="fields"):
                yield Static("\n".join(describe(self.evaluation)), id="detail", markup=False)
                yield Static("Revision history", classes="section-title")
                yield Static("\n".join(revisions(self.evaluation)), id="revisions",
                             markup=False)
        yield KeyBar()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
