"""What every command is given: which record file, which day, and how to open the store."""

from __future__ import annotations

import sys
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from mesotui.errors import MesoError
from mesotui.store import Store


@dataclass(frozen=True)
class Context:
    """What every command needs: which file, which day, and how to open the store."""

    db_path: Path
    today: date
    demo: bool = False
    view_only: bool = False

    def clock(self) -> datetime:
        """Now, moved to `today` when --today is given, so revision stamps agree with it."""
        now = datetime.now(UTC)
        if now.date() == self.today:
            return now
        return datetime.combine(self.today, now.timetz())

    def open_store(self, *, readonly: bool = False, read_ahead: bool = False) -> Store:
        """Open the record file; tell stderr, one line each, how it was read if it matters
        (an index that was ignored, say).

        Args:
            read_ahead: parse every patient's record while a thread checks the file's digest
                against its start-up index, instead of waiting for it first (a whole-clinic
                export's first step). What was parsed is dropped and the file read whole if
                the digest does not hold; either way the store is proven when returned.
        """
        store = Store.open(self.db_path, readonly=readonly, clock=self.clock,
                           prove=not read_ahead)
        if read_ahead:
            _read_while_proven(store)
        for note in store.notes:
            print(f"mesotui: note: {note}", file=sys.stderr)
        return store


def demo_store(path: Path, context: Context, patients: int = 36) -> Store:
    """Create the demo clinic at `path` as of the context's today, and open it."""
    from mesotui.demo import generate

    return generate(context.today, patients).load_into(Store.open(path, clock=context.clock))


def _read_while_proven(store: Store) -> None:
    try:
        if not store.proof_done and not store.prove(quick=True):  # the index's MAC holds
            with suppress(MesoError):  # said by the proof, if the index was wrong
                store.patients()
        store.prove()
    except BaseException:
        store.close()
        raise
