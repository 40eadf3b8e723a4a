"""The clinic's questions of its records: the morning list, the recent lots, a lot's recall.

Each reads only what it needs: the list, the patients' cards and standings (never a whole
record); the lot searches, the sessions' summaries, parsing only the sessions they find.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from mesotui import schedule
from mesotui.clinic.records import Records
from mesotui.clinic.rows import Summary
from mesotui.clinic.standings import Standings
from mesotui.engine.checkpoint import no_gc
from mesotui.models import Card, Patient, Session


def board(records: Records, standings: Standings, today: date, *,
          include_archived: bool = False) -> list[tuple[Card, schedule.Outlook]]:
    """Every patient's card with where they stand on `today`, most urgent first (overdue,
    then soonest due), then by name."""
    due_soon, standing, rank = records.settings.due_soon_days, standings.get, schedule.RANK
    with no_gc():
        views = [(card, standing(card.id).on(today, due_soon))
                 for card in records.cards.values() if include_archived or not card.archived]
        # `schedule.urgency`, then the name, as plain tuples: sorted without a Python call
        # per comparison (the place in `views` breaks ties, so cards are never compared).
        keyed = [(rank[view.status], view.next_due or date.max, card.name.casefold(), n)
                 for n, (card, view) in enumerate(views)]
    keyed.sort()
    return [views[key[3]] for key in keyed]


def overview(records: Records, standings: Standings, today: date, *,
             include_archived: bool = False) -> list[tuple[Patient, schedule.Outlook]]:
    """`board`, with whole patient records."""
    return [(records.patient(card.id), view)
            for card, view in board(records, standings, today,
                                    include_archived=include_archived)]


def recent_lots(records: Records, limit: int = 8) -> list[tuple[str, date | None]]:
    """The lots most recently used, newest first, with their expiry, for a quick pick."""
    latest: dict[str, tuple[date, str | None]] = {}
    for found in _all(records):
        lot, day = found.lot, found.date
        if lot and not found.voided and (lot not in latest or day > latest[lot][0]):
            latest[lot] = (day, found.lot_expiry)
    newest = sorted(latest.items(), key=lambda item: item[1][0], reverse=True)[:limit]
    return [(lot, date.fromisoformat(expiry) if expiry else None)
            for lot, (_day, expiry) in newest]


def sessions_by_lot(records: Records, lot: str) -> list[tuple[Patient, Session]]:
    """Every session given from `lot` (case-insensitive), voided ones included, by date."""
    wanted = lot.strip().casefold()
    hits = [records.session(found.id) for found in _all(records)
            if found.lot.strip().casefold() == wanted]
    return sorted(((records.patient(s.patient_id), s) for s in hits),
                  key=lambda hit: (hit[1].date, hit[0].name))


def _all(records: Records) -> Iterator[Summary]:
    for held in records.summaries().values():
        yield from held.values()
