"""The patient list's listing (issue 19): the order, counts and quick filters it finds from each
patient's entry, without judging every patient against the day, are the board's own, on any
day, read through the start-up index or whole, after saves and after a settings change; the
cards and standings made lazily from the index's rows are those the records hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from mesotui.clinic import rows
from mesotui.clinic.listing import Listing
from mesotui.demo import generate
from mesotui.models import Card
from mesotui.store import Store
from mesotui.tui.widgets.patient_list import QUICK_FILTERS, Row, matches
from mesotui.visits import routine_visit
from mesotui.vocab import CourseStatus
from tests.conftest import TODAY, FixedClock

DAYS = [TODAY + timedelta(days=d) for d in (-400, -60, -13, -1, 0, 1, 6, 7, 14, 15, 45, 200)]
"""Days on both sides of the demo's dates, and at the edges of "due soon" and "this week"."""


def agrees_with_the_board(store: Store, day: date) -> None:
    """The listing on `day` against a straightforward computation over `store.board`."""
    listing = store.listing(day)
    board = store.board(day, include_archived=True)
    ids = listing.ids
    assert [ids[n] for n in listing.order()] == [c.id for c, _v in board if not c.archived]
    assert [ids[n] for n in listing.order(True)] == [c.id for c, _v in board if c.archived]
    made = [Row.of(card, view) for card, view in board]
    for quick in QUICK_FILTERS:
        expected = [row.patient.id for row in made if matches(row, quick, "")]
        assert [ids[n] for n in listing.pool(quick)] == expected, (day, quick)
        assert listing.counts()[quick] == len(expected), (day, quick)
    for n in listing.order()[:5] + listing.order(True)[:5]:
        card, view = listing.view(n)
        assert (card, view) == next((c, v) for c, v in board if c.id == ids[n])
    keys = listing.search_keys()
    assert [keys[listing.number[row.patient.id]] for row in made] == [row.key for row in made]


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.json"
    generate(TODAY, 120).load_into(Store.open(path, clock=FixedClock())).close()
    return path


@pytest.mark.parametrize("day", DAYS)
def test_the_listing_of_a_store_read_whole_is_the_board_on_any_day(day: date) -> None:
    store = generate(TODAY, 120).load_into(Store.in_memory(clock=FixedClock()))
    assert not store.records.listed  # no index: every entry made from the records
    agrees_with_the_board(store, day)


def test_the_listing_read_from_the_index_is_the_board_on_any_day(
        clinic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(clinic, readonly=True) as store:
        assert len(store.records.listed) == len(store.cards())  # every entry from the index
        assert not store.records.patients  # and no record parsed for it
        for day in DAYS:
            agrees_with_the_board(store, day)
        laid_out = store.listing(TODAY)
        monkeypatch.setattr(Listing, "_lay_out", lambda self, rows: False)
        assert laid_out._groups == store.listing(TODAY)._groups  # as sorted anew


def test_the_listing_follows_saves_made_here_and_those_in_the_journal(clinic: Path) -> None:
    store = Store.open(clinic, clock=FixedClock())
    listing = store.listing(TODAY)
    first, later, archived, paused = (listing.ids[n] for n in (listing.order()[0],
                                      listing.order()[40], listing.order()[7],
                                      listing.order()[-1]))
    store.update_patient(replace(store.patient(later), name="Aaron Abbott"), TODAY,
                         reason="typo")
    store.log_session(routine_visit(first, TODAY, store.settings), TODAY)
    store.set_course_status(paused, CourseStatus.PAUSED, TODAY, reason="travelling")
    store.set_archived(archived, True, reason="moved")
    for day in DAYS:
        agrees_with_the_board(store, day)
    store.close(fold=False)  # the saves stay in the journal only
    with Store.open(clinic, readonly=True) as store:  # the saves replayed over the index
        assert store.records.listed and store.records.changed_owners
        for day in DAYS:
            agrees_with_the_board(store, day)


def test_a_settings_change_places_everyone_by_the_new_settings(clinic: Path) -> None:
    store = Store.open(clinic, clock=FixedClock())
    store.save_settings(replace(store.settings, due_soon_days=30, protocol=replace(
        store.settings.protocol, intervals_months=(1, 1, 3, 5, 5), maintenance_months=6)))
    for day in DAYS[3:8]:
        agrees_with_the_board(store, day)
    store.close(fold=False)
    with Store.open(clinic, readonly=True) as store:
        assert store.records.listed  # the index's entries, made by the old settings
        assert store.settings.due_soon_days == 30
        for day in DAYS[3:8]:
            agrees_with_the_board(store, day)


def test_one_patient_updated_in_a_listing_moves_to_their_new_place(clinic: Path) -> None:
    with Store.open(clinic, clock=FixedClock()) as store:
        listing = store.listing(TODAY)
        listing.search_keys()
        target = listing.ids[listing.order()[3]]
        store.update_patient(replace(store.patient(target), name="Zoë Zimmer"), TODAY,
                             reason="married")
        listing.update(target)
        fresh = store.listing(TODAY)
        assert [listing.ids[n] for n in listing.order()] == \
            [fresh.ids[n] for n in fresh.order()]
        assert listing.counts() == fresh.counts()
        assert listing.search_keys()[listing.number[target]] == f"zoë zimmer\t{target}".casefold()


def test_cards_and_standings_made_from_the_index_are_the_records_own(clinic: Path) -> None:
    whole = clinic.parent / "whole" / clinic.name
    whole.parent.mkdir()
    whole.write_bytes(clinic.read_bytes())
    with Store.open(clinic, readonly=True) as lazy, Store.open(whole, readonly=True) as eager:
        assert eager.read_whole and not lazy.read_whole
        assert list(lazy.records.cards) == list(eager.records.cards)
        assert "P-00001" in lazy.records.cards and "P-99999" not in lazy.records.cards
        some = lazy.records.cards["P-00002"]
        assert some == Card.of(eager.patient("P-00002"))
        assert lazy.cards() == eager.cards()  # every card made at once, in the same order
        for card in eager.cards():
            assert lazy.standing(card.id) == eager.standing(card.id)


def test_a_row_of_the_index_that_does_not_read_is_damage(clinic: Path) -> None:
    row = ["P-1", ["Ann", "female", "1980-02-03", False, "active"],
           [2, "2025-12-01", "2026-01-01", None, False, "2026-06-01"], [0, 2], 8, "2026-01-01", 0]
    assert rows.read_row("patients", row) is row
    for bad in (["Ann", "female", "1980-02-3x", False, "active"],
                ["Ann", "femalx", "1980-02-03", False, "active"]):
        with pytest.raises(ValueError):
            rows.read_row("patients", [*row[:1], bad, *row[2:]])
    with pytest.raises(ValueError):
        rows.read_row("patients", [*row[:2], [2, "2025-12-0x", "2026-01-01", None, False, None],
                                   *row[3:]])
    with pytest.raises(TypeError):
        rows.read_row("patients", [*row[:4], "8", *row[5:]])
    with pytest.raises(ValueError):
        rows.read_row("patients", row[:6])  # no place


async def test_the_list_makes_only_the_rows_it_draws(clinic: Path) -> None:
    """At start-up the list makes a row (a card, an outlook) only for the patients on screen,
    and the filter's keys only once `/` is pressed; scrolling to the end makes that end's."""
    from mesotui.tui.app import MesoApp
    from tests.test_tui_flows import settle

    with Store.open(clinic, clock=FixedClock()) as store:
        app = MesoApp(store, TODAY)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            patients = app.screen.patients  # type: ignore[attr-defined]
            made = len(patients._made)  # noqa: SLF001
            cards = sum(isinstance(card, Card) for card in store.records.cards.held.values())
            assert 0 < made <= 30 and cards <= 30 < len(patients.shown) == 120 - \
                patients.counts()["archived"]
            assert patients.listing._search is None  # noqa: SLF001
            await pilot.press("end")
            await settle(pilot)
            assert patients.current.patient.id == patients.shown[-1].patient.id
            assert made < len(patients._made) <= 2 * made + 2  # noqa: SLF001
            await pilot.press("slash", "a")
            await settle(pilot)
            assert patients.listing._search is not None and patients.needle == "a"  # noqa: SLF001
