"""Checking a record file's seal as it is read, and sealing a file for the first time.

Reading, the seal is checked as far as is cheap (the head's MAC, the journal's chained MACs,
the save number against the high-water mark; with a file read whole, every record against
the manifest) and what does not hold becomes a finding (mesotui/engine/manifest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mesotui.engine import keys, manifest
from mesotui.engine.image import Image
from mesotui.engine.keys import ClinicKey, HighWater
from mesotui.engine.layout import MANIFEST, Layout, Write
from mesotui.engine.manifest import FILE, Entry, Ledger, latest
from mesotui.engine.seal import Marked, Seal, State
from mesotui.errors import MesoError


def inspect(path: Path, image: Image, checkpoint_meta: dict[str, Any], marks: list[Marked],
            *, whole: bool, index_forged: bool = False, against_seen: bool = True,
            seen: tuple[int, str, str] | None = None) -> tuple[State, Seal | None]:
    """Check the seal of a record as loaded; return what was found, and the seal to save with
    (None when the file is unsealed, or its key is not on this machine).

    Args:
        checkpoint_meta: the checkpoint's meta table as read, before the journal's entries.
        marks: the journal's entries replayed over it.
        whole: every document of the checkpoint was parsed (it was not read through a proven
            index): then every record is compared with the manifest too.
        against_seen: compare its save number with the newest seen here (not for a backup
            about to be restored: it is older by design).
        seen: this machine's mark of the file as read *before* the file (`Loaded.seen`).
    """
    state = State()
    clinic = checkpoint_meta.get("clinic_id")
    ledger = state.ledger
    here = keys.sealed_at(path)
    if not isinstance(clinic, str):
        if here:
            ledger.add(FILE, "unsealed", manifest_seq(checkpoint_meta, marks))
        return state, None
    key = keys.load(clinic)
    if key is None and here and here != clinic and (held := keys.load(here)) is not None:
        # Not a lost key: the file names a clinic unknown here, at a path this machine sealed
        # as a clinic whose key it holds. Checked with that key, as what it claims to be.
        ledger.add(FILE, f"claims:it names {clinic[:12]}, sealed here as {here[:12]}",
                   manifest_seq(checkpoint_meta, marks))
        clinic, key = here, held
    state.clinic = clinic
    if key is None:
        state.status = "no-key"
        return state, None
    state.status = "sealed"
    head = checkpoint_meta.get("seal")
    if not isinstance(head, dict) or not {"seq", "count", "set", "mac"} <= set(head):
        seq = manifest_seq(checkpoint_meta, marks)
        ledger.add(FILE, "unsealed", seq)
        head = {"seq": 0, "count": 0, "set": "0" * 64, "mac": "", "findings": {}}
    else:
        # The save number is the one the MACs prove (the head's, then the journal's), never
        # the meta table's own `journal_seq`, which must agree with it.
        seq = marks[-1].seq if marks else _int(head["seq"])
        if head["mac"] != manifest.head_mac(key.secret, clinic,
                                            str(checkpoint_meta.get("checkpoint") or ""), head):
            ledger.add(FILE, "head", seq)
        elif (head.get("meta", manifest.meta_digest(checkpoint_meta))
              != manifest.meta_digest(checkpoint_meta)
              or checkpoint_meta.get("journal_seq") != head["seq"]):
            ledger.add(FILE, "meta", seq)
    sealed = dict(head.get("findings") or {})
    ledger.merge(head.get("findings"))
    chain, total, count = str(head["mac"]), _int(head["set"]), _int(head["count"])
    for number, marked in enumerate(marks, start=1):
        _content(ledger, marked.changes, marked.seq, image.layout)
        mark = marked.mark
        if not isinstance(mark, dict) or not isinstance(mark.get("mac"), str):
            ledger.add(FILE, f"journal:entry {number} carries no seal", marked.seq)
            _flag(ledger, marked.changes, "altered", marked.seq, image.layout)
            continue
        if mark["mac"] != manifest.entry_mac(key.secret, clinic, marked.seq,
                                             marked.checkpoint, chain, mark,
                                             marked.changes, image.layout):
            ledger.add(FILE, f"journal:entry {number}", marked.seq)
            _flag(ledger, marked.changes, "altered", marked.seq, image.layout)
        if isinstance(mark.get("find"), dict):
            sealed.update(mark["find"])
        ledger.merge(mark.get("find"))
        chain, total, count = mark["mac"], _int(mark.get("set")), _int(mark.get("count"))
    if against_seen:
        newest = keys.expected(path, clinic, seen)[0]
        if seq < newest:
            ledger.add(FILE, f"older:it holds saves up to #{seq}, #{newest} was seen", newest)
    if index_forged:
        ledger.add(FILE, "index", seq)
    table = _records_of(image)
    if whole:
        compare(key.secret, head, table, marks, image, ledger, seq)
    state.unsealed = sorted(set(ledger.found) - set(sealed))
    pending = [(t, doc) for m in marks for t, _d, doc in m.changes if t in image.layout.records]
    seal = Seal(key, image.layout, path, seq=seq, total=total, count=count, chain=chain,
                ledger=ledger, records=table, pending=pending)
    seal.carried = set(sealed)
    return state, seal


def compare(secret: bytes, head: dict[str, Any], table: Callable[[], dict[str, Entry]],
            marks: list[Marked], image: Image, ledger: Ledger, seq: int) -> None:
    """Every record of `image` (read whole) against the manifest: what is missing, altered,
    dropped or unsealed; and the list itself against its sealed set."""
    records = dict(table())
    if (manifest.set_of(secret, records) != _int(head["set"])
            or len(records) != _int(head["count"])):
        ledger.add(FILE, "list", seq)
    letters, owner = image.layout.records, image.layout.owner
    for marked in marks:
        for t, _doc_id, doc in marked.changes:
            if t in letters and (found := latest(doc, owner)):
                records[found.record] = found.entry(letters[t])
    held: set[str] = set()
    for t in letters:
        for doc in image.tables.get(t, {}).values():
            found = latest(doc, owner)
            if found is None:
                continue
            held.add(found.record)
            entry, patient = records.get(found.record), found.patient or found.record
            if entry is None:
                ledger.add(found.record, "added", seq, patient)
            elif found.number < entry[1]:
                ledger.add(found.record, f"dropped:{found.number} of {entry[1]} kept", seq,
                           patient)
            elif (found.number, found.head) != (entry[1], entry[2]) \
                    or not image.layout.intact(doc):
                ledger.add(found.record, "altered", seq, patient)
    for record, entry in records.items():
        if record not in held:
            ledger.add(record, "missing", seq, entry[3] if len(entry) > 3 and entry[3]
                       else record)


def manifest_seq(meta: dict[str, Any], marks: list[Marked]) -> int:
    if marks:
        return marks[-1].seq
    seq = meta.get("journal_seq", 0)
    return seq if isinstance(seq, int) else 0


def _records_of(image: Image) -> Callable[[], dict[str, Entry]]:
    def load() -> dict[str, Entry]:
        try:
            doc = image.doc(MANIFEST, "1")
        except (KeyError, ValueError):
            return {}
        records = doc.get("records") if isinstance(doc, dict) else None
        return records if isinstance(records, dict) else {}
    return load


def _content(ledger: Ledger, changes: list[Write], seq: int, layout: Layout) -> None:
    """A journal entry's records whose revisions do not hold the content they are hashed
    over (edited with their hashes left as they were)."""
    for table, _doc_id, doc in changes:
        if table in layout.records and not layout.intact(doc) \
                and (found := latest(doc, layout.owner)):
            ledger.add(found.record, "altered", seq, found.patient or found.record)


def _flag(ledger: Ledger, changes: list[Write], code: str, seq: int, layout: Layout) -> None:
    for table, _doc_id, doc in changes:
        if table in layout.records and (found := latest(doc, layout.owner)):
            ledger.add(found.record, code, seq, found.patient or found.record)


def _int(value: Any) -> int:
    try:
        return int(value, 16) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return -1


def fresh(path: Path, image: Image, key: ClinicKey, seq: int,
          ledger: Ledger | None = None) -> Seal:
    """A seal for a record never sealed before (a new clinic, an upgrade, a restored unsealed
    backup): its list made from the records it holds."""
    records: dict[str, Entry] = {}
    letters, owner = image.layout.records, image.layout.owner
    for table in letters:
        ids = image.doc_ids(table)
        for doc in image.docs(table, ids):
            if found := latest(doc, owner):
                records[found.record] = found.entry(letters[table])
    return Seal(key, image.layout, path, seq=seq, total=manifest.set_of(key.secret, records),
                count=len(records), chain="", ledger=ledger or Ledger(), records=lambda: records)


def open_seal(path: Path, loaded: Any) -> tuple[State, Seal | None]:
    """Check the seal of a record file as loaded (see `inspect`)."""
    image = loaded.image
    return inspect(path, image, loaded.checkpoint_meta, loaded.tail.marks,
                   whole=image.catalogue is None, index_forged=image.index_altered,
                   seen=loaded.seen)


def begin(path: Path, image: Image, state: State, seq: int,
          key: ClinicKey | None = None) -> Seal:
    """Seal a record file for the first time (a new clinic, or one made before seals): make
    its clinic key (or take `key`, a clinic's this file joins), and the list from the
    records it holds. The caller writes the checkpoint that carries it, and says so
    (`first_note`)."""
    key = key or keys.create()
    state.status, state.clinic = "sealed", key.clinic
    return fresh(path, image, key, seq, state.ledger)


def for_restore(path: Path, image: Image, state: State, clinic: str | None,
                seq: int) -> Seal | None:
    """The seal a restored record gets: its backup's list and findings carried (a backup
    altered outside mesotui stays flagged once restored), under a save number above any seen,
    so the restore is recorded, not mistaken for an older file put back. None when the clinic
    was never sealed.

    A backup that carries no seal, restored into a clinic sealed here, is sealed as it is but
    with a finding that stays: what it holds could not be checked (it may be from before
    seals, or a forgery with its seal stripped).

    Args:
        state: what `inspect` found of the backup.
        clinic: the clinic of the record file it replaces (None if unknown).

    Raises:
        MesoError: the backup is another clinic's, or this machine lacks the clinic key.
    """
    own = state.clinic or None
    clinic = clinic or keys.sealed_at(path)
    if clinic and own and own != clinic:
        raise MesoError("the backup belongs to another clinic (another clinic key); nothing "
                        "was changed")
    sealed_here = clinic is not None
    clinic = clinic or own
    if clinic is None:
        return None
    key = keys.load(clinic)
    if key is None:
        raise MesoError("this machine does not have the clinic key of this record file, so "
                        "the restored file could not be sealed; bring it with mesotui key "
                        "import FILE (nothing was changed)")
    high = HighWater(clinic, path)
    seq = max(seq, high.read()[0]) + 1
    high.close()
    if state.status != "sealed":  # a backup that carries no seal
        if sealed_here:
            state.ledger.add(FILE, "unchecked", seq)
        return fresh(path, image, key, seq, state.ledger)
    records = dict(_records_of(image)())
    return Seal(key, image.layout, path, seq=seq, total=manifest.set_of(key.secret, records),
                count=len(records), chain="", ledger=state.ledger, records=lambda: records)


# -- what the seals say, in words (plain text, record ids, never a name) ----------------

def first_note(path: Path, records: int) -> str:
    return (f"{path.name} is now sealed against changes made outside mesotui: its "
            f"{records} records were sealed with a new clinic key, kept in "
            f"{keys.keys_dir()}; keep a copy (mesotui key export FILE)")


def unsealable(state: State, path: Path) -> str | None:
    """Why saves cannot be sealed here, or None."""
    if state.status != "no-key":
        return None
    return (f"this machine does not have the clinic key {path.name} is sealed with; bring it "
            "with mesotui key import FILE (if it is lost for good: mesotui key new --reason R)")


def notes(state: State, path: Path) -> list[str]:
    if state.status == "no-key":
        return [f"{path.name} is sealed with a clinic key this machine does not have: its "
                "integrity cannot be checked here, and saves are refused until the key is "
                "imported (mesotui key import FILE), or a new one made if it is lost for good "
                "(mesotui key new --reason TEXT)"]
    return []
