"""A patient's record: safety and consent banners, course, timeline, outcomes, history."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from mesotui import schedule
from mesotui.evaluation import Evaluation
from mesotui.models import Patient, Session
from mesotui.schedule import Outlook
from mesotui.tui import flows, fmt
from mesotui.tui.messages import RecordSaved
from mesotui.tui.screens.record_text import (
    DECISION_SHORT,
    altered_text,
    consent_text,
    details_text,
    evaluation_cells,
    safety_text,
    standing_text,
)
from mesotui.tui.undo import is_undone
from mesotui.tui.widgets.keybar import KeyBar
from mesotui.tui.widgets.outcome_chart import chart_lines
from mesotui.tui.widgets.record_table import RecordTable
from mesotui.tui.widgets.timeline import Timeline
from mesotui.tui.widgets.titlebar import TitleBar, ViewOnlyBanner

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

__all__ = ["RecordScreen", "safety_text", "standing_text"]


class RecordScreen(Screen[None]):
    """One patient; enter opens the highlighted session or evaluation, l logs a new session."""

    app: MesoApp  # type: ignore[assignment]
    BINDINGS: ClassVar[list[BindingType]] = [
        # Help first, so it stays in the footer even at 80 columns.
        Binding("question_mark", "app.help", "Help"),
        Binding("escape", "back", "Back"),
        Binding("l", "log", "Log session"),
        Binding("E", "evaluate", "Evaluate"),
        Binding("k", "consent", "Consent"),
        Binding("a", "amend", "Amend"),
        Binding("v", "void", "Void"),
        Binding("d", "edit", "Details"),
        Binding("c", "course", "Course"),
        Binding("x", "archive", "Archive"),
    ]
    table = getters.query_one("#sessions", RecordTable)
    evaluations_table = getters.query_one("#evaluations", RecordTable)

    def __init__(self, patient_id: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.session_ids: list[str] = []
        self.altered: dict[str, list[str]] = {}
        """Records of this patient whose revision chain fails: edited outside mesotui."""
        self.evaluation_ids: list[str] = []

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield ViewOnlyBanner()
        yield Static(id="identity", markup=False)
        yield Static(id="safety", markup=False)
        yield Static(id="consent", markup=False)
        yield Static(id="altered", markup=False)
        with VerticalScroll(id="record"):
            # Sessions first, so the latest are above the fold even at 80x24.
            yield Static(id="standing", markup=False)
            view_only = getattr(self.app, "view_only", False)
            edits = "" if view_only else "; a amends, v voids"
            yield Static(f"Sessions (enter opens one{edits})", classes="section-title")
            yield RecordTable(id="sessions")
            yield Static(f"Evaluations (tab here; enter opens one{edits})",
                         classes="section-title", id="evaluations-title")
            yield RecordTable(id="evaluations")
            yield Static("Course timeline", classes="section-title")
            yield Timeline(id="timeline")
            yield Static("Outcomes" if view_only else "Outcomes (E records an evaluation)",
                         classes="section-title")
            yield Static(id="outcomes", markup=False)
            yield Static("Details", classes="section-title")
            yield Static(id="details", markup=False)
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A view-only window offers nothing that changes the record."""
        return self.app.allows(action)

    def on_mount(self) -> None:
        self.table.add_columns("#", "Date", "Dose", "Lot", "Side effects", "By", "State",
                               shrink=("Side effects", "By"))
        self.evaluations_table.add_columns("Date", "Decision", "Hair/cm²", "Score", "Self",
                                           "Pull", "Photos", "By", "State",
                                           shrink=("Decision", "By"))
        self.refresh_record()
        self.table.focus(scroll_visible=False)

    def show(self, patient_id: str) -> None:
        """Show another patient, from the top, reusing the widgets already built and styled."""
        self.patient_id = patient_id
        if not self.is_mounted:
            return  # on_mount draws them
        self.table.move_cursor(row=0, scroll=False)
        self.evaluations_table.move_cursor(row=0, scroll=False)
        self.refresh_record()
        self.query_one("#record", VerticalScroll).scroll_home(animate=False, immediate=True)
        self.table.focus(scroll_visible=False)

    def refresh_record(self) -> None:
        """Re-read the patient from the store and redraw everything."""
        store, today = self.app.store, self.app.today
        patient = store.patient(self.patient_id)
        sessions = store.sessions_for(patient.id)
        evaluations = store.evaluations_for(patient.id)
        view = store.outlook(patient, today)
        self.query_one("#identity", Static).update(
            f"{patient.name} · {patient.id} · {patient.sex.label}, {patient.age_on(today)} "
            f"(born {patient.date_of_birth})")
        safety, style = safety_text(patient, sessions, view, today)
        banner = self.query_one("#safety", Static)
        banner.update(safety)
        for name in ("-alarm", "-ended"):
            banner.set_class(style == name, name)
        consent, in_force = consent_text(patient, today)
        self.query_one("#consent", Static).update(consent)
        self.query_one("#consent").set_class(not in_force, "-missing")
        standing = self.query_one("#standing", Static)
        standing.update(standing_text(patient, view))
        standing.set_class(view.evaluation_due, "-evaluation")
        self.query_one("#details", Static).update(
            details_text(patient, store.protocol_for(patient),
                         schedule.deciding(evaluations)))
        self.altered = {record.id: problems for record in (patient, *sessions, *evaluations)
                        if (problems := store.altered(record.id))}
        banner = self.query_one("#altered", Static)
        banner.set_class(bool(self.altered), "-shown")
        banner.update(altered_text(self.altered))
        self._draw_timeline(patient, sessions, evaluations, view)
        can_record = not getattr(self.app, "view_only", False)
        self.query_one("#outcomes", Static).update(
            "\n".join(chart_lines(evaluations, can_record=can_record)))
        self._fill_table(sessions)
        self._fill_evaluations(evaluations)

    def _draw_timeline(self, patient: Patient, sessions: list[Session],
                       evaluations: list[Evaluation], view: Outlook) -> None:
        given = list(enumerate((s.date for s in schedule.given(sessions)), start=1))
        planned: list[tuple[int, object]] = []
        today = self.app.today
        if view.next_due and view.last_session:
            protocol = self.app.store.protocol_in_force(patient)
            count = max(2, len(protocol.intervals_months) + 1 - view.sessions_given)
            if view.next_due < today:  # overdue: the rest is planned from today, never before it
                planned = [(view.next_number, view.next_due), *schedule.plan(
                    today, view.next_number, protocol, count - 1)]
            else:
                planned = list(schedule.plan(view.last_session, view.sessions_given, protocol,
                                             count))
        elif view.next_due:
            planned = [(1, view.next_due)]
        marks = [(e.date, DECISION_SHORT[e.decision]) for e in evaluations if not e.voided]
        self.query_one(Timeline).show(given, planned, today, marks)  # type: ignore[arg-type]

    def _fill_table(self, sessions: list[Session]) -> None:
        numbers = schedule.numbers(sessions)
        keep = self.table.cursor_row
        self.table.clear()
        self.session_ids = [s.id for s in reversed(sessions)]
        for session in reversed(sessions):
            effects = ("none" if session.no_side_effects else
                       ", ".join(r.effect.label for r in session.side_effects) or "not assessed")
            state = ("UNDONE" if is_undone(session) else "VOIDED" if session.voided
                     else "amended" if session.amended else "")
            if session.id in self.altered:
                state = f"ALTERED {state}".strip()
            if session.consent_override:
                state = (state + " no consent").strip()
            self.table.add_row(str(numbers.get(session.id, "-")), str(session.date),
                               fmt.number(session.dose_mg, "mg"), session.lot, effects,
                               session.practitioner, state, key=session.id,
                               struck=session.voided)
        if sessions:
            self.table.move_cursor(row=min(keep, len(sessions) - 1), scroll=False)

    def _fill_evaluations(self, evaluations: list[Evaluation]) -> None:
        table = self.evaluations_table
        keep = table.cursor_row
        table.clear()
        self.evaluation_ids = [e.id for e in reversed(evaluations)]
        for evaluation in reversed(evaluations):
            state = ("UNDONE" if is_undone(evaluation) else "VOIDED" if evaluation.voided
                     else "amended" if evaluation.amended else "")
            table.add_row(*evaluation_cells(evaluation), state, key=evaluation.id,
                          struck=evaluation.voided)
        if evaluations:
            table.move_cursor(row=min(keep, len(evaluations) - 1), scroll=False)
        table.display = bool(evaluations)
        self.query_one("#evaluations-title").display = bool(evaluations)

    # -- actions --------------------------------------------------------------------------

    @property
    def highlighted(self) -> Session | None:
        if not self.session_ids or self.table.cursor_row < 0:
            return None
        return self.app.store.session(self.session_ids[self.table.cursor_row])

    @property
    def highlighted_evaluation(self) -> Evaluation | None:
        table = self.evaluations_table
        if not self.evaluation_ids or table.cursor_row < 0:
            return None
        return self.app.store.evaluation(self.evaluation_ids[table.cursor_row])

    @on(RecordSaved)
    def _saved(self, event: RecordSaved) -> None:
        """A save (a form's, an undo, another window's): redraw if it touched this patient."""
        if self.is_mounted and event.touches(self.patient_id):
            self.refresh_record()

    def changed(self, message: str) -> None:
        self.notify(message, markup=False)

    def action_back(self) -> None:
        self.dismiss()

    def action_log(self) -> None:
        flows.log_session(self.app, self.patient_id, self.changed)

    def action_evaluate(self) -> None:
        flows.evaluate(self.app, self.patient_id, self.changed)

    def action_consent(self) -> None:
        flows.consent(self.app, self.patient_id, self.changed)

    @on(RecordTable.RowSelected, "#sessions")
    def open_session(self) -> None:
        from mesotui.tui.screens.session_detail import SessionDetail

        session = self.highlighted
        if session:
            number = schedule.numbers(self.app.store.sessions_for(self.patient_id)).get(session.id)
            self.app.push_screen(SessionDetail(session, number))

    @on(RecordTable.RowSelected, "#evaluations")
    def open_evaluation(self) -> None:
        from mesotui.tui.screens.evaluation_detail import EvaluationDetail

        evaluation = self.highlighted_evaluation
        if evaluation:
            self.app.push_screen(EvaluationDetail(evaluation))

    def action_amend(self) -> None:
        if self.focused is self.evaluations_table:
            evaluation = self.highlighted_evaluation
            if evaluation and self._usable(evaluation, "amended"):
                flows.amend_evaluation(self.app, evaluation, self.changed)
            return
        session = self.highlighted
        if session and self._usable(session, "amended"):
            flows.amend_session(self.app, session, self.changed)

    def action_void(self) -> None:
        if self.focused is self.evaluations_table:
            evaluation = self.highlighted_evaluation
            if evaluation and self._usable(evaluation, "voided"):
                flows.void_evaluation(self.app, evaluation, self.changed)
            return
        session = self.highlighted
        if session and self._usable(session, "voided"):
            flows.void_session(self.app, session, self.changed)

    def act_on_evaluation(self, verb: str) -> None:
        """Amend or void the highlighted evaluation (from the command palette)."""
        if not self.evaluation_ids:
            self.notify("No evaluation recorded yet.", severity="warning")
            return
        self.evaluations_table.focus()
        self.action_amend() if verb == "amend" else self.action_void()

    def _usable(self, record: Session | Evaluation, verb: str) -> bool:
        """A voided record can be neither amended nor voided again: say so."""
        if record.voided:
            kind = "session" if isinstance(record, Session) else "evaluation"
            self.notify(f"That {kind} is voided; it cannot be {verb}." if verb == "amended"
                        else f"That {kind} is already voided.", severity="warning")
            return False
        return True

    def action_edit(self) -> None:
        flows.edit_patient(self.app, self.patient_id, self.changed)

    def action_course(self) -> None:
        flows.change_course(self.app, self.patient_id, self.changed)

    def action_archive(self) -> None:
        flows.toggle_archive(self.app, self.patient_id, self.changed)
