"""Backups keep history, however many writes come (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mesotui.engine import durable
from mesotui.store import Store
from tests.conftest import TODAY, make_patient

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def fake_backup(path: Path, at: datetime) -> Path:
    folder = durable.backup_dir(path)
    folder.mkdir(exist_ok=True)
    backup = folder / f"{path.stem}-{at:%Y%m%dT%H%M%S%f}Z{path.suffix}"
    backup.write_bytes(path.read_bytes())
    return backup


def kept_ages(path: Path) -> list[timedelta]:
    stamps = [b.stem.removeprefix(f"{path.stem}-").split("-")[0]
              for b in durable.list_backups(path)]
    return [NOW - datetime.strptime(s, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC) for s in stamps]


def test_a_burst_of_writes_keeps_the_hours_and_days_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path) as opened:
        opened.add_patient(make_patient(name="First"), TODAY)
    for backup in durable.list_backups(path):
        backup.unlink()
    for hours in range(1, 24 * 40):  # a backup every hour for forty days
        fake_backup(path, NOW - timedelta(hours=hours))
    moments = iter(NOW - timedelta(seconds=60 - s) for s in range(60))
    monkeypatch.setattr(durable, "clock", lambda: next(moments), raising=False)
    for n in range(30):  # a script's burst: thirty writes within the last minute
        with Store.open(path) as opened:
            opened.add_patient(make_patient(name=f"Burst {n}"), TODAY)
    ages = kept_ages(path)
    assert sum(age < timedelta(minutes=1) for age in ages) == 20  # the last 20
    for hours_ago in (3, 6, 12, 21):  # one an hour for a day
        assert any(timedelta(hours=hours_ago - 1) < age <= timedelta(hours=hours_ago)
                   for age in ages), hours_ago
    for days_ago in (2, 7, 15, 29):  # one a day for 30 days
        assert any(timedelta(days=days_ago - 1) < age <= timedelta(days=days_ago)
                   for age in ages), days_ago
    assert max(ages) < timedelta(days=31)  # nothing older than the 30 days is kept
    assert len(ages) <= 20 + 24 + 30


def test_the_kept_backup_of_an_hour_does_not_change_as_writes_come(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    with Store.open(path) as opened:
        opened.add_patient(make_patient(name="First"), TODAY)
    for backup in durable.list_backups(path):
        backup.unlink()
    first = fake_backup(path, NOW - timedelta(hours=5, minutes=50))
    later = fake_backup(path, NOW - timedelta(hours=5, minutes=35))
    for seconds in range(30):
        fake_backup(path, NOW - timedelta(seconds=seconds))
    durable.prune_backups(path)
    assert first.exists() and not later.exists()
