"""Who gave the session (or took the consent): a choice from the clinic's practitioners.

The last option adds a name to the clinic's list; the form that holds the choice asks for it
(a widget never opens a screen) and saves it through its caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.message import Message
from textual.widgets import Select

ADD = "\x00add"
"""The value of the "add a name" option (no practitioner's name holds a NUL)."""


class PractitionerSelect(Select[str]):
    """The clinic's practitioners, plus `current` when it is not (or no longer) on the list."""

    @dataclass
    class AddWanted(Message):
        """The "add a name to the clinic's list" option was chosen."""

        select: PractitionerSelect

    def __init__(self, names: tuple[str, ...], current: str = "", *,
                 id: str | None = None) -> None:  # noqa: A002 - Textual's name
        self.listed = self._with(names, current)
        super().__init__(self._choices(), value=current or Select.NULL,
                         prompt="choose" if names else "none listed yet", id=id, compact=True,
                         classes="scale")
        self._previous: str | object = current or Select.NULL

    @staticmethod
    def _with(names: tuple[str, ...], current: str) -> tuple[str, ...]:
        return names if not current or current in names else (*names, current)

    def _choices(self) -> list[tuple[str, str]]:
        return [(name, name) for name in self.listed] + [
            ("+ Add a name to the clinic's list\u2026", ADD)]

    @property
    def name_chosen(self) -> str:
        value = self.value
        return value if isinstance(value, str) and value != ADD else ""

    def offer(self, names: tuple[str, ...], chosen: str) -> None:
        """The clinic's list changed: show it, with `chosen` selected."""
        self.listed = self._with(names, chosen)
        self.set_options(self._choices())
        self._previous = chosen or Select.NULL
        self.value = self._previous  # type: ignore[assignment]

    def undo_add(self) -> None:
        """No name was added: go back to the choice held before."""
        self.value = self._previous  # type: ignore[assignment]

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        if event.value == ADD:
            event.stop()
            self.post_message(self.AddWanted(self))
        else:
            self._previous = event.value
