"""A session's side effects: "none (asked)", or each effect with its severity and note.

Every effect is its own tab stop (space ticks it), and a ticked effect's severity starts
unset: the practitioner chooses it, the form refuses to save without it.

The two answers never destroy each other: ticking "none" puts the effects entered aside
(hidden, kept with their severities and notes) and unticking brings them back.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Select, Static

from mesotui.models import SideEffectReport
from mesotui.tui.widgets.field import Field
from mesotui.tui.widgets.ticks import Tick, TickGroup
from mesotui.validation import plural
from mesotui.vocab import Severity, SideEffect


class SideEffectsField(Vertical):
    """The "none reported" tick, the effects list and a severity and note per effect."""

    def __init__(self, reports: tuple[SideEffectReport, ...], none_reported: bool) -> None:
        super().__init__(id="side-effects")
        self.reports, self.none_reported = reports, none_reported

    def compose(self) -> ComposeResult:
        yield Tick("No side effects (asked; none reported)", self.none_reported,
                   id="no-effects", compact=True)
        chosen = {r.effect for r in self.reports}
        yield Field("Side effects", TickGroup[SideEffect](
            *[(e.label, e, e in chosen) for e in SideEffect], id="effects"),
            keys=("side_effects",), hint="space ticks one; set its severity and note below",
            classes="effects-list")
        yield Vertical(id="effect-details")
        yield Static("", id="effects-aside", markup=False)

    def on_mount(self) -> None:
        for report in self.reports:
            self._mount_effect(report.effect, report.severity, report.note)
        self._show()

    @property
    def none_ticked(self) -> bool:
        return self.query_one("#no-effects", Checkbox).value

    def read(self) -> tuple[tuple[SideEffectReport, ...], bool]:
        """(the effects reported, "none" ticked); effects put aside by "none" are not read."""
        if self.none_ticked:
            return (), True
        reports = [SideEffectReport(SideEffect(row.name),
                                    row.query_one(".severity", Select).value,  # type: ignore[arg-type]
                                    row.query_one(".effect-note", Input).value.strip())
                   for row in self.query(".effect-row") if row.display
                   and row.query_one(".severity", Select).value is not Select.NULL]
        order = list(SideEffect)
        reports.sort(key=lambda r: order.index(r.effect))
        return tuple(reports), False

    def problems(self) -> dict[str, str]:
        """Each effect ticked without a severity chosen, keyed for its own row."""
        if self.none_ticked:
            return {}
        return {f"side_effects.{row.name}": "severity is required: mild, moderate or severe?"
                for row in self.query(".effect-row")
                if row.display and row.query_one(".severity", Select).value is Select.NULL}

    @on(Checkbox.Changed, "#no-effects")
    def _show(self) -> None:
        none = self.none_ticked
        self.query_one(".effects-list").display = not none
        self.query_one("#effect-details").display = not none
        aside = self.query_one("#effects-aside", Static)
        kept = len(self.query_one("#effects", TickGroup).selected)
        aside.display = none and kept > 0
        aside.update(f"{plural(kept, 'side effect', count=True)} entered "
                     f"{'is' if kept == 1 else 'are'} kept aside while \u201cnone\u201d is "
                     "ticked: untick it to bring them back." if kept else "")

    @on(TickGroup.SelectedChanged, "#effects")
    def _effects_changed(self, event: TickGroup.SelectedChanged) -> None:
        chosen = list(self.query_one("#effects", TickGroup).selected)
        for row in self.query(".effect-row"):  # an unticked effect's row is kept, hidden
            row.display = row.name in chosen
        made = {row.name for row in self.query(".effect-row")}
        for effect in chosen:
            if effect.value not in made:
                self._mount_effect(effect, None, "")

    def _mount_effect(self, effect: SideEffect, severity: Severity | None, note: str) -> None:
        self.query_one("#effect-details").mount(Field(
            effect.label,
            Select([(s.label, s) for s in Severity],
                   value=Select.NULL if severity is None else severity, prompt="severity?",
                   compact=True, classes="severity"),
            Input(note, placeholder="note", compact=True, classes="effect-note"),
            keys=(f"side_effects.{effect.value}",), name=effect.value, classes="effect-row"))
