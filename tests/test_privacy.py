"""Privacy: the app never opens a network connection, and errors name records, not people."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mesotui.cli import main
from mesotui.tui.screens.patients import PatientsScreen
from mesotui.tui.widgets.patient_list import PatientList
from tests.test_tui_support import complete_session, demo_app


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any attempt to reach the network is recorded and refused."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


async def test_a_full_clinic_flow_runs_with_the_network_disabled(no_network: list[str],
                                                                 tmp_path: Path) -> None:
    """Open the list, filter, open a record, log a session, see reports: no connection tried."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        patient = app.screen.query_one(PatientList).current.patient  # type: ignore[union-attr]
        await pilot.press("slash", *patient.name[:4], "enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause(0.1)
        await complete_session(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, PatientsScreen)
        await pilot.press("r")
        await pilot.pause(0.1)
    assert no_network == []


def test_command_line_errors_name_the_record_not_the_patient(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              no_network: list[str]) -> None:
    db = tmp_path / "clinic.json"
    assert main(["add-patient", "--name", "Hermione Quill", "--sex", "female", "--dob",
                 "1980-01-01", "--phone", "+44 7700 900123", "--db", str(db)]) == 0
    patient_id = capsys.readouterr().out.strip()
    assert main(["log", patient_id, "--anaesthesia", "none", "--volume-ml", "25",
                 "--no-consent-ok", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "volume_ml" in err and "Quill" not in err and "900123" not in err
    assert no_network == []
