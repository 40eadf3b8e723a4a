"""Shared fixtures: a fixed clinic day and clock, and stores over memory and a real file."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from mesotui.demo import generate
from mesotui.evaluation import Consent
from mesotui.models import Patient, Session
from mesotui.store import Store
from mesotui.vocab import Sex

# No test, fixture or child process ever keeps a clinic key in the user's config folder: each
# test gets a folder of its own (`clinic_keys`), and this one covers what runs outside a test.
os.environ["MESOTUI_KEYS"] = tempfile.mkdtemp(prefix="mesotui-test-keys-")
atexit.register(shutil.rmtree, os.environ["MESOTUI_KEYS"], ignore_errors=True)

# The suite runs on shared, loaded machines (CI included): a slow moment there is not a failure
# of the property under test, so Hypothesis never fails a test for its own timing.
settings.register_profile("loaded-machine", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("loaded-machine")

TODAY = date(2026, 1, 15)
"""The fixed "today" of every test: tests never read the real clock."""


class FixedClock:
    """A clock that starts on TODAY at 09:00 UTC and moves one minute per reading."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture(autouse=True)
def clinic_keys(tmp_path_factory: pytest.TempPathFactory,
                monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test keeps its clinic keys in a folder of its own, never the user's config
    folder (subprocesses inherit it through the environment)."""
    from mesotui.engine.keys import ENV_KEYS

    folder = tmp_path_factory.mktemp("keys")
    monkeypatch.setenv(ENV_KEYS, str(folder))
    return folder


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Store]:
    """Every store test runs against TinyDB's MemoryStorage and against a real record file."""
    if request.param == "memory":
        opened = Store.in_memory(clock=clock)
    else:
        opened = Store.open(tmp_path / "clinic.json", clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def demo_store(tmp_path: Path, clock: FixedClock) -> Iterator[Store]:
    """A record file holding the demo clinic as of TODAY."""
    opened = generate(TODAY).load_into(Store.open(tmp_path / "clinic.json", clock=clock))
    yield opened
    opened.close()


CONSENTED = (Consent(date(2020, 1, 1), "DUT-MESO consent v3", "Dr Test"),)
"""Consent in force since 2020: the usual case, so sessions can be logged without an override."""


def make_patient(**overrides: object) -> Patient:
    fields: dict[str, object] = dict(id="", name="Test Patient", sex=Sex.FEMALE,
                                     date_of_birth=date(1985, 6, 1), consents=CONSENTED)
    fields.update(overrides)
    return Patient(**fields)  # type: ignore[arg-type]


def make_session(patient_id: str, day: date, **overrides: object) -> Session:
    fields: dict[str, object] = dict(id="", patient_id=patient_id, date=day,
                                     concentration_pct=0.01, volume_ml=1.0,
                                     no_side_effects=True)
    fields.update(overrides)
    return Session(**fields)  # type: ignore[arg-type]


SessionMaker = Callable[..., Session]
