"""The patients the start-up index lists: the patient list's entries, which its head keeps
(read at every start), and each patient's row (card, standing, where their sessions' rows
are), read from its line of the index when first asked for.

A group's 20,000 rows were parsed before its list could show, though it draws forty. The
head holds only what lays the list out (each patient's id and `rows.entry`, and where their
row is); the rows are kept in the list's order, so the forty it shows first are in a line or
two.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from mesotui.engine.checkpoint import no_gc

if TYPE_CHECKING:
    from mesotui.engine.index import Catalogue


class Listed:
    """The patient list's entries as the start-up index's head keeps them: what a start lays
    the list out from (mesotui/clinic/listing.py) before any patient's row is read.

    Attributes:
        ids: each patient's id, by number (the order they were read).
        codes, keys: each patient's `entry`, by number.
        places: where each patient's row is among the index's rows (in the list's order).
        order: the numbers in the list's groups' order: `places` turned round.
    """

    __slots__ = ("ids", "codes", "keys", "places", "order")

    def __init__(self, ids: list[str], codes: list[int], keys: list[str], places: list[int],
                 order: list[int]) -> None:
        self.ids, self.codes, self.keys, self.places, self.order = ids, codes, keys, places, \
            order

    def __len__(self) -> int:
        return len(self.ids)


NOT_LISTED = Listed([], [], [], [], [])


def listed_head(table: str, rows: list[list[Any]]) -> dict[str, list[Any]] | None:
    """What the start-up index's head keeps of the patients' rows (in the list's order,
    `in_list_order`): the columns of `Listed`."""
    if table != "patients":
        return None
    ids, codes, keys, places = [""] * len(rows), [0] * len(rows), [""] * len(rows), \
        [0] * len(rows)
    for place, row in enumerate(rows):
        number = row[-1]
        ids[number], codes[number], keys[number], places[number] = row[0], row[-3], \
            row[-2], place
    return {"ids": ids, "codes": codes, "keys": keys, "places": places,
            "order": [row[-1] for row in rows]}


def listed_of(head: Any) -> Listed:
    """The `Listed` of the index's head (`listed_head`). Raises ValueError when it does not
    read (the index is damaged: it was sealed, so only this code could have written it)."""
    if head is None:
        return NOT_LISTED
    try:
        listed = Listed(*(head[column] for column in ("ids", "codes", "keys", "places",
                                                      "order")))
    except (KeyError, TypeError):
        raise ValueError("the index's list of patients does not read") from None
    if not all(type(column) is list and len(column) == len(listed.ids)
               for column in (listed.codes, listed.keys, listed.places, listed.order)):
        raise ValueError("the index's list of patients does not read")
    return listed


def read_head(table: str, head: Any) -> Any:
    """Check the head as `rows.read_row` checks a row: each entry's code and the date its key
    begins with (asked only of an index whose MAC fails, to tell damage from alteration).
    Raises ValueError (or TypeError) when it does not read."""
    if table != "patients":
        return head
    listed = listed_of(head)
    for code, key in zip(listed.codes, listed.keys, strict=True):
        if type(code) is not int or not 0 <= code < 16 or type(key) is not str:
            raise TypeError("not an entry of the list")
        day = key[1:11] if code & 3 == 3 else key[:10] if code & 3 < 2 else ""
        if day and day[0] != "~":
            date.fromisoformat(day)
    if sorted(listed.order) != list(range(len(listed))) or \
            sorted(listed.places) != list(range(len(listed))):
        raise ValueError("not the list's order")
    return head


class Indexed:
    """The patients one start-up index lists, and their rows as they are read."""

    def __init__(self, damaged: Callable[[], None]) -> None:
        """`damaged` is told when a line of rows does not read (and then reads the file
        whole: the index's damage, not the record's)."""
        self.listed = NOT_LISTED
        self._damaged = damaged
        self.rows: dict[str, list[Any]] = {}
        """The index's rows of the patients (`rows.read_row`), by id, as they are read."""
        self.numbers: dict[str, int] = {}
        """Each listed patient's number, by id."""
        self._catalogue: Catalogue | None = None

    def load(self, catalogue: Catalogue | None) -> None:
        """The patients `catalogue` lists (none without an index).

        Raises:
            ValueError: its head does not read (the index is damaged).
        """
        self.release()
        self.listed = listed_of(catalogue.heads.get("patients")) if catalogue else NOT_LISTED
        self.numbers = dict(zip(self.listed.ids, range(len(self.listed)), strict=True))
        self._catalogue = catalogue

    def release(self) -> None:
        self.listed, self.numbers, self._catalogue = NOT_LISTED, {}, None
        self.rows.clear()

    def took(self, rows: list[list[Any]]) -> None:
        """A line of the patients' rows was read."""
        self.rows.update((row[0], row) for row in rows)

    def fetch(self, patient_id: str | None) -> None:
        """Read the line holding the patient's row (None: every line not read yet), if the
        index lists them; each line read comes back through `took`."""
        if self._catalogue is None:
            return
        try:
            with no_gc(freeze=True):  # rows that live as long as the store
                if patient_id is None:
                    self._catalogue.read_all("patients")
                elif (number := self.number(patient_id)) is not None:
                    self._catalogue.read_rows("patients", self.listed.places[number], 1)
        except (ValueError, KeyError, TypeError, IndexError):
            self._damaged()

    def row(self, patient_id: str) -> list[Any] | None:
        """The index's row of the patient, read now if need be (None: it lists no such)."""
        row = self.rows.get(patient_id)
        if row is None and self.number(patient_id) is not None:
            self.fetch(patient_id)
            row = self.rows.get(patient_id)
        return row

    def number(self, patient_id: str) -> int | None:
        """The patient's number among those the index lists (None: not listed there)."""
        return self.numbers.get(patient_id)
