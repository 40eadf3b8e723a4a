"""An unexpected error shows a plain message, never a traceback with patient data (issue 13, 8).

Textual's own crash report prints every frame's local variables: a patient's name, phone and
email among them. mesotui replaces it with a message that names no patient, and exits 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mesotui import cli
from mesotui.demo import generate
from mesotui.store import Store
from mesotui.tui.app import MesoApp
from mesotui.tui.screens.record import RecordScreen
from tests.conftest import TODAY, FixedClock


def explode_on_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    def show(self: RecordScreen, patient_id: str) -> None:
        patient = self.app.store.patient(patient_id)  # type: ignore[attr-defined]
        secret = (patient.name, patient.phone, patient.email)  # noqa: F841 - a local to leak
        raise RuntimeError("a bug while opening the record")

    monkeypatch.setattr(RecordScreen, "show", show)


async def open_first(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await pilot.pause()
    await pilot.press("enter")
    for _ in range(5):
        await pilot.pause()


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.json"
    generate(TODAY).load_into(Store.open(path, clock=FixedClock())).close()
    return path


def leaked(text: str, clinic: Path) -> list[str]:
    with Store.open(clinic, readonly=True) as store:
        patients = store.patients()
    words = [p.name for p in patients] + [p.phone for p in patients if p.phone]
    words += [p.email for p in patients if p.email]
    return [w for w in words if w in text]


def test_the_app_crash_report_names_no_patient_and_exits_1(
        clinic: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    explode_on_opening(monkeypatch)
    real_run = MesoApp.run

    def headless(self: MesoApp, **kwargs: object) -> object:
        return real_run(self, headless=True, size=(120, 40), auto_pilot=open_first)

    monkeypatch.setattr(MesoApp, "run", headless)
    code = cli.main(["--db", str(clinic), "--today", TODAY.isoformat()])
    out, err = capfd.readouterr()
    assert code == 1
    assert leaked(out + err, clinic) == []
    assert "Traceback" not in out + err and "secret" not in out + err
    assert "unexpected error" in err
    assert err.strip().count("\n") <= 2  # a short plain message


def test_a_command_crash_names_no_patient_and_exits_1(
        clinic: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    from mesotui import export

    def broken(*args: object, **kwargs: object) -> object:
        secret = "Sofia Brennan +44 7700 900000"  # noqa: F841
        raise KeyError("Sofia Brennan")

    monkeypatch.setattr(export, "stream", broken)
    code = cli.main(["export", "--db", str(clinic), "--today", TODAY.isoformat()])
    out, err = capfd.readouterr()
    assert code == 1
    assert "Sofia" not in out + err and "Traceback" not in err
    assert "unexpected error" in err
