"""Every patient's card, each made from its row of the start-up index when first asked for.

A group's 20,000 cards were built before its list could show, though the list draws forty;
`Cards` is the dict of cards it always was to its callers (membership, validation, exports
see every patient), only a card not yet asked for is still its row's data, or not even read:
a start knows every patient's id from the index's head, and reads the line of rows holding a
patient's when their card is first asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping, ValuesView
from typing import Any

from mesotui.clinic.rows import card_of
from mesotui.models import Card


class Cards(MutableMapping[str, Card]):
    """Patient id to card, in the order the patients were read (new ones last).

    Args:
        fetch: reads the start-up index's row of one patient (None: of every patient not read
            yet), which comes back through `take`.
    """

    def __init__(self, fetch: Callable[[str | None], None]) -> None:
        self.held: dict[str, Card | list[Any] | int] = {}
        """Each patient's card, or their row of the start-up index until first asked for
        (their number among the index's patients until that is read)."""
        self._fetch = fetch
        self._unread = False

    def expect(self, numbers: Mapping[str, int]) -> None:
        """The patients the index lists (by id, their number), their rows read when first
        asked for."""
        self.held.update(numbers)
        self._unread = bool(self.held)

    def take(self, rows: list[list[Any]]) -> None:
        """Hold these patients' rows of the index (`[patient id, card, ...]`), unless a card
        made since took their place; their cards are made when asked for."""
        held, int_ = self.held, int
        for row in rows:
            if type(held.get(row[0])) is int_:
                held[row[0]] = row

    def _held(self, patient_id: str) -> Card | list[Any]:
        held = self.held[patient_id]
        if type(held) is int:
            self._fetch(patient_id)
            held = self.held[patient_id]
            if type(held) is int:
                raise KeyError(f"the index has no row of {patient_id}")
        return held  # type: ignore[return-value]

    def data(self, patient_id: str) -> list[Any]:
        """A card's data (`Card.to_data`), without making the card."""
        held = self._held(patient_id)
        return held[1] if type(held) is list else held.to_data()  # type: ignore[union-attr]

    def __getitem__(self, patient_id: str) -> Card:
        held = self._held(patient_id)
        if type(held) is list:
            held = self.held[patient_id] = card_of(patient_id, held[1])
        return held  # type: ignore[return-value]

    def __setitem__(self, patient_id: str, card: Card) -> None:
        self.held[patient_id] = card

    def __delitem__(self, patient_id: str) -> None:
        del self.held[patient_id]

    def __contains__(self, patient_id: object) -> bool:
        return patient_id in self.held

    def __iter__(self) -> Iterator[str]:
        return iter(self.held)

    def __len__(self) -> int:
        return len(self.held)

    def values(self) -> ValuesView[Card]:  # type: ignore[override]
        """Every card, made at once (one pass, not a lookup per patient)."""
        if self._unread:
            self._fetch(None)
            self._unread = False
        held = self.held
        for patient_id, card in held.items():
            if type(card) is list:
                held[patient_id] = card_of(patient_id, card[1])
            elif type(card) is int:
                raise KeyError(f"the index has no row of {patient_id}")
        return held.values()  # type: ignore[return-value]

    def items(self):  # type: ignore[no-untyped-def, override]
        self.values()
        return self.held.items()

    def clear(self) -> None:
        self.held.clear()
        self._unread = False
