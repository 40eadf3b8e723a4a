"""A routine visit is defined once (mesotui/visits.py): the app's session form prefills it and
`mesotui log` logs it, so the same patient gets the same dose from either."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from mesotui.cli import main
from mesotui.commands.context import Context, demo_store
from mesotui.models import Anaesthesia
from mesotui.settings import Settings
from mesotui.store import Store
from mesotui.tui import flows
from mesotui.tui.screens.session_form import SessionForm
from mesotui.tui.widgets.ticks import TickGroup
from mesotui.visits import routine_visit, with_anaesthesia
from mesotui.vocab import AnaesthesiaType, Area
from tests.conftest import TODAY, make_session
from tests.test_tui_support import demo_app, until_settled

PATIENT = "P-00002"
"""A demo patient whose last session was 2 mL over the left temple, 20 points, no anaesthesia."""


def test_a_first_session_takes_the_clinic_defaults_and_a_later_one_repeats_the_dose() -> None:
    settings = Settings(default_volume_ml=1.0, default_needle="30G x 4 mm")
    first = routine_visit("P-1", TODAY, settings)
    assert (first.volume_ml, first.areas, first.injection_points, first.needle) == (
        1.0, (), None, "30G x 4 mm")
    assert (first.product, first.anaesthesia, first.duration_min) == (
        settings.default_product, settings.default_anaesthesia, settings.default_duration_min)
    before = make_session("P-1", TODAY - timedelta(days=60), volume_ml=2.5,
                          areas=(Area.VERTEX,), injection_points=30, needle="32G x 4 mm")
    later = routine_visit("P-1", TODAY, settings, before)
    assert (later.volume_ml, later.areas, later.injection_points, later.needle) == (
        2.5, (Area.VERTEX,), 30, "32G x 4 mm")
    assert (later.lot, later.side_effects, later.counselling_given) == ("", (), False)


def test_another_anaesthesia_type_takes_its_usual_agent_unless_one_is_given() -> None:
    settings = Settings()
    routine = routine_visit("P-1", TODAY, settings)
    local = with_anaesthesia(routine, AnaesthesiaType.LOCAL, settings)
    assert local.anaesthesia == Anaesthesia(AnaesthesiaType.LOCAL,
                                            settings.usual_agent(AnaesthesiaType.LOCAL))
    same = with_anaesthesia(routine, settings.default_anaesthesia.type, settings, amount="thin")
    assert same.anaesthesia == Anaesthesia(settings.default_anaesthesia.type,
                                           settings.default_anaesthesia.agent, "thin")


async def test_the_command_line_logs_the_routine_visit_the_app_prefills(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    context = Context(tmp_path / "clinic.json", TODAY)
    demo_store(context.db_path, context).close()
    assert main(["log", PATIENT, "--db", str(context.db_path), "--today", TODAY.isoformat(),
                 "--anaesthesia", "none", "--lot", "DU25-0412", "--lot-expiry", "2027-06-30",
                 "--no-side-effects", "--counselling", "--reason", "routine visit"]) == 0, \
        capsys.readouterr().err
    with Store.open(context.db_path, readonly=True) as store:
        *_, previous, logged = store.sessions_for(PATIENT, include_voided=False)
    assert (logged.volume_ml, logged.areas, logged.injection_points) == (
        previous.volume_ml, previous.areas, previous.injection_points) == (
        2.0, (Area.TEMPORAL_LEFT,), 20)

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until_settled(pilot)
        flows.log_session(app, PATIENT, lambda _said: None)
        await until_settled(pilot)
        form = app.screen
        assert isinstance(form, SessionForm)
        shown = (form.query_one("#volume", Input).value,
                 tuple(form.query_one("#areas", TickGroup).selected),
                 form.query_one("#points", Input).value, form.query_one("#needle", Input).value,
                 form.query_one("#product", Input).value,
                 form.query_one("#anaesthesia", Select).value)
    assert shown == (f"{logged.volume_ml:g}", logged.areas, str(logged.injection_points),
                     logged.needle, logged.product, app.store.settings.default_anaesthesia.type)
