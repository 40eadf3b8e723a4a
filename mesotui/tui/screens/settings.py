"""The clinic's settings: default protocol, due-soon window, product defaults, practitioners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Label

from mesotui.settings import Settings
from mesotui.tui.widgets.field import Field, FormScreen
from mesotui.tui.widgets.protocol_fields import protocol_fields, read_protocol


class SettingsForm(FormScreen[Settings | None]):
    """Collects the clinic settings; `save(settings)` stores them."""

    TITLE_TEXT = "Clinic settings"

    def __init__(self, settings: Settings, save: Callable[[Settings], Settings]) -> None:
        super().__init__()
        self.settings, self.save = settings, save

    def compose_fields(self) -> ComposeResult:
        s = self.settings
        yield Field("Clinic name", Input(s.clinic_name, id="clinic", compact=True),
                    keys=("clinic_name",))
        yield Label("Clinic default protocol", classes="section-title")
        yield from protocol_fields(s.protocol, "clinic")
        yield Field("Due soon", Input(str(s.due_soon_days), id="window", compact=True),
                    Label("days ahead", classes="inline-label"), keys=("due_soon_days",))
        yield Field("Product", Input(s.default_product, id="product", compact=True),
                    Label("conc. %", classes="inline-label"),
                    Input(f"{s.default_concentration_pct:g}", id="concentration", compact=True),
                    keys=("default_product", "default_concentration_pct"))
        yield Field("Volume mL", Input("" if s.default_volume_ml is None
                                       else f"{s.default_volume_ml:g}", id="volume", compact=True),
                    Label("duration min", classes="inline-label"),
                    Input(str(s.default_duration_min), id="duration", compact=True),
                    keys=("default_volume_ml", "default_duration_min"))
        yield Field("Needle", Input(s.default_needle, id="needle", compact=True),
                    keys=("default_needle",))
        yield Field("Practitioners", Input("; ".join(s.practitioners), id="practitioners",
                                           compact=True),
                    keys=("practitioners",), hint="names separated by ;")
        yield Field("Default", Input(s.default_practitioner, id="default-practitioner",
                                     compact=True), keys=("default_practitioner",),
                    hint="practitioner prefilled in a new session")

    def on_mount(self) -> None:
        self.query_one("#clinic", Input).focus()
        super().on_mount()

    def collect(self) -> Any:
        return replace(
            self.settings, clinic_name=self.text("#clinic"),
            protocol=read_protocol(self, "clinic"),
            due_soon_days=self.number("#window", "due_soon_days", integer=True)
            if self.text("#window") else self.settings.due_soon_days,
            default_product=self.text("#product"),
            default_concentration_pct=self.number("#concentration", "default_concentration_pct")
            or self.settings.default_concentration_pct,
            default_volume_ml=self.number("#volume", "default_volume_ml"),
            default_duration_min=self.number("#duration", "default_duration_min", integer=True)
            or self.settings.default_duration_min,
            default_needle=self.text("#needle"),
            practitioners=tuple(n.strip() for n in self.text("#practitioners").split(";")
                                if n.strip()),
            default_practitioner=self.text("#default-practitioner"))

    def submit(self, record: Any) -> Settings | None:
        return self.save(record)
