"""Small dialogs: a yes/no confirmation, and a warning that goes on only with a reason."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from mesotui.tui.keygate import mark_ready
from mesotui.tui.widgets.keybar import KeyBar


class ConfirmDialog(ModalScreen[bool]):
    """Ask one question; y or enter on the first button says yes, n or escape says no.

    Keys typed before the question was on screen never answer it (see `keygate`).
    """

    ANSWERS_TYPE_AHEAD = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog-screen")
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question", markup=False)
            with Horizontal(id="buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error")
                yield Button(f"{self.no} (n)", id="no")
        yield KeyBar()  # the question's keys, not those of the screen beneath

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()
        self.call_after_refresh(mark_ready, self)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ReasonQuestion(ModalScreen[str | None]):
    """Ask whether to go on despite a warning, and why: the reason typed is the answer
    (recorded with the save); ctrl+s or enter goes on, escape goes back.

    Keys typed before the question was on screen never answer it (see `keygate`).
    """

    ANSWERS_TYPE_AHEAD = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "go_on", "Go on", priority=True),
        Binding("escape", "back", "Go back"),
    ]

    def __init__(self, question: str, yes: str, placeholder: str) -> None:
        super().__init__(classes="dialog-screen")
        self.question, self.yes, self.placeholder = question, yes, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question", markup=False)
            yield Input(placeholder=self.placeholder, id="reason", compact=True)
            yield Static("", id="problem", markup=False)
            with Horizontal(id="buttons"):
                yield Button(f"{self.yes} (ctrl+s)", id="yes", variant="error")
                yield Button("Go back (esc)", id="no")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()
        self.call_after_refresh(mark_ready, self)

    @on(Input.Submitted)
    @on(Button.Pressed, "#yes")
    def action_go_on(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#problem", Static).update("Say why, for the record.")
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#no")
    def action_back(self) -> None:
        self.dismiss(None)
