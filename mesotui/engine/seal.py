"""The record file's seal as it is saved: the manifest's state for one open, sealed file.

Each journal entry carries the new head, updated by what it changes, and each checkpoint the
head and the list, with every finding sealed in (mesotui/engine/manifest.py has the scheme;
mesotui/engine/verify.py checks a file as it is read).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mesotui.engine import manifest
from mesotui.engine.image import Image
from mesotui.engine.keys import ClinicKey, HighWater
from mesotui.engine.layout import MANIFEST, Layout, Write
from mesotui.engine.manifest import MOD, Entry, Ledger, latest, term


@dataclass
class Marked:
    """A journal entry as replayed: its number, checkpoint, changes and seal (None if none)."""

    seq: int
    checkpoint: str | None
    changes: list[Write]
    mark: dict[str, Any] | None


@dataclass
class State:
    """How far the record file's integrity can be told here, and what was found."""

    status: str = "unsealed"
    """sealed (checked with its key), no-key (sealed, key not on this machine), unsealed."""
    ledger: Ledger = field(default_factory=Ledger)
    clinic: str = ""
    unsealed: list[str] = field(default_factory=list)
    """Findings made by this read that no seal of the file carries yet: until a save seals
    them in, the file must be read whole again (no start-up index may skip them)."""

    @property
    def checkable(self) -> bool:
        return self.status == "sealed"


class Seal:
    """The manifest of one open, sealed record file, kept up to date by every save."""

    def __init__(self, key: ClinicKey, layout: Layout, path: Path, *, seq: int, total: int,
                 count: int,
                 chain: str, ledger: Ledger, records: Callable[[], dict[str, Entry]],
                 pending: Iterable[tuple[str, Any]] = ()) -> None:
        self.key, self.layout = key, layout
        self.seq, self.total, self.count, self.chain = seq, total, count, chain
        self.ledger = ledger
        self._load = records
        self._records: dict[str, Entry] | None = None
        self._pending = list(pending)
        """(table, document) written since the checkpoint whose list is not loaded yet."""
        self.high = HighWater(key.clinic, path)
        self.carried: set[str] = set()
        """Findings some seal of the file already carries; the next save seals the rest."""

    def records(self) -> dict[str, Entry]:
        """The list as of now: the checkpoint's (parsed when first needed), updated since."""
        if self._records is None:
            records = dict(self._load())
            for table, doc in self._pending:
                if found := latest(doc, self.layout.owner):
                    records[found.record] = found.entry(self.layout.records[table])
            self._records, self._pending = records, []
        return self._records

    def mark(self, seq: int, checkpoint: str | None, changes: list[Write],
             replaced: Collection[str] = ()) -> tuple[dict[str, Any], Callable[[], None]]:
        """The seal of a journal entry about to be written, and what to do once it is.

        Args:
            replaced: records whose version is replaced whole, not grown by one revision (a
                version pulled from another replica of the clinic, verified there): sealed
                as they now stand, with no finding.
        """
        records, letters, owner = self.records(), self.layout.records, self.layout.owner
        total, count = self.total, self.count
        find: dict[str, list[Any]] = {}
        updates: dict[str, Entry] = {}
        for table, _doc_id, doc in changes:
            found = latest(doc, owner) if table in letters else None
            if found is None:
                continue
            old = updates.get(found.record) or records.get(found.record)
            new = found.entry(letters[table])
            if old is None:
                count += 1
                if found.number > 1 and found.record not in replaced:
                    find[found.record] = ["added", seq, found.patient or found.record]
            else:
                total -= term(self.key.secret, found.record, old)
                if found.record not in replaced and (found.number != old[1] + 1
                                                     or found.prev != old[2]):
                    code = "dropped" if found.number <= old[1] else "altered"
                    find[found.record] = [code, seq, found.patient or found.record]
            total += term(self.key.secret, found.record, new)
            updates[found.record] = new
        total %= MOD
        for record, value in self.ledger.found.items():  # found at the open: sealed now
            if record not in self.carried and record not in find:
                find[record] = value
        sealed: dict[str, Any] = {"set": f"{total:064x}", "count": count}
        if find:
            sealed["find"] = find
        sealed["mac"] = manifest.entry_mac(self.key.secret, self.key.clinic, seq, checkpoint,
                                           self.chain, sealed, changes, self.layout)

        def written() -> None:
            records.update(updates)
            self.total, self.count, self.chain, self.seq = total, count, sealed["mac"], seq
            self.ledger.merge(find)
            self.carried.update(find)
            self.high.raise_to(seq, sealed["mac"])

        return sealed, written

    def seal_checkpoint(self, image: Image, seq: int, token: str) -> Callable[[], None]:
        """Write the head and the list into `image` (a checkpoint about to be encoded),
        taking in every record written to it since the last one (imports, upgrades)."""
        records = dict(self.records())
        letters, owner = self.layout.records, self.layout.owner
        total, count = self.total, self.count
        for table, doc_id in sorted(image.changed):
            if table not in letters:
                continue
            found = latest(image.tables[table][doc_id], owner)
            if found is None or records.get(found.record) == found.entry(letters[table]):
                continue
            if (old := records.get(found.record)) is not None:
                total -= term(self.key.secret, found.record, old)
            else:
                count += 1
            records[found.record] = found.entry(letters[table])
            total += term(self.key.secret, found.record, records[found.record])
        total %= MOD
        meta = image.meta()
        meta["clinic_id"] = self.key.clinic
        head: dict[str, Any] = {"v": 2, "seq": seq, "count": count, "set": f"{total:064x}",
                                "findings": dict(self.ledger.found),
                                "meta": manifest.meta_digest(meta)}
        head["mac"] = manifest.head_mac(self.key.secret, self.key.clinic, token, head)
        meta["seal"] = head
        image.apply([(MANIFEST, "1", {"records": records})])

        def written() -> None:
            self._records = records
            self.total, self.count, self.chain, self.seq = total, count, head["mac"], seq
            self.carried = set(head["findings"])
            self.high.raise_to(seq, head["mac"])

        return written

    def close(self) -> None:
        self.high.close()
