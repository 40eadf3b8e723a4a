"""The base every form dialog shares (ctrl+s saves through the caller, escape asks before
discarding, questions asked before saving), and the one-line form that asks why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, SelectionList, Static, TextArea

from mesotui.errors import MesoError, ValidationError
from mesotui.parse import resolve_date
from mesotui.tui.screens.dialogs import ConfirmDialog, ReasonQuestion
from mesotui.tui.widgets.field import Field
from mesotui.tui.widgets.keybar import KeyBar
from mesotui.tui.widgets.practitioner import PractitionerSelect

T = TypeVar("T")


@dataclass(frozen=True)
class Question:
    """Asked before saving: `text`, the yes-button's label, and what a yes changes."""

    text: str
    yes: str
    reason: str = ""
    """When set, the placeholder of the reason the practitioner must give (it is recorded)."""
    apply: Callable[[Any], Any] = lambda record: record


class FormScreen(ModalScreen[T], Generic[T]):
    """A modal form: ctrl+s saves through the caller's callable; escape asks before discarding."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("f1", "form_help", "Help"),
    ]
    TITLE_TEXT = ""

    def __init__(self) -> None:
        super().__init__(classes="form-screen")
        self.problems: dict[str, str] = {}
        self._initial: list[Any] | None = None
        self.reason_given = ""
        """The reasons given to the questions asked before this save (recorded with it)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(self.TITLE_TEXT, id="form-title", markup=False)
            with VerticalScroll(id="fields"):
                yield from self.compose_fields()
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield KeyBar()  # the form's own keys, over those of the screen beneath

    def action_form_help(self) -> None:
        """F1: every key of a form (`?` is a character a field takes)."""
        self.app.action_help()  # type: ignore[attr-defined]

    def compose_fields(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.call_after_refresh(self._remember)

    def _remember(self) -> None:
        self._initial = self._raw()

    def _raw(self) -> list[Any]:
        values: list[Any] = []
        for widget in self.query("Input, Select, Checkbox, SelectionList, TextArea"):
            if isinstance(widget, SelectionList):
                values.append(tuple(widget.selected))
            elif isinstance(widget, TextArea):
                values.append(widget.text)
            elif isinstance(widget, (Input, Select, Checkbox)):
                values.append(widget.value)
        return values

    @property
    def dirty(self) -> bool:
        return self._initial is not None and self._raw() != self._initial

    # -- reading fields, collecting problems ---------------------------------------------

    def text(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def day(self, selector: str, key: str, *, required: bool = False) -> date | None:
        raw = self.text(selector)
        if not raw:
            if required:
                self.problems[key] = "is required (YYYY-MM-DD, or today, -1d, mon\u2026)"
            return None
        try:
            return resolve_date(raw, key, getattr(self.app, "today", None) or date.today())
        except ValidationError as error:
            self.problems.update(error.problems)
            return None

    def number(self, selector: str, key: str, *, integer: bool = False) -> Any:
        raw = self.text(selector).replace(",", ".")
        if not raw:
            return None
        try:
            return int(raw) if integer else float(raw)
        except ValueError:
            self.problems[key] = "must be a whole number" if integer else "must be a number"
            return None

    # -- saving ---------------------------------------------------------------------------

    def collect(self) -> Any:
        """Read the fields into a record, adding to `self.problems`; None when unreadable."""
        raise NotImplementedError

    def submit(self, record: Any) -> T:
        """Save through the caller's callable; raises MesoError when it cannot."""
        raise NotImplementedError

    def show_problems(self, problems: dict[str, str], general: str = "") -> None:
        placed: set[str] = set()
        first: Field | None = None
        for field in self.query(Field):
            if field.show(problems):
                placed.update(k for k in field.keys if k in problems)
                first = first or field
        rest = [f"{key}: {msg}" for key, msg in problems.items() if key not in placed]
        message = "  ".join(filter(None, [general, *rest]))
        if problems and not message:
            message = "Not saved: please correct the fields with a message under them."
        self.query_one("#form-error", Static).update(message)
        self.query_one("#form-error").set_class(bool(message), "-shown")
        if first is not None:
            first.scroll_visible(animate=False)
            if (target := first.target(problems)) is not None:
                target.focus()

    def check(self, record: Any) -> dict[str, str]:
        """The domain's problems with `record` (what saving would refuse), keyed by field."""
        return {}

    def questions(self, record: Any) -> list[Question]:
        """What to ask before saving a valid `record`, in order (each may need a reason)."""
        return []

    def action_save(self) -> None:
        """Show every problem at once; ask the questions only once nothing else is wrong."""
        self.problems = {}
        record = self.collect()
        if record is not None:
            for key, problem in self.check(record).items():
                self.problems.setdefault(key, problem)  # a field that could not be read first
        if self.problems or record is None:
            self.show_problems(self.problems)
            return
        self.show_problems({})
        self._ask(record, self.questions(record), [])

    def _ask(self, record: Any, questions: list[Question], reasons: list[str]) -> None:
        if not questions:
            self.reason_given = "; ".join(reasons)
            self._commit(record)
            return
        question, rest = questions[0], questions[1:]

        def answered(answer: bool | str | None) -> None:
            if answer:
                self._ask(question.apply(record), rest,
                          reasons + ([answer] if isinstance(answer, str) else []))

        if question.reason:
            self.app.push_screen(ReasonQuestion(question.text, question.yes, question.reason),
                                 answered)
        else:
            self.app.push_screen(ConfirmDialog(question.text, question.yes, "Go back"), answered)

    def _commit(self, record: Any) -> None:
        try:
            saved = self.submit(record)
        except ValidationError as error:
            self.show_problems(error.problems)
            return
        except MesoError as error:
            self.show_problems({}, f"Not saved: {error}")
            return
        self.dismiss(saved)

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return
        def discard(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog("Discard what you typed?", "Discard", "Keep editing"),
                             discard)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    add_practitioner: Callable[[str], tuple[str, ...]] | None = None
    """Adds a name to the clinic's practitioners and returns the list (set by the caller)."""

    @on(PractitionerSelect.AddWanted)
    def _add_practitioner(self, event: PractitionerSelect.AddWanted) -> None:
        select, add = event.select, self.add_practitioner
        if add is None:
            select.undo_add()
            self.notify("Practitioners are listed in the clinic's settings (s).")
            return
        def added(names: tuple[str, ...] | None) -> None:
            if names is None:
                select.undo_add()
            else:
                select.offer(names, names[-1])
                select.focus()

        self.app.push_screen(ReasonDialog[tuple[str, ...]](
            "Add a practitioner", "The name is added to the clinic's list of practitioners "
            "(settings, s), for every session from now on.", add, "e.g. Dr A. Lima",
            label="Name", required="is required"), added)


class ReasonDialog(FormScreen[T]):
    """Ask why (a void, an archive), or one other line such as a name; saves through
    `save(text)`, staying open if that fails."""

    def __init__(self, title: str, prompt: str, save: Callable[[str], T],
                 placeholder: str = "", *, label: str = "Reason",
                 required: str = "is required: say why, for the record") -> None:
        super().__init__()
        self.TITLE_TEXT = title
        self.prompt, self.save, self.placeholder = prompt, save, placeholder
        self.label, self.required = label, required

    def compose_fields(self) -> ComposeResult:
        yield Static(self.prompt, classes="prompt", markup=False)
        yield Field(self.label, Input(placeholder=self.placeholder, id="reason", compact=True),
                    keys=("reason",))

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()
        super().on_mount()

    def collect(self) -> Any:
        reason = self.text("#reason")
        if not reason:
            self.problems["reason"] = self.required
        return reason

    def submit(self, record: Any) -> T:
        return self.save(record)
