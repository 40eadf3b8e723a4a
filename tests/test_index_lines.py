"""The start-up index keeps every patient's row in lines read as they are asked for, and only
the list's order in its head (issue 19: start-up at 20,000 patients): a start lays the list
out without parsing a single patient's row, draws its first screen from a line or two, and
never shows a line that is not the one the sealed head vouches for."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesotui.demo import generate
from mesotui.engine import image, index
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock
from tests.test_index_proof import forge_in_row

PATIENTS, PER_LINE = 120, 10


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(index, "CHUNK", PER_LINE)
    monkeypatch.setattr(index, "EAGER_CHUNK", PER_LINE)
    path = tmp_path / "clinic.json"
    generate(TODAY, PATIENTS).load_into(Store.open(path, clock=FixedClock())).close()
    image.index_path(path).unlink()
    Store.open(path, clock=FixedClock()).close()  # the index anew, in lines of ten rows
    return path


def whole(path: Path) -> Store:
    copy = path.parent / "whole" / path.name
    copy.parent.mkdir(exist_ok=True)
    copy.write_bytes(path.read_bytes())
    return Store.open(copy, readonly=True)


def patient_lines_left(store: Store) -> int:
    catalogue = store.engine.image.catalogue
    assert catalogue is not None
    return sum(catalogue.pending_lines("patients"))


def test_a_start_lays_the_list_out_without_reading_a_patients_row(clinic: Path) -> None:
    with Store.open(clinic, clock=FixedClock(), prove=False) as store, whole(clinic) as truth:
        lines = PATIENTS // PER_LINE
        assert patient_lines_left(store) == lines
        listing = store.listing(TODAY)
        assert patient_lines_left(store) == lines  # the order and the counts, from the head
        expected = truth.board(TODAY)  # the list's order, archived patients apart
        assert listing.counts() == truth.listing(TODAY).counts()
        first = [listing.view(n) for n in listing.order()[:10]]  # the first screen's rows
        assert [(card, view) for card, view in first] == expected[:10]
        assert patient_lines_left(store) >= lines - 3  # a line or two of them, not all
        assert [listing.view(n) for n in listing.order()] == expected


def test_a_patients_line_that_is_not_the_one_sealed_is_never_shown(clinic: Path) -> None:
    forge_in_row(image.index_path(clinic), "P-00001", "Sofia Brennan", "Sofia Brennon")
    with Store.open(clinic, clock=FixedClock(), prove=False) as store:
        assert not store.prove(quick=True)  # the head is intact: the list may show
        listing = store.listing(TODAY)
        shown = {listing.view(n)[0].name for n in listing.order(False) + listing.order(True)}
        assert "Sofia Brennan" in shown and "Sofia Brennon" not in shown
        assert store.read_whole  # the line failed its digest: the file was read whole
        assert any("damaged" in note for note in store.notes)


def test_the_filters_keys_are_made_without_reading_a_patients_row(clinic: Path) -> None:
    """`/` matches each patient's name and id, case-folded: the first `/` at 20,000 patients
    must not wait for every patient's row of the index (issue 19: filter p95 ≤ 30 ms)."""
    with Store.open(clinic, clock=FixedClock(), prove=False) as store, whole(clinic) as truth:
        listing = store.listing(TODAY)
        keys = listing.search_keys()
        assert patient_lines_left(store) == PATIENTS // PER_LINE
        names = {card.id: card.name for card in truth.cards()}
        assert keys == [f"{names[pid]}\t{pid}".casefold() for pid in listing.ids]
