"""A labelled form row with its problem beneath it (the forms are in tui/screens/form.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label, Static


class Field(Vertical):
    """A label, its input widgets on one row, and the field's problem (if any) underneath."""

    def __init__(self, label: str, *children: Widget, keys: tuple[str, ...] = (),
                 hint: str = "", name: str | None = None, classes: str = "") -> None:
        super().__init__(name=name, classes=f"field {classes}".strip())
        self.label, self.children_, self.keys, self.hint = label, children, keys, hint
        self.set_class(bool(hint), "-has-hint")

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
