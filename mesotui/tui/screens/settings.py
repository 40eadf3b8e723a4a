"""The clinic's settings: default protocol, due-soon window, product defaults, practitioners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Label, Select, Static

from mesotui import validation
from mesotui.settings import Settings
from mesotui.tui.screens.form import FormScreen
from mesotui.tui.widgets.field import Field
from mesotui.tui.widgets.protocol_fields import protocol_fields, read_protocol
from mesotui.tui.widgets.ticks import Tick
from mesotui.validation import plural

SEPARATOR = ";"
"""Between practitioners' names: a comma belongs to a name ("Lima, A.")."""


def split_names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(SEPARATOR) if name.strip())


def names_read(names: tuple[str, ...]) -> str:
    """How the practitioners typed are read, so a wrong separator shows at once."""
    if not names:
        return "No practitioners listed: sessions then name none."
    return f"Read as {plural(len(names), 'practitioner', count=True)}: " + " \u00b7 ".join(names)


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
        yield Tick("A session may be logged without its lot and expiry", s.lot_optional,
                   id="lot-optional", compact=True)
        yield Field("Practitioners", Input(f"{SEPARATOR} ".join(s.practitioners),
                                           id="practitioners", compact=True,
                                           placeholder="e.g. Dr A. Lima; Nurse B. Cole"),
                    keys=("practitioners",),
                    hint=f"separate names with {SEPARATOR} (a comma is part of a name)",
                    classes="-hint-always")
        yield Static(names_read(s.practitioners), id="practitioners-read", markup=False)
        yield Field("Default", self._default_select(s.practitioners, s.default_practitioner),
                    keys=("default_practitioner",),
                    hint="practitioner proposed in a new session", classes="-hint-always")

    @staticmethod
    def _default_select(names: tuple[str, ...], chosen: str) -> Select[str]:
        options = [(name, name) for name in dict.fromkeys((*names, chosen)) if name]
        return Select(options, value=chosen or Select.NULL, prompt="none", compact=True,
                      id="default-practitioner", classes="scale")

    def on_mount(self) -> None:
        self.query_one("#clinic", Input).focus()
        super().on_mount()

    @on(Input.Changed, "#practitioners")
    def _practitioners_typed(self, event: Input.Changed) -> None:
        names = split_names(event.value)
        self.query_one("#practitioners-read", Static).update(names_read(names))
        select = self.query_one("#default-practitioner", Select)
        chosen = select.value if isinstance(select.value, str) else ""
        select.set_options([(name, name) for name in names])
        select.value = chosen if chosen in names else Select.NULL

    def _whole(self, selector: str, key: str, fallback: int) -> int:
        value = self.number(selector, key, integer=True)
        if value is None and key not in self.problems:
            self.problems[key] = "is required"
        return fallback if value is None else value

    def collect(self) -> Any:
        default = self.query_one("#default-practitioner", Select).value
        concentration = self.number("#concentration", "default_concentration_pct")
        if concentration is None and "default_concentration_pct" not in self.problems:
            self.problems["default_concentration_pct"] = "is required"
        return replace(
            self.settings, clinic_name=self.text("#clinic"),
            protocol=read_protocol(self, "clinic"),
            due_soon_days=self._whole("#window", "due_soon_days", self.settings.due_soon_days),
            default_product=self.text("#product"),
            default_concentration_pct=concentration if concentration is not None
            else self.settings.default_concentration_pct,
            default_volume_ml=self.number("#volume", "default_volume_ml"),
            default_duration_min=self._whole("#duration", "default_duration_min",
                                             self.settings.default_duration_min),
            default_needle=self.text("#needle"),
            lot_optional=self.query_one("#lot-optional", Checkbox).value,
            practitioners=split_names(self.text("#practitioners")),
            default_practitioner=default if isinstance(default, str) else "")

    def check(self, record: Any) -> dict[str, str]:
        return validation.settings_problems(record)

    def submit(self, record: Any) -> Settings | None:
        return self.save(record)
