"""Every pseudonymised format holds no real id, name, free text or real date, keeps intervals.

The demo clinic, with free text in every field the issue names, is exported pseudonymised in all
five formats through the command line; each output is grepped for every real id, name, contact
detail, note, reason, practitioner, photo path and real date of the source. A real date may only
turn up where it is also some record's shifted date (a coincidence of two patients' calendars).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from mesotui import export
from mesotui.cli import main
from mesotui.commands.context import Context, demo_store
from mesotui.models import Anaesthesia
from mesotui.schedule import given
from mesotui.store import Store
from mesotui.vocab import AnaesthesiaType
from tests.conftest import TODAY

FORMATS = ("json", "fhir", "csv", "jsonl", "ics")
FREE = "1 mL; Priya Rossi allergic to latex"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("deid")
    context = Context(folder / "clinic.json", TODAY)
    store = demo_store(context.db_path, context)
    first = store.sessions()[0]
    store.amend_session(replace(first, anaesthesia=Anaesthesia(AnaesthesiaType.LOCAL,
                                                               "lidocaine 2% from Dr Who", FREE)),
                        TODAY, reason="amount corrected by Nurse Ratched")
    store.close()
    outputs = {}
    for fmt in FORMATS:
        target = folder / f"out.{fmt}"
        assert main(["export", "--db", str(context.db_path), "--today", TODAY.isoformat(),
                     "--pseudonymise", "--format", fmt, "-o", str(target)]) == 0
        outputs[fmt] = target.read_text(encoding="utf-8")
    return context.db_path, outputs


def secrets(store: Store) -> set[str]:
    found = {"Dr Who", "Priya Rossi", "latex", "Nurse Ratched", "Demo Hair Clinic"}
    for p in store.patients():
        found |= {p.id, p.name, *p.name.split(), p.phone, p.email, p.notes,
                  *p.concurrent_treatments, *(e.reason for e in p.course),
                  *(c.taken_by for c in p.consents), *(c.form_version for c in p.consents),
                  *(c.withdrawal_reason for c in p.consents)}
        for s in store.sessions_for(p.id):
            found |= {s.id, s.lot, s.dose_notes, s.practitioner, s.anaesthesia.agent,
                      s.anaesthesia.amount, s.void_reason, *(e.note for e in s.side_effects),
                      *(r.reason for r in s.history), *(r.by for r in s.history)}
        for e in store.evaluations_for(p.id):
            found |= {e.id, e.notes, e.stop_reason, e.practitioner, e.hair_count_site,
                      *(ph.path for ph in e.photos), *(ph.path.rsplit("/", 1)[-1]
                                                       for ph in e.photos)}
    return {s for s in found if len(s) >= 4 and s not in ("None", "none")}


def dates(store: Store) -> tuple[set[date], set[date]]:
    """Every real date of the clinic's records, and every date as de-identified."""
    shift = export.Pseudonymiser(store.pseudonym_key(create=False)).offset  # type: ignore[arg-type]
    real: set[date] = set()
    moved: set[date] = set()
    for p in store.patients():
        mine = {p.date_of_birth, *(d for d in (p.planned_start,) if d),
                *(e.on for e in p.course), *(c.given_on for c in p.consents),
                *(c.withdrawn_on for c in p.consents if c.withdrawn_on),
                *(r.when.date() for r in p.history)}
        view = store.outlook(p, TODAY)
        mine |= {d for d in (view.next_due, view.pregnancy_avoid_until) if d}
        for s in store.sessions_for(p.id):
            mine |= {s.date, *(d for d in (s.lot_expiry,) if d)}
            mine |= {r.when.date() for r in s.history}
        for e in store.evaluations_for(p.id):
            mine |= {e.date, *(r.when.date() for r in e.history)}
        real |= mine
        moved |= {d + shift(p.id) for d in (*mine, TODAY)}  # TODAY: the patient's own "as of"
    return real, moved


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_real_id_name_or_free_text_in_any_pseudonymised_format(
        clinic: tuple[Path, dict[str, str]], fmt: str) -> None:
    db, outputs = clinic
    with Store.open(db, readonly=True) as store:
        hidden = secrets(store)
    text = outputs[fmt]
    leaked = sorted(s for s in hidden if s in text)
    assert leaked == []
    assert not re.search(r"\b[PSE]-\d{5}", text)  # no demo id, whole or in part


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_real_date_in_any_pseudonymised_format(clinic: tuple[Path, dict[str, str]],
                                                  fmt: str) -> None:
    db, outputs = clinic
    with Store.open(db, readonly=True) as store:
        real, moved = dates(store)
    text = outputs[fmt]
    if fmt == "ics":  # only the dates a record gives: not DTEND (+1 day) nor dates planned
        events = text.replace("\r\n ", "").split("BEGIN:VEVENT")[1:]
        text = "\n".join(line for event in events
                         if "STATUS:TENTATIVE" not in event and "is not planned" not in event
                         for line in event.splitlines() if not line.startswith("DTEND"))
    found = {date(int(y), int(m), int(d)) for y, m, d in
             re.findall(r"(?<![\dA-Z])(\d{4})-?(\d{2})-?(\d{2})(?![\dA-SU-Z])", text)
             if 1 <= int(m) <= 12 and 1 <= int(d) <= 31}
    export_day = {TODAY}  # the export's own time (exported_at, DTSTAMP), not a record's
    assert found & (real - moved - export_day) == set()


def _gaps(groups: list[list[date]]) -> list[tuple[int, ...]]:
    return sorted(tuple((b - a).days for a, b in zip(d, d[1:], strict=False))
                  for d in (sorted(g) for g in groups if g))


def test_intervals_between_each_patients_sessions_are_unchanged(
        clinic: tuple[Path, dict[str, str]]) -> None:
    db, outputs = clinic
    with Store.open(db, readonly=True) as store:
        real = _gaps([[s.date for s in given(store.sessions_for(p.id))]
                      for p in store.patients()])
        real_days = {p.id: [s.date for s in given(store.sessions_for(p.id))]
                     for p in store.patients()}
    rows: dict[str, list[date]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(outputs["csv"].lstrip("\ufeff"), newline="")):
        if row["voided"] == "no":
            rows[row["patient_id"]].append(date.fromisoformat(row["date"]))
    assert _gaps(list(rows.values())) == real
    performed: dict[str, list[date]] = defaultdict(list)
    for entry in json.loads(outputs["fhir"])["entry"]:
        r = entry["resource"]
        if r["resourceType"] == "Procedure" and r["status"] == "completed":
            performed[r["subject"]["reference"]].append(date.fromisoformat(r["performedDateTime"]))
    assert _gaps(list(performed.values())) == real
    # ...while every patient's calendar moved, by at least a month.
    shifted = sorted(min(d) for d in rows.values())
    assert all(a != b for a, b in zip(shifted, sorted(min(d) for d in real_days.values() if d),
                                      strict=False))


def test_the_export_states_its_method_and_the_risk(clinic: tuple[Path, dict[str, str]],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db, outputs = clinic
    header = json.loads(outputs["json"])["deidentification"]
    assert header["name"] == "mesotui-deid" and header["version"] == 2
    assert main(["export", "--db", str(db), "--today", TODAY.isoformat(), "--pseudonymise",
                 "-o", str(db.parent / "again.json")]) == 0
    err = capsys.readouterr().err
    assert re.search(r"\d+ of 36 patients are unique on sex, birth decade and number of "
                     r"sessions", err)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_lot_expiry_is_kept_to_undo_the_shifts(
        clinic: tuple[Path, dict[str, str]], fmt: str) -> None:
    """A lot has one real expiry, printed on its vials: were it exported (shifted by each
    patient's own offset) beside the lot, real minus exported would give every patient's
    secret shift back, and with it every real date (the reviewer recovered 30 of 30). So no
    format carries a lot's expiry, and lot numbers are pseudonyms (checked with the other
    secrets above); whether the lot was past its expiry is kept."""
    db, outputs = clinic
    with Store.open(db, readonly=True) as store:
        assert any(s.lot_expiry for s in store.sessions())
        expired = {s.id for s in store.sessions() if s.lot_expired}
    text = outputs[fmt]
    if fmt == "json":
        sessions = [s for p in json.loads(text)["patients"] for s in p["sessions"]]
        assert sessions and all(s["lot_expiry"] is None for s in sessions)
        assert all(s["lot"].startswith("LX-") for s in sessions if s["lot"])
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
        assert rows and all("lot_expiry" not in r for r in rows)
        assert sum(r["lot_expired"] for r in rows) == len(expired)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))
        assert rows and "lot_expiry" not in rows[0] and "lot_expired" in rows[0]
    else:
        assert "expirationDate" not in text and "expir" not in text.lower()
