"""The record file's seal as it is read and saved: the manifest's state for one open file.

Reading, the seal is checked as far as is cheap (the head's MAC, the journal's chained MACs,
the save number against the high-water mark; with a file read whole, every record against
the manifest) and what does not hold becomes a finding. Saving, each journal entry carries
the new head, updated by what it changes, and each checkpoint the head and the list, with
every finding sealed in (mesotui/manifest.py has the scheme).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mesotui import clinickey, manifest
from mesotui.clinickey import ClinicKey, HighWater
from mesotui.image import Change, Image
from mesotui.manifest import FILE, MOD, TABLES, Entry, Ledger, latest, term


@dataclass
class Marked:
    """A journal entry as replayed: its number, checkpoint, changes and seal (None if none)."""

    seq: int
    checkpoint: str | None
    changes: list[Change]
    mark: dict[str, Any] | None


@dataclass
class State:
    """How far the record file's integrity can be told here, and what was found."""

    status: str = "unsealed"
    """sealed (checked with its key), no-key (sealed, key not on this machine), unsealed."""
    ledger: Ledger = field(default_factory=Ledger)
    clinic: str = ""

    @property
    def checkable(self) -> bool:
        return self.status == "sealed"


class Seal:
    """The manifest of one open, sealed record file, kept up to date by every save."""

    def __init__(self, key: ClinicKey, *, seq: int, total: int, count: int, chain: str,
                 ledger: Ledger, records: Callable[[], dict[str, Entry]],
                 pending: Iterable[tuple[str, Any]] = ()) -> None:
        self.key = key
        self.seq, self.total, self.count, self.chain = seq, total, count, chain
        self.ledger = ledger
        self._load = records
        self._records: dict[str, Entry] | None = None
        self._pending = list(pending)
        """(table, document) written since the checkpoint whose list is not loaded yet."""
        self.high = HighWater(key.clinic)

    def records(self) -> dict[str, Entry]:
        """The list as of now: the checkpoint's (parsed when first needed), updated since."""
        if self._records is None:
            records = dict(self._load())
            for table, doc in self._pending:
                if found := latest(doc):
                    records[found.record] = found.entry(table)
            self._records, self._pending = records, []
        return self._records

    def mark(self, seq: int, checkpoint: str | None, changes: list[Change]
             ) -> tuple[dict[str, Any], Callable[[], None]]:
        """The seal of a journal entry about to be written, and what to do once it is."""
        records = self.records()
        total, count = self.total, self.count
        find: dict[str, list[Any]] = {}
        updates: dict[str, Entry] = {}
        for table, _doc_id, doc in changes:
            found = latest(doc) if table in TABLES else None
            if found is None:
                continue
            old = updates.get(found.record) or records.get(found.record)
            new = found.entry(table)
            if old is None:
                count += 1
                if found.number > 1:  # saving over a record that was never sealed
                    find[found.record] = ["added", seq, found.patient or found.record]
            else:
                total -= term(self.key.secret, found.record, old)
                if found.number != old[1] + 1 or found.prev != old[2]:
                    code = "dropped" if found.number <= old[1] else "altered"
                    find[found.record] = [code, seq, found.patient or found.record]
            total += term(self.key.secret, found.record, new)
            updates[found.record] = new
        total %= MOD
        sealed: dict[str, Any] = {"set": f"{total:064x}", "count": count}
        if find:
            sealed["find"] = find
        sealed["mac"] = manifest.entry_mac(self.key.secret, self.key.clinic, seq, checkpoint,
                                           self.chain, sealed, changes)

        def written() -> None:
            records.update(updates)
            self.total, self.count, self.chain, self.seq = total, count, sealed["mac"], seq
            self.ledger.merge(find)
            self.high.raise_to(seq, sealed["mac"])

        return sealed, written

    def seal_checkpoint(self, image: Image, seq: int, token: str) -> Callable[[], None]:
        """Write the head and the list into `image` (a checkpoint about to be encoded),
        taking in every record written to it since the last one (imports, upgrades)."""
        records = dict(self.records())
        total, count = self.total, self.count
        for table, doc_id in sorted(image.changed):
            if table not in TABLES:
                continue
            found = latest(image.tables[table][doc_id])
            if found is None or records.get(found.record) == found.entry(table):
                continue
            if (old := records.get(found.record)) is not None:
                total -= term(self.key.secret, found.record, old)
            else:
                count += 1
            records[found.record] = found.entry(table)
            total += term(self.key.secret, found.record, records[found.record])
        total %= MOD
        head: dict[str, Any] = {"v": 1, "seq": seq, "count": count, "set": f"{total:064x}",
                                "findings": dict(self.ledger.found)}
        head["mac"] = manifest.head_mac(self.key.secret, self.key.clinic, token, head)
        meta = image.meta()
        meta["clinic_id"], meta["seal"] = self.key.clinic, head
        image.apply([("manifest", "1", {"records": records})])

        def written() -> None:
            self._records = records
            self.total, self.count, self.chain, self.seq = total, count, head["mac"], seq
            self.high.raise_to(seq, head["mac"])

        return written

    def close(self) -> None:
        self.high.close()


def inspect(path: Path, image: Image, checkpoint_meta: dict[str, Any], marks: list[Marked],
            *, whole: bool, index_forged: bool = False, against_seen: bool = True
            ) -> tuple[State, Seal | None]:
    """Check the seal of a record as loaded; return what was found, and the seal to save with
    (None when the file is unsealed, or its key is not on this machine).

    Args:
        checkpoint_meta: the checkpoint's meta table as read, before the journal's entries.
        marks: the journal's entries replayed over it.
        whole: every document of the checkpoint was parsed (it was not read through a proven
            index): then every record is compared with the manifest too.
        against_seen: compare its save number with the newest seen here (not for a backup
            about to be restored: it is older by design).
    """
    state = State()
    clinic = checkpoint_meta.get("clinic_id")
    ledger = state.ledger
    if not isinstance(clinic, str):
        if clinickey.sealed_at(path):
            ledger.add(FILE, "unsealed", manifest_seq(checkpoint_meta, marks))
        return state, None
    state.clinic = clinic
    key = clinickey.load(clinic)
    if key is None:
        state.status = "no-key"
        return state, None
    state.status = "sealed"
    head = checkpoint_meta.get("seal")
    seq = manifest_seq(checkpoint_meta, marks)
    if not isinstance(head, dict) or not {"seq", "count", "set", "mac"} <= set(head):
        ledger.add(FILE, "unsealed", seq)
        head = {"seq": 0, "count": 0, "set": "0" * 64, "mac": "", "findings": {}}
    elif head["mac"] != manifest.head_mac(key.secret, clinic,
                                          str(checkpoint_meta.get("checkpoint") or ""), head):
        ledger.add(FILE, "head", seq)
    ledger.merge(head.get("findings"))
    chain, total, count = str(head["mac"]), _int(head["set"]), _int(head["count"])
    for number, marked in enumerate(marks, start=1):
        sealed = marked.mark
        if not isinstance(sealed, dict) or not isinstance(sealed.get("mac"), str):
            ledger.add(FILE, f"journal:entry {number} carries no seal", marked.seq)
            _flag(ledger, marked.changes, "altered", marked.seq)
            continue
        if sealed["mac"] != manifest.entry_mac(key.secret, clinic, marked.seq,
                                               marked.checkpoint, chain, sealed,
                                               marked.changes):
            ledger.add(FILE, f"journal:entry {number}", marked.seq)
            _flag(ledger, marked.changes, "altered", marked.seq)
        ledger.merge(sealed.get("find"))
        chain, total, count = sealed["mac"], _int(sealed.get("set")), _int(sealed.get("count"))
    seen = HighWater(clinic).read()[0] if against_seen else 0
    if seq < seen and _newest(path) < seen:  # not a writer's save landing as we read
        ledger.add(FILE, f"older:it holds saves up to #{seq}, #{seen} was seen", seen)
    if index_forged:
        ledger.add(FILE, "index", seq)
    table = _records_of(image)
    if whole:
        compare(key.secret, head, table, marks, image, ledger, seq)
    pending = [(t, doc) for m in marks for t, _d, doc in m.changes if t in TABLES]
    return state, Seal(key, seq=seq, total=total, count=count, chain=chain, ledger=ledger,
                       records=table, pending=pending)


def compare(secret: bytes, head: dict[str, Any], table: Callable[[], dict[str, Entry]],
            marks: list[Marked], image: Image, ledger: Ledger, seq: int) -> None:
    """Every record of `image` (read whole) against the manifest: what is missing, altered,
    dropped or unsealed; and the list itself against its sealed set."""
    records = dict(table())
    if (manifest.set_of(secret, records) != _int(head["set"])
            or len(records) != _int(head["count"])):
        ledger.add(FILE, "list", seq)
    for marked in marks:
        for t, _doc_id, doc in marked.changes:
            if t in TABLES and (found := latest(doc)):
                records[found.record] = found.entry(t)
    held: set[str] = set()
    for t in TABLES:
        for doc in image.tables.get(t, {}).values():
            found = latest(doc)
            if found is None:
                continue
            held.add(found.record)
            entry, patient = records.get(found.record), found.patient or found.record
            if entry is None:
                ledger.add(found.record, "added", seq, patient)
            elif found.number < entry[1]:
                ledger.add(found.record, f"dropped:{found.number} of {entry[1]} kept", seq,
                           patient)
            elif (found.number, found.head) != (entry[1], entry[2]):
                ledger.add(found.record, "altered", seq, patient)
    for record, entry in records.items():
        if record not in held:
            ledger.add(record, "missing", seq, entry[3] if len(entry) > 3 and entry[3]
                       else record)


def _newest(path: Path) -> int:
    from mesotui.recordfile import newest_seq  # the reader of the file, which imports this

    return newest_seq(path)


def manifest_seq(meta: dict[str, Any], marks: list[Marked]) -> int:
    if marks:
        return marks[-1].seq
    seq = meta.get("journal_seq", 0)
    return seq if isinstance(seq, int) else 0


def _records_of(image: Image) -> Callable[[], dict[str, Entry]]:
    def load() -> dict[str, Entry]:
        try:
            doc = image.doc("manifest", "1")
        except (KeyError, ValueError):
            return {}
        records = doc.get("records") if isinstance(doc, dict) else None
        return records if isinstance(records, dict) else {}
    return load


def _flag(ledger: Ledger, changes: list[Change], code: str, seq: int) -> None:
    for table, _doc_id, doc in changes:
        if table in TABLES and (found := latest(doc)):
            ledger.add(found.record, code, seq, found.patient or found.record)


def _int(value: Any) -> int:
    try:
        return int(value, 16) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return -1


def fresh(image: Image, key: ClinicKey, seq: int, ledger: Ledger | None = None) -> Seal:
    """A seal for a record never sealed before (a new clinic, an upgrade, a restored unsealed
    backup): its list made from the records it holds."""
    records: dict[str, Entry] = {}
    for table in TABLES:
        for doc_id in image.doc_ids(table):
            if found := latest(image.doc(table, doc_id)):
                records[found.record] = found.entry(table)
    return Seal(key, seq=seq, total=manifest.set_of(key.secret, records), count=len(records),
                chain="", ledger=ledger or Ledger(), records=lambda: records)


def open_seal(path: Path, loaded: Any) -> tuple[State, Seal | None]:
    """Check the seal of a record file as loaded (see `inspect`)."""
    image = loaded.image
    return inspect(path, image, loaded.checkpoint_meta, loaded.tail.marks,
                   whole=image.catalogue is None, index_forged=image.index_altered)


def begin(path: Path, image: Image, state: State, seq: int) -> Seal:
    """Seal a record file for the first time (a new clinic, or one made before seals): make
    its clinic key, and the list from the records it holds. The caller writes the checkpoint
    that carries it, and says so (`first_note`)."""
    key = clinickey.create()
    state.status, state.clinic = "sealed", key.clinic
    return fresh(image, key, seq, state.ledger)


def for_restore(image: Image, state: State, clinic: str | None, seq: int) -> Seal | None:
    """The seal a restored record gets: its backup's list and findings carried (a backup
    altered outside mesotui stays flagged once restored), under a save number above any seen,
    so the restore is recorded, not mistaken for an older file put back. None when the clinic
    was never sealed.

    Raises:
        MesoError: the backup is another clinic's, or this machine lacks the clinic key.
    """
    from mesotui.errors import MesoError

    own = state.clinic or None
    if clinic and own and own != clinic:
        raise MesoError("the backup belongs to another clinic (another clinic key); nothing "
                        "was changed")
    clinic = clinic or own
    if clinic is None:
        return None
    key = clinickey.load(clinic)
    if key is None:
        raise MesoError("this machine does not have the clinic key of this record file, so "
                        "the restored file could not be sealed; bring it with mesotui key "
                        "import FILE (nothing was changed)")
    seq = max(seq, HighWater(clinic).read()[0]) + 1
    if state.status != "sealed":  # a backup from before seals: sealed now, as it is
        return fresh(image, key, seq, state.ledger)
    records = dict(_records_of(image)())
    return Seal(key, seq=seq, total=manifest.set_of(key.secret, records), count=len(records),
                chain="", ledger=state.ledger, records=lambda: records)
