"""A store closed gives its memory back.

A view-only window opens the record file again at every save it follows, and the app reads
it again for each export: every store opened and closed in one process once stayed in
memory for good (the records are frozen out of the garbage collector's sight, and a store's
objects refer to one another), so a window left following a busy writer grew without end.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

from mesotui.demo import generate
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock


def _open_and_read(path: Path, clock: FixedClock) -> int:
    """Open the clinic, read every patient's sessions, close it; how much it held, open."""
    with Store.open(path, readonly=True, clock=clock) as store:
        read = [store.sessions_for(patient.id) for patient in store.patients()]
        held = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
    del read
    return held


def test_a_clinic_opened_and_closed_again_and_again_does_not_grow(
        tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "clinic.json"
    generate(TODAY).load_into(Store.open(path, clock=clock)).close()
    _open_and_read(path, clock)  # first use: modules, caches and interned names settle
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        one_store = _open_and_read(path, clock)
        for _ in range(12):
            _open_and_read(path, clock)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    held = one_store - before
    assert held > 100_000  # the record really was in memory while open (the test can fail)
    assert grown < held / 2, f"12 opens kept {grown:,} bytes; one open store holds {held:,}"
