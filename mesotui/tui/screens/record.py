"""A patient's record: safety banner, where the course stands, its timeline and session history."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from mesotui import schedule
from mesotui.models import Patient, Session
from mesotui.schedule import Outlook
from mesotui.tui import flows, fmt
from mesotui.tui.widgets.timeline import Timeline
from mesotui.vocab import CourseStatus, Sex

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp


def safety_text(patient: Patient, sessions: list[Session], view: Outlook) -> str:
    """The banner: pregnancy or contraception advice, and whether counselling was recorded."""
    counselled = [s.date for s in sessions if s.counselling_given and not s.voided]
    recorded = (f"counselling recorded, last on {counselled[-1]}" if counselled
                else "COUNSELLING NOT RECORDED YET")
    if patient.sex is Sex.FEMALE:
        until = (f"avoid pregnancy until {view.pregnancy_avoid_until}"
                 if view.pregnancy_avoid_until else "avoid pregnancy during treatment")
        return f"⚠ PREGNANCY: {until} (6 months after the last session) · {recorded}"
    if patient.sex is Sex.MALE:
        return f"⚠ CONTRACEPTION: use contraception during treatment · {recorded}"
    until = f" until {view.pregnancy_avoid_until}" if view.pregnancy_avoid_until else ""
    return (f"⚠ SAFETY: avoid pregnancy{until} where it applies; use contraception during "
            f"treatment · {recorded}")


def standing_text(patient: Patient, view: Outlook) -> str:
    status = f"Course {patient.status.label.lower()}"
    if patient.status_event and patient.status is not CourseStatus.ACTIVE:
        event = patient.status_event
        status += f" since {event.on}" + (f" ({event.reason})" if event.reason else "")
    parts = [status, view.status.label, f"{view.sessions_given} session(s) given"]
    if view.next_due:
        parts.append(f"next: session {view.next_number} due {fmt.next_due(view)}")
    if patient.archived:
        parts.insert(0, "ARCHIVED")
    if view.evaluation_due:
        parts.append("EVALUATION DUE")
    return " · ".join(parts)


class RecordScreen(Screen[None]):
    """One patient; enter opens the highlighted session, l logs a new one."""

    app: MesoApp  # type: ignore[assignment]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("l", "log", "Log session"),
        Binding("a", "amend", "Amend"),
        Binding("v", "void", "Void"),
        Binding("d", "edit", "Edit details"),
        Binding("c", "course", "Pause/stop/resume"),
        Binding("x", "archive", "Archive"),
    ]
    table = getters.query_one("#sessions", DataTable)

    def __init__(self, patient_id: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.session_ids: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="identity", markup=False)
        yield Static(id="safety", markup=False)
        with VerticalScroll(id="record"):
            yield Static(id="standing", markup=False)
            yield Static(id="details", markup=False)
            yield Static("Course timeline", classes="section-title")
            yield Timeline(id="timeline")
            yield Static("Sessions (enter opens one; a amends, v voids)", classes="section-title")
            yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.table.add_columns("#", "Date", "Dose", "Lot", "Side effects", "By", "State")
        self.refresh_record()
        self.table.focus(scroll_visible=False)

    def refresh_record(self) -> None:
        """Re-read the patient from the store and redraw everything."""
        store, today = self.app.store, self.app.today
        patient = store.patient(self.patient_id)
        sessions = store.sessions_for(patient.id)
        view = store.outlook(patient, today)
        self.query_one("#identity", Static).update(
            f"{patient.name} · {patient.id} · {patient.sex.label}, {patient.age_on(today)} "
            f"(born {patient.date_of_birth})")
        self.query_one("#safety", Static).update(safety_text(patient, sessions, view))
        self.query_one("#safety").set_class(patient.sex is Sex.FEMALE, "-female")
        standing = self.query_one("#standing", Static)
        standing.update(standing_text(patient, view))
        standing.set_class(view.evaluation_due, "-evaluation")
        self.query_one("#details", Static).update(self._details(patient))
        self._draw_timeline(patient, sessions, view)
        self._fill_table(sessions)

    def _details(self, patient: Patient) -> str:
        protocol = self.app.store.protocol_for(patient)
        whose = "patient's own" if patient.protocol else "clinic default"
        lines = [f"Protocol ({whose}): {protocol.describe()}",
                 "Concurrent: " + ("; ".join(patient.concurrent_treatments) or "none recorded"),
                 f"Phone {patient.phone or '-'} · email {patient.email or '-'}"
                 + (f" · planned start {patient.planned_start}" if patient.planned_start else "")]
        lines += [f"{e.status.label} on {e.on}: {e.reason or '-'}" for e in patient.course]
        if patient.notes:
            lines.append(f"Notes: {patient.notes}")
        return "\n".join(lines)

    def _draw_timeline(self, patient: Patient, sessions: list[Session], view: Outlook) -> None:
        given = list(enumerate((s.date for s in schedule.given(sessions)), start=1))
        planned: list[tuple[int, object]] = []
        if view.next_due and view.last_session:
            protocol = self.app.store.protocol_for(patient)
            count = max(2, len(protocol.intervals_months) + 1 - view.sessions_given)
            planned = list(schedule.plan(view.last_session, view.sessions_given, protocol, count))
        elif view.next_due:
            planned = [(1, view.next_due)]
        self.query_one(Timeline).show(given, planned, self.app.today)  # type: ignore[arg-type]

    def _fill_table(self, sessions: list[Session]) -> None:
        numbers = schedule.numbers(sessions)
        keep = self.table.cursor_row
        self.table.clear()
        self.session_ids = [s.id for s in reversed(sessions)]
        for session in reversed(sessions):
            effects = ("none" if session.no_side_effects else
                       ", ".join(r.effect.label for r in session.side_effects) or "not assessed")
            state = "VOIDED" if session.voided else "amended" if session.amended else ""
            style = "strike" if session.voided else ""
            cells = [str(numbers.get(session.id, "-")), str(session.date),
                     fmt.number(session.dose_mg, "mg"), session.lot, effects,
                     session.practitioner]
            self.table.add_row(*(Text(c, style=style) for c in cells), Text(state),
                               key=session.id)
        if sessions:
            self.table.move_cursor(row=min(keep, len(sessions) - 1))

    # -- actions --------------------------------------------------------------------------

    @property
    def highlighted(self) -> Session | None:
        if not self.session_ids or self.table.cursor_row < 0:
            return None
        return self.app.store.session(self.session_ids[self.table.cursor_row])

    def changed(self, message: str) -> None:
        self.refresh_record()
        self.notify(message, markup=False)

    def action_back(self) -> None:
        self.dismiss()

    def action_log(self) -> None:
        flows.log_session(self.app, self.patient_id, self.changed)

    @on(DataTable.RowSelected, "#sessions")
    def open_session(self) -> None:
        from mesotui.tui.screens.session_detail import SessionDetail

        session = self.highlighted
        if session:
            number = schedule.numbers(self.app.store.sessions_for(self.patient_id)).get(session.id)
            self.app.push_screen(SessionDetail(session, number))

    def action_amend(self) -> None:
        session = self.highlighted
        if session is None:
            return
        if session.voided:
            self.notify("A voided session cannot be amended.", severity="warning")
            return
        flows.amend_session(self.app, session, self.changed)

    def action_void(self) -> None:
        session = self.highlighted
        if session is None:
            return
        if session.voided:
            self.notify("That session is already voided.", severity="warning")
            return
        flows.void_session(self.app, session, self.changed)

    def action_edit(self) -> None:
        flows.edit_patient(self.app, self.patient_id, self.changed)

    def action_course(self) -> None:
        flows.change_course(self.app, self.patient_id, self.changed)

    def action_archive(self) -> None:
        flows.toggle_archive(self.app, self.patient_id, self.changed)
