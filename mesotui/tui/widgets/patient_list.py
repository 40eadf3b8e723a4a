"""The patient list on Textual's Line API: filters the clinic's listing, makes and renders only
the rows on screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import ClassVar, NamedTuple

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mesotui.clinic.listing import Listing
from mesotui.models import Card
from mesotui.schedule import Outlook
from mesotui.textfit import column
from mesotui.tui import fmt, safe_text
from mesotui.vocab import CourseStatus, DueStatus


class Row(NamedTuple):
    """One patient with where they stand, computed once and refreshed after a save."""

    patient: Card
    """What the list shows of the patient (not the whole record)."""
    view: Outlook
    key: str
    """What `/` matches: the name and id, case-folded."""

    @classmethod
    def of(cls, patient: Card, view: Outlook) -> Row:
        return cls(patient, view, f"{patient.name}\t{patient.id}".casefold())


class Rows(Sequence[Row]):
    """Patients by their numbers in the listing, each one's `Row` made when first asked for."""

    def __init__(self, numbers: list[int], row: Callable[[int], Row]) -> None:
        self.numbers, self._row = numbers, row

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, index: int) -> Row:  # type: ignore[override]
        return self._row(self.numbers[index])

    def __iter__(self) -> Iterator[Row]:
        return map(self._row, self.numbers)


def _week(row: Row) -> bool:
    days = row.view.days_until_due
    return days is not None and days <= 7


QUICK_FILTERS: dict[str, tuple[str, Callable[[Row], bool]]] = {
    "all": ("All", lambda row: True),
    "week": ("Due this week", _week),
    "overdue": ("Overdue", lambda row: row.view.status is DueStatus.OVERDUE),
    "active": ("Active", lambda row: row.patient.status is CourseStatus.ACTIVE),
    "paused": ("Paused/stopped", lambda row: row.patient.status is not CourseStatus.ACTIVE),
    "archived": ("Archived", lambda row: True),
}
"""Quick filters by id: (label, test); every filter but "archived" leaves archived patients out.
`Listing.pool` and `Listing.counts` are these tests, written over the clinic's data
(tests/test_listing.py holds the two together)."""
QUICK_SHORT = {"all": "All", "week": "Week", "overdue": "Overdue", "active": "Active",
               "paused": "Paused", "archived": "Archived"}
"""The quick filters' labels where the full ones do not fit (80 columns)."""

ROW_CLASS = {DueStatus.OVERDUE: "patient-list--overdue",
             DueStatus.DUE_SOON: "patient-list--due-soon",
             DueStatus.PAUSED: "patient-list--muted", DueStatus.STOPPED: "patient-list--muted"}


def matches(row: Row, quick: str, needle: str) -> bool:
    if row.patient.archived != (quick == "archived"):
        return False
    return QUICK_FILTERS[quick][1](row) and (not needle or needle in row.key)


def _fit(value: str, width: int, right: bool = False) -> str:
    """Pad or cut `value` to exactly `width` cells: cut at a word, with an ellipsis."""
    return column(value, width, right=right)


class PatientList(ScrollView, can_focus=True):
    """Patients most urgent first.

    up/down/pgup/pgdn/home/end move the cursor; enter or a double click opens.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "patient-list--header", "patient-list--cursor", "patient-list--overdue",
        "patient-list--due-soon", "patient-list--muted", "patient-list--empty"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1000000000)", "First", show=False),
        Binding("end", "move(1000000000)", "Last", show=False),
        Binding("enter", "open", "Open", priority=False),
    ]

    @dataclass
    class Opened(Message):
        """The user asked to open a patient's record."""

        patient_id: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.listing: Listing | None = None
        self._shown: list[int] = []
        """The numbers (in the listing) of the patients shown, in order."""
        self._made: dict[int, Row] = {}
        """The rows made so far, by number: those drawn, or asked for."""
        self.cursor = 0
        self.quick = "all"
        self.needle = ""
        self.empty_lines: list[str] = []
        self._pool: list[int] | None = None
        """The patients the quick filter lets through, before the typed filter (None: stale)."""
        self._found: dict[str, tuple[list[int], list[str]]] = {}
        """Patients of the pool found for the typed text and each of its prefixes, with what
        `/` matches of each (`Listing.search_keys`, in the same order)."""
        self._lines: LRUCache[tuple[int, int, bool], tuple[Row, Strip]] = LRUCache(1024)
        """Drawn rows by (id of the row, width, under the cursor): typing redraws the same
        patients at other heights, and a row is replaced, not changed, after a save."""

    # -- data ---------------------------------------------------------------------------

    def set_listing(self, listing: Listing) -> None:
        """Show the patients of `listing` (the store's, for one day), most urgent first."""
        self.listing = listing
        self._made.clear()
        self._pool = None
        self._lines.clear()
        self._apply()

    def refresh_patient(self, patient_id: str) -> None:
        """Put one patient in their new place (after a save) and keep the cursor where it was,
        or on them."""
        if self.listing is None:
            return
        current = self._shown[self.cursor] if self.current else None
        self.listing.update(patient_id)
        number = self.listing.number[patient_id]
        self._made.pop(number, None)
        self._pool = None
        self._apply(keep=number if current is None else current)

    def filter(self, *, needle: str | None = None, quick: str | None = None) -> None:
        if needle is not None:
            self.needle = needle.strip().casefold()
        if quick is not None and quick != self.quick:
            self.quick, self._pool = quick, None
        self._apply()
        # Hand the repaint to the screen now, not when this widget's queue is next idle: the
        # filter runs as the typed key changes the input, and both should show in one frame.
        self._check_refresh()

    def counts(self) -> dict[str, int]:
        """How many patients each quick filter shows."""
        return self.listing.counts() if self.listing else dict.fromkeys(QUICK_FILTERS, 0)

    def prepare_search(self) -> None:
        """Make what `/` matches of every patient now (the filter is about to be typed in)."""
        if self.listing is not None:
            self.listing.search_keys()

    @property
    def shown(self) -> Rows:
        return Rows(self._shown, self._row)

    @property
    def all_rows(self) -> Rows:
        """Every patient: those not archived, then the archived, each most urgent first."""
        if self.listing is None:
            return Rows([], self._row)
        return Rows(self.listing.order() + self.listing.order(True), self._row)

    @property
    def current(self) -> Row | None:
        shown = self._shown
        return self._row(shown[self.cursor]) if 0 <= self.cursor < len(shown) else None

    def _row(self, number: int) -> Row:
        row = self._made.get(number)
        if row is None:
            assert self.listing is not None
            row = self._made[number] = Row.of(*self.listing.view(number))
        return row

    def _apply(self, keep: int | None = None) -> None:
        """Show what the filters let through, the cursor on the patient numbered `keep` (by
        default, the one under it now) if shown."""
        if keep is None and self.current:
            keep = self._shown[self.cursor]
        if self._pool is None:
            self._pool = self.listing.pool(self.quick) if self.listing else []
            self._found = {}
        self._shown = self._search(self.needle)
        try:
            self.cursor = self._shown.index(keep) if keep is not None else 0
        except ValueError:
            self.cursor = 0
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._shown) + 1)
        self._scroll_to_cursor()
        self.refresh()

    def _search(self, needle: str) -> list[int]:
        """The pool's patients matching `needle`, searched within those found for the longest
        prefix of it already searched: a typed key narrows what is shown, and a deleted one
        goes back to a list found before, so neither walks the whole clinic."""
        if not needle:
            return self._pool or []
        found = self._found
        if not found:  # the pool's own keys, once per pool (each fragment starts there)
            assert self.listing is not None and self._pool is not None
            every = self.listing.search_keys()
            found[""] = self._pool, [every[n] for n in self._pool]
        if needle not in found:
            for key in [key for key in found if not needle.startswith(key)]:
                del found[key]  # keep only the prefixes of what is typed now
            numbers, keys = found[max(found, key=len)]
            hits = [needle in key for key in keys]  # the one loop in Python: a key each
            found[needle] = list(compress(numbers, hits)), list(compress(keys, hits))
        return found[needle][0]

    # -- moving -------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        if self._shown:
            self.cursor = max(0, min(len(self._shown) - 1, self.cursor + delta))
            self._scroll_to_cursor()
            self.refresh()

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.scrollable_content_region.height - 2))

    def action_open(self) -> None:
        if self.current:
            self.post_message(self.Opened(self.current.patient.id))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = int(self.scroll_y) + offset.y - 1
        if index < len(self._shown):
            self.cursor = index
            self.refresh()
            if event.chain >= 2:
                self.action_open()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._shown) + 1)

    # -- drawing ------------------------------------------------------------------------

    def _columns(self, width: int) -> list[tuple[str, int, bool]]:
        wide = width >= 90
        fixed = [("Sex/age", 7, False), ("Done", 4, True)]
        fixed += [("Last session", 12, False)] if wide else []
        fixed += [("Next due", 10, False), ("When", 13, True), ("Status", 11, False)]
        used = 2 + sum(w + 1 for _, w, _ in fixed)
        return [("Name", max(10, width - used), False), *fixed]

    def _line(self, cells: list[str], width: int, marker: str) -> str:
        columns = self._columns(width)
        parts = [_fit(value, w, right) for value, (_, w, right) in zip(cells, columns, strict=True)]
        return _fit(marker + " ".join(parts), width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            names = [title for title, _, _ in self._columns(width)]
            style = self.get_component_rich_style("patient-list--header")
            return Strip([Segment(self._line(names, width, "  "), style)], width)
        index = int(self.scroll_y) + y - 1
        if not self._shown:
            text = self.empty_lines[y - 1] if 0 < y <= len(self.empty_lines) else ""
            style = self.get_component_rich_style("patient-list--empty")
            return Strip([Segment(_fit("  " + text, width), style)], width)
        if index >= len(self._shown):
            return Strip.blank(width, self.rich_style)
        row = self._row(self._shown[index])
        key = (id(row), width, index == self.cursor)
        cached = self._lines.get(key)
        if cached is not None and cached[0] is row:  # not another row at a reused address
            return cached[1]
        strip = self._draw(row, width, index == self.cursor)
        self._lines[key] = (row, strip)
        return strip

    def _draw(self, row: Row, width: int, under_cursor: bool) -> Strip:
        patient, view, today = row.patient, row.view, row.view.today
        cells = [safe_text.line(patient.name), f"{patient.sex.short} {patient.age_on(today)}",
                 str(view.sessions_given)]
        if width >= 90:
            cells.append(fmt.day(view.last_session))
        cells += [fmt.day(view.next_due) if view.next_due else "-",
                  fmt.due_phrase(view.days_until_due), view.status.label]
        names = ["patient-list--cursor"] if under_cursor else []
        names += [ROW_CLASS[view.status]] if view.status in ROW_CLASS else []
        style = self.rich_style
        for name in reversed(names):
            style = style + self.get_component_rich_style(name)
        marker = "▶ " if under_cursor else "  "
        return Strip([Segment(self._line(cells, width, marker), style)], width)
