"""Checkboxes that show an empty box when unticked (state never rests on colour), and groups
of them where every box is its own tab stop: tab goes to the next box, space ticks it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Checkbox

T = TypeVar("T")


class Tick(Checkbox):
    """A Checkbox drawn [X] when ticked and [ ] when not; space ticks, enter goes on to the
    next field (as in every other field of a form), so enter never changes an answer.

    A tick that does not apply (`applicable` False) keeps its place in the tab order, so
    what is typed after it always lands in the same field, but refuses to be ticked.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_button", "Tick", show=False),
        Binding("enter", "app.focus_next", "Next field", show=False),
    ]

    def __init__(self, label: str = "", value: bool = False, *, applicable: bool = True,
                 name: str | None = None, id: str | None = None,  # noqa: A002
                 classes: str = "", compact: bool = True) -> None:
        super().__init__(label, value, name=name, id=id, classes=classes, compact=compact)
        self.applicable = applicable

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802
        return "X" if self.value else " "

    @property
    def applicable(self) -> bool:
        return not self.has_class("-inapplicable")

    @applicable.setter
    def applicable(self, applicable: bool) -> None:
        self.set_class(not applicable, "-inapplicable")
        if not applicable and self.value and self.is_mounted:  # (as built, it is kept)
            self.value = False

    def toggle(self) -> Tick:
        if not self.applicable and not self.value:
            self.app.bell()
            return self
        return super().toggle()  # type: ignore[return-value]


class TickGroup(Vertical, Generic[T]):
    """One tick per choice, each a tab stop; up and down also move between them.

    `selected` lists the values ticked, in the order the choices are shown.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    class SelectedChanged(Message):
        """A tick of the group was ticked or unticked."""

        def __init__(self, group: TickGroup[object]) -> None:
            super().__init__()
            self.group = group

        @property
        def control(self) -> TickGroup[object]:
            return self.group

    def __init__(self, *choices: tuple[str, T, bool], id: str | None = None,  # noqa: A002
                 classes: str = "") -> None:
        super().__init__(id=id, classes=f"tick-group {classes}".strip())
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        for label, _value, ticked in self.choices:
            yield Tick(label, ticked, compact=True)

    @property
    def ticks(self) -> list[Tick]:
        return list(self.query_children(Tick))

    def _pairs(self) -> Iterable[tuple[Tick, T]]:
        return zip(self.ticks, (value for _label, value, _ticked in self.choices), strict=True)

    @property
    def selected(self) -> list[T]:
        if not self.is_mounted:  # before compose: what it was built with
            return [value for _label, value, ticked in self.choices if ticked]
        return [value for tick, value in self._pairs() if tick.value]

    def select(self, value: T) -> None:
        for tick, each in self._pairs():
            if each == value:
                tick.value = True

    def deselect(self, value: T) -> None:
        for tick, each in self._pairs():
            if each == value:
                tick.value = False

    def tick_for(self, value: T) -> Tick:
        return next(tick for tick, each in self._pairs() if each == value)

    def action_move(self, step: int) -> None:
        ticks = self.ticks
        focused = self.screen.focused
        if focused in ticks:
            index = ticks.index(focused) + step  # type: ignore[arg-type]
            if 0 <= index < len(ticks):
                ticks[index].focus()

    @on(Checkbox.Changed)
    def _changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.post_message(self.SelectedChanged(self))
