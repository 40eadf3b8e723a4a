"""A labelled form row with its problem beneath it (the forms are in tui/screens/form.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Static


class Field(Vertical):
    """A label, its input widgets on one row, and the field's problem (if any) underneath.

    `targets` names, for each of `keys`, the widget that answers it (a selector): a failed
    save puts the cursor there, on the part of the row its message is about.

    A text box entered with tab keeps what it holds, the cursor at its end: one stray key
    (a space meant for a box) adds to it instead of replacing it.
    """

    def __init__(self, label: str, *children: Widget, keys: tuple[str, ...] = (),
                 hint: str = "", name: str | None = None, classes: str = "",
                 targets: tuple[str, ...] = ()) -> None:
        super().__init__(name=name, classes=f"field {classes}".strip())
        self.label, self.children_, self.keys, self.hint = label, children, keys, hint
        self.targets = dict(zip(keys, targets, strict=False))
        self.set_class(bool(hint), "-has-hint")
        for child in children:
            if isinstance(child, Input):
                child.select_on_focus = False

    def target(self, problems: dict[str, str]) -> Widget | None:
        """The widget to put the cursor on for the first of `problems` this field shows."""
        for key in self.keys:
            if key in problems and key in self.targets:
                return self.query_one(self.targets[key])
        return next((w for w in self.query("*") if w.focusable), None)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(self.label, classes="field-label", markup=False)
            yield from self.children_
        yield Static(self.hint, classes="field-hint", markup=False)
        yield Static("", classes="field-error", markup=False)

    def show(self, problems: dict[str, str]) -> bool:
        """Show the problems for this field's keys; True when there was one."""
        found = [f"{key.split('.')[-1].replace('_', ' ')} {problems[key]}"
                 if len(self.keys) > 1 else problems[key] for key in self.keys if key in problems]
        error = self.query_one(".field-error", Static)
        error.update("; ".join(found))
        self.set_class(bool(found), "-invalid")
        return bool(found)
