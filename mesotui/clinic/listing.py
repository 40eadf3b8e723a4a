"""The patient list for one day: its order and its quick filters' counts, without a card, a
standing or an outlook per patient (those are made only for the rows drawn).

The order is `queries.board`'s (`schedule.urgency`, then the name, then the order the patients
were read), found without judging each patient against the day: for an active course with a
next due date, overdue, due soon and on schedule all follow the date, so one order kept by
date holds whatever the day, and the day only says where it splits. Only a course never
started leaves it once it is not due soon (it is then "not started", after every course on
schedule), so those are kept apart and merged into the urgent part.

Each patient's place whatever the day is their `entry`: a code (their group, archived,
active) and a key that sorts them within the group, beginning with their next due date (an
ISO string, which sorts as the date does). The start-up index's head keeps each patient's
entry and the groups' order (mesotui/clinic/listed.py), so a start reads 20,000 of them
instead of making and sorting them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from datetime import date, timedelta

from mesotui import schedule
from mesotui.clinic.records import Records
from mesotui.clinic.rows import ACTIVE, GONE, HELD, LATEST, UNDATED, entry
from mesotui.clinic.standings import Standings
from mesotui.models import Card

WEEK = 7
"""Days ahead "Due this week" looks (the list's quick filter)."""
FEW = 64
"""Patients changed since the index, at most, moved one at a time into the groups laid out
by the index's places; with more, the groups are sorted anew."""


class Listing:
    """Every patient's place in the list on `today`, by number (the order they were read).

    Args:
        records, standings: the reader's; what a patient's card and standing are.
        today: the day the list judges due and overdue against.
        due_soon_days: the clinic's "due soon" (days ahead, `Settings.due_soon_days`).
    """

    def __init__(self, records: Records, standings: Standings, today: date,
                 due_soon_days: int) -> None:
        self.records, self.standings, self.today = records, standings, today
        self.due_soon_days = due_soon_days
        self.ids = list(records.cards)
        """Each patient's id, by number (the order they were read)."""
        self._groups: tuple[list[int], ...] = tuple([] for _ in range(8))
        """By code & 7: the four groups of those not archived, then of the archived."""
        self._order: dict[bool, list[int]] = {}
        self._search: list[str] | None = None
        self._number: dict[str, int] | None = None
        listed = records.listed  # their entries, kept by the index (the first patients read)
        self._code: list[int] = list(listed.codes)
        self._key: list[str] = list(listed.keys)
        stale = self._stale(len(listed))  # by number: those listed, then the rest
        self._code += [GONE] * (len(self.ids) - len(self._code))
        self._key += [""] * (len(self.ids) - len(self._key))
        if len(stale) <= FEW and self._lay_out(listed.order):
            for patient_id in stale:
                self.update(patient_id)
        else:
            self._sort(stale)

    def _lay_out(self, slots: list[int]) -> bool:
        """Put the patients the index lists in their groups as it keeps them (the numbers in
        the groups' order, `rows.in_list_order`), without sorting; False if they do not fit
        its entries."""
        group, start = (lambda n: self._code[n] & 7), 0
        try:
            for code, held in enumerate(self._groups):
                end = bisect_right(slots, code, start, key=group)
                held[:] = slots[start:end]
                start = end
        except (IndexError, TypeError):
            return False
        return start == len(slots)

    def _sort(self, stale: list[str]) -> None:
        """Make the entries of `stale` and put everyone in their groups, sorted."""
        for patient_id in stale:
            made = self._made(patient_id)
            number = self.number[patient_id]
            self._code[number], self._key[number] = made
        for group in self._groups:
            group.clear()
        adds = [group.append for group in self._groups] * 2
        for number, code in enumerate(self._code):
            adds[code](number)
        key = self._key.__getitem__
        for group in self._groups:  # numbered in order: the sorts keep that order for ties
            group.sort(key=key)

    def _stale(self, listed: int) -> list[str]:
        """The patients whose entry the index does not hold as it is now, in number order."""
        if listed == 0 or not self.standings.stored:
            return self.ids
        changed = self.records.changed_owners
        if changed:  # (the numbers of 20,000 patients are not made for none)
            number = self.number
            return sorted((p for p in changed if number.get(p, listed) < listed),
                          key=number.__getitem__) + self.ids[listed:]
        return self.ids[listed:]

    def _made(self, patient_id: str) -> tuple[int, str]:
        return entry(self.records.cards.data(patient_id), self.standings.data(patient_id))

    @property
    def number(self) -> dict[str, int]:
        """Each patient's number, by id (made when first asked for)."""
        if self._number is None:
            self._number = {patient_id: n for n, patient_id in enumerate(self.ids)}
        return self._number

    # -- after a save -------------------------------------------------------------------

    def update(self, patient_id: str) -> None:
        """One patient's card or standing changed (or they are new, or no longer a patient):
        move them to their new place."""
        number = self.number.setdefault(patient_id, len(self.ids))
        if number == len(self.ids):
            self.ids.append(patient_id)
            self._code.append(GONE)
            self._key.append("")
        elif self._code[number] != GONE:
            self._groups[self._code[number] & 7].remove(number)
        self._order.clear()
        if patient_id not in self.records.cards:
            self._code[number] = GONE
            return
        code, key = self._code[number], self._key[number] = self._made(patient_id)
        insort(self._groups[code & 7], number, key=lambda n: (self._key[n], n))
        if self._search is not None:
            self._search[number:number + 1] = [self._fold(number)]

    # -- the day's list -----------------------------------------------------------------

    def order(self, archived: bool = False) -> list[int]:
        """The patients (not archived, or the archived), most urgent first on `today`."""
        if archived not in self._order:
            started, unstarted, undated, held = self._groups[4 * archived:4 * archived + 4]
            keys = self._key
            soon = _after(self._day(max(self.due_soon_days, -1)))
            split = bisect_left(started, soon, key=keys.__getitem__)
            late = bisect_left(unstarted, soon, key=keys.__getitem__)
            urgent = started[:split] + unstarted[:late]
            if split and late:  # two runs by date: merged
                urgent.sort(key=lambda n: (keys[n], n))
            self._order[archived] = (urgent + started[split:] + unstarted[late:] + undated +
                                     held)
        return self._order[archived]

    def pool(self, quick: str) -> list[int]:
        """The patients a quick filter of the list shows (see tui/widgets/patient_list.py's
        `QUICK_FILTERS`, whose tests these are, written over the entries), in order."""
        if quick in ("all", "archived"):
            return self.order(quick == "archived")
        live, codes, keys = self.order(), self._code, self._key
        if quick == "week":
            week = self._day(WEEK)
            return [n for n in live if self._due_by(codes[n], keys[n], week)]
        if quick == "overdue":
            today = self._day(0)
            return [n for n in live if codes[n] & 3 < UNDATED and keys[n] < today]
        active = ACTIVE if quick == "active" else 0
        return [n for n in live if codes[n] & ACTIVE == active]

    def counts(self) -> dict[str, int]:
        """How many patients each quick filter shows, by halving the groups' dates."""
        started, unstarted, _undated, held = self._groups[:4]
        key = self._key.__getitem__
        today, week = self._day(0), self._day(WEEK)
        live = sum(map(len, self._groups[:4]))
        active = sum(map(self._code.count, range(ACTIVE, ACTIVE + 4)))
        held_this_week = sum(1 for n in held if self._due_by(HELD, self._key[n], week))
        return {"all": live, "week": bisect_left(started, _after(week), key=key) +
                bisect_left(unstarted, _after(week), key=key) + held_this_week,
                "overdue": bisect_left(started, today, key=key) +
                bisect_left(unstarted, today, key=key),
                "active": active, "paused": live - active,
                "archived": sum(map(len, self._groups[4:]))}

    def _day(self, ahead: int) -> str:
        return (self.today + timedelta(days=ahead)).isoformat()

    @staticmethod
    def _due_by(code: int, key: str, day: str) -> bool:
        """Whether a patient with this code and key has a next due date on or before `day`."""
        group = code & 3
        if group == HELD:
            return key[1] != LATEST and key[1:11] <= day
        return group != UNDATED and key[:10] <= day

    # -- one patient ----------------------------------------------------------------------

    def view(self, number: int) -> tuple[Card, schedule.Outlook]:
        """The card of patient `number` and where they stand on `today` (made now)."""
        patient_id = self.ids[number]
        return self.records.cards[patient_id], self.standings.get(patient_id).on(
            self.today, self.due_soon_days)

    def search_keys(self) -> list[str]:
        """What `/` matches of each patient, by number: the name and id, case-folded (made
        when first asked for: the first `/`, not the start)."""
        if self._search is None:
            self._search = [self._fold(n) for n in range(len(self.ids))]
        return self._search

    def _fold(self, number: int) -> str:
        """The name and id, case-folded: the name as the patient's entry holds it (after
        the date, if it has one), so `/` reads no patient's row of the index."""
        code, key = self._code[number], self._key[number]
        if code == GONE:
            return ""
        folded = key if code & 3 == UNDATED else key.partition("\0")[2]
        return f"{folded}\t{self.ids[number].casefold()}"


def _after(day: str) -> str:
    """Sorts after every key of a next due date on `day` (they begin with it), before the next."""
    return day + "\x01"
