"""The protocol as form fields (intervals, maintenance, evaluation) for patient and settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Input, Label

from mesotui.models import Protocol
from mesotui.tui.widgets.field import Field

if TYPE_CHECKING:
    from mesotui.tui.screens.form import FormScreen


def protocol_fields(protocol: Protocol, prefix: str, name: str = "protocol") -> ComposeResult:
    yield Field("Intervals", Input(", ".join(str(m) for m in protocol.intervals_months),
                                   id=f"{prefix}-intervals", compact=True),
                Label("then every", classes="inline-label"),
                Input(str(protocol.maintenance_months), id=f"{prefix}-maintenance", compact=True),
                Label("months", classes="inline-label"),
                keys=(f"{name}.intervals_months", f"{name}.maintenance_months"),
                hint="months between sessions, e.g. 2, 2, 2, 4, 4")
    yield Field("Evaluate after", Input(str(protocol.evaluate_after), id=f"{prefix}-after",
                                        compact=True),
                Label("to", classes="inline-label"),
                Input(str(protocol.evaluate_by), id=f"{prefix}-by", compact=True),
                Label("sessions", classes="inline-label"),
                keys=(f"{name}.evaluate_after", f"{name}.evaluate_by"))


def read_protocol(form: FormScreen, prefix: str, name: str = "protocol") -> Protocol:
    """The protocol typed into the form; unreadable numbers become problems on `form`."""
    steps = []
    for part in form.text(f"#{prefix}-intervals").replace(";", ",").split(","):
        if part.strip():
            try:
                steps.append(int(part))
            except ValueError:
                form.problems[f"{name}.intervals_months"] = "must be whole months, comma-separated"
    default = Protocol()

    def whole(field: str, key: str, fallback: int) -> int:
        """The number typed (0 included, to be refused by the rules), else `fallback`."""
        value = form.number(f"#{prefix}-{field}", f"{name}.{key}", integer=True)
        if value is None and f"{name}.{key}" not in form.problems:
            form.problems[f"{name}.{key}"] = "is required"
        return fallback if value is None else value

    return Protocol(tuple(steps),
                    whole("maintenance", "maintenance_months", default.maintenance_months),
                    whole("after", "evaluate_after", default.evaluate_after),
                    whole("by", "evaluate_by", default.evaluate_by))
