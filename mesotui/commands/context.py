"""What every command is given: which record file, which day, and how to open the store."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

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

    def open_store(self, *, readonly: bool = False) -> Store:
        """Open the record file; tell stderr, one line each, how it was read if it matters
        (an index that was ignored, say)."""
        store = Store.open(self.db_path, readonly=readonly, clock=self.clock)
        for note in store.notes:
            print(f"mesotui: note: {note}", file=sys.stderr)
        return store


def demo_store(path: Path, context: Context, patients: int = 36) -> Store:
    """Create the demo clinic at `path` as of the context's today, and open it."""
    from mesotui.demo import generate

    return generate(context.today, patients).load_into(Store.open(path, clock=context.clock))
