"""The Reports screen: side-effect bars, the due calendar by week, a lot recall, course outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static, TabbedContent, TabPane

from mesotui import reports
from mesotui.textfit import shorten
from mesotui.tui.widgets.keybar import KeyBar
from mesotui.tui.widgets.titlebar import TitleBar
from mesotui.validation import plural
from mesotui.vocab import Severity

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

BAR_WIDTH = 32
SEVERITY_STYLE = {Severity.MILD: "$success", Severity.MODERATE: "$warning",
                  Severity.SEVERE: "$error"}


def bar(parts: Iterable[tuple[int, str]], whole: int, width: int = BAR_WIDTH) -> Content:
    """A horizontal bar of `width` cells for `whole`, split into styled parts; the rest is dim."""
    pieces: list[tuple[str, str]] = []
    used = 0
    for count, style in parts:
        cells = round(width * reports.share(count, whole))
        if count and not cells:
            cells = 1  # one occurrence stays visible
        cells = min(cells, width - used)
        pieces.append(("█" * cells, style))
        used += cells
    pieces.append(("·" * (width - used), "$text-disabled"))
    return Content.assemble(*pieces)


def row(label: str, graph: Content, tail: str, label_width: int = 30) -> Content:
    """One labelled bar line; `label` may be user text and is never read as markup."""
    return Content.assemble(f"{label[:label_width]:<{label_width}} ", graph, f"  {tail}")


def lines(rows: Iterable[Content]) -> Content:
    return Content("\n").join(rows)


class ReportsScreen(Screen[None]):
    """The clinic's four reports, one tab each, over the open record."""

    CSS_PATH = "../reports.tcss"
    BINDINGS = [("escape", "close", "Back")]
    app: MesoApp  # type: ignore[assignment]

    lot_table = getters.query_one("#lot-table", DataTable)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with TabbedContent(id="reports"):
            with TabPane("Side effects", id="side-effects"):
                with VerticalScroll():
                    yield Static(id="effects-summary")
                    yield Static(id="effects-legend", classes="legend")
                    yield Static(id="effects-bars", classes="chart")
                    yield Static(id="severity-table", classes="chart")
                    yield Static(id="numbers-legend", classes="legend")
                    yield Static(id="numbers-bars", classes="chart")
            with TabPane("Due calendar", id="due"):
                yield Static(id="due-summary")
                yield Horizontal(id="weeks")
            with TabPane("Lot recall", id="lot"):
                yield Input(placeholder="Lot number, e.g. DU25-0412, then Enter", id="lot-input")
                yield Static(id="lot-summary")
                yield DataTable(id="lot-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Outcomes", id="outcomes"):
                with VerticalScroll():
                    yield Label("Patients by sessions completed", classes="heading")
                    yield Static(id="outcome-bars", classes="chart")
                    yield Label("Evaluation due", classes="heading")
                    yield DataTable(id="evaluations", cursor_type="row")
                    yield Label("Stopped and paused courses", classes="heading")
                    yield DataTable(id="halted", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = "Reports"
        store, today = self.app.store, self.app.today
        self._show_side_effects(reports.side_effects(store.sessions()))
        self._show_due(reports.due_calendar(store, today), today)
        self._show_outcomes(reports.course_outcomes(store, today))
        self.lot_table.add_columns("Date", "Session", "#", "Patient", "Name", "Phone", "Email")
        recent = ", ".join(lot for lot, _ in store.recent_lots(5))
        self.query_one("#lot-summary", Static).update(
            Content(f"Recent lots: {recent}" if recent else "No lot recorded yet."))

    def action_close(self) -> None:
        self.app.pop_screen()

    def _show_side_effects(self, found: reports.SideEffects) -> None:
        none = reports.share(found.with_none, found.sessions)
        self.query_one("#effects-summary", Static).update(Content(
            f"{found.sessions} sessions (voided not counted): none recorded in "
            f"{found.with_none} ({none:.0%}), side effects in {found.with_effects}, "
            f"not yet assessed {found.not_assessed}."))
        self.query_one("#effects-legend", Static).update(Content.assemble(
            "Share of sessions: ", *((f"■ {s.label}  ", SEVERITY_STYLE[s]) for s in Severity)))
        self.query_one("#numbers-legend", Static).update(Content.assemble(
            "By session number: ", ("■ with side effects  ", "$warning"),
            ("■ none  ", "$primary"), "□ not assessed"))
        rows = [row(e.effect.label, bar(((e.by_severity[s], SEVERITY_STYLE[s]) for s in Severity),
                                        found.sessions),
                    f"{e.total:>4}  {reports.share(e.total, found.sessions):>4.0%}")
                for e in found.effects]
        rows.append(row("None (on enquiry)", bar([(found.with_none, "$primary")], found.sessions),
                        f"{found.with_none:>4}  {none:>4.0%}"))
        self.query_one("#effects-bars", Static).update(lines(rows))
        # The severities in numbers too, as the command line has them: never by colour alone.
        heading = f"{'By severity (sessions)':<30} " + "".join(
            f"{s.label:>10}" for s in Severity)
        self.query_one("#severity-table", Static).update(lines([
            Content(heading), *(Content(f"{e.effect.label[:30]:<30} " + "".join(
                f"{e.by_severity[s]:>10}" for s in Severity)) for e in found.effects)]))
        self.query_one("#numbers-bars", Static).update(lines(
            row(f"Session {r.number}",
                bar([(r.with_effects, "$warning"), (r.with_none, "$primary")], r.sessions),
                f"{r.with_effects:>3} / {r.with_none:>3} / "
                f"{r.sessions - r.with_effects - r.with_none:>3} of {r.sessions}")
            for r in found.by_number) or Content("No session given yet."))

    def _show_due(self, found: reports.DueCalendar, today: date) -> None:
        self.query_one("#due-summary", Static).update(Content(
            f"{found.due} due in the next {len(found.weeks)} weeks, "
            f"{len(found.overdue)} overdue (today {today:%a %d %b %Y})"))
        columns = [(f"Overdue\n{plural(len(found.overdue), 'patient', count=True)}",
                    found.overdue, "overdue")]
        columns += [(f"{w.start.day} {w.start:%b}\u2013{w.end.day} {w.end:%b}\n"
                     f"{len(w.entries)} due", w.entries, "week") for w in found.weeks]
        # Each column's text fits its width: names cut at a word, never wrapped mid-word.
        room = max(8, self.app.size.width // len(columns) - 2)
        weeks = self.query_one("#weeks", Horizontal)
        for heading, entries, kind in columns:
            body = lines(Content.assemble(shorten(e.patient.name, room), (
                f"\n  {e.due:%a %d %b} \u00b7 #{e.number}" if room >= 20 else
                f"\n  {e.due:%d %b} \u00b7 #{e.number}", "$text-muted")) for e in entries)
            weeks.mount(Vertical(Static(heading, classes="heading", markup=False),
                                 Static(body or Content("nobody"), classes="due-list"),
                                 classes=f"week {kind}"))

    def _show_outcomes(self, found: reports.CourseOutcomes) -> None:
        self.query_one("#outcome-bars", Static).update(lines(
            row(f"{n} session{'s' if n != 1 else ''}", bar([(c, "$accent")], found.patients),
                f"{c:>4} patient{'s' if c != 1 else ''}", label_width=12)
            for n, c in found.by_sessions.items()) or Content("No patient yet."))
        evaluations = self.query_one("#evaluations", DataTable)
        evaluations.add_columns("Patient", "Name", "Sessions", "")
        for patient, given in found.evaluations_due:
            late = "past the protocol's limit" if patient in found.evaluations_overdue else ""
            evaluations.add_row(patient.id, Text(patient.name), str(given), late)
        halted = self.query_one("#halted", DataTable)
        halted.add_columns("Since", "Course", "Patient", "Name", "Reason")
        for status, rows in (("Stopped", found.stopped), ("Paused", found.paused)):
            for patient, on_day, reason in rows:
                halted.add_row(on_day.isoformat(), status, patient.id, Text(patient.name),
                               Text(reason or "(no reason given)"))

    @on(TabbedContent.TabActivated, "#reports", pane="#lot")
    def lot_tab_shown(self) -> None:
        """A recall is typed at once: the lot field has focus as soon as its tab shows."""
        self.query_one("#lot-input", Input).focus()

    @on(Input.Submitted, "#lot-input")
    def find_lot(self, event: Input.Submitted) -> None:
        found = reports.lot_recall(self.app.store, event.value)
        self.lot_table.clear()
        for r in found.rows:
            self.lot_table.add_row(r.session.date.isoformat(), r.session.id,
                                   "void" if r.number is None else str(r.number), r.patient.id,
                                   Text(r.patient.name), Text(r.patient.phone),
                                   Text(r.patient.email))
        voided = len(found.rows) - found.sessions
        summary = (f"Lot {found.lot}: {plural(found.sessions, 'session', count=True)} given to "
                   f"{plural(len(found.patients), 'patient', count=True)}"
                   + (f", {voided} voided listed" if voided else "")
                   + f".  Export: mesotui report lot {found.lot} --json"
                   if found.rows else f"No session was given from lot {found.lot}.")
        self.query_one("#lot-summary", Static).update(Content(summary))
