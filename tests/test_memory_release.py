"""A store closed gives its memory back.

A view-only window opens the record file again at every save it follows, and the app reads
it again for each export: every store opened and closed in one process once stayed in
memory for good (the records are frozen out of the garbage collector's sight, and a store's
objects refer to one another), so a window left following a busy writer grew without end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MEASURE = """
import gc, sys, tracemalloc
from pathlib import Path
from mesotui.demo import generate
from mesotui.store import Store
from tests.conftest import TODAY, FixedClock

def open_and_read(path, clock):
    # Open the clinic, read every patient's sessions, close it; how much it held, open.
    with Store.open(path, readonly=True, clock=clock) as store:
        read = [store.sessions_for(patient.id) for patient in store.patients()]
        held = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
    del read
    return held

path, clock = Path(sys.argv[1]), FixedClock()
generate(TODAY).load_into(Store.open(path, clock=clock)).close()
open_and_read(path, clock)  # first use: modules, caches and interned names settle
tracemalloc.start()
gc.collect()
before = tracemalloc.get_traced_memory()[0]
one_store = open_and_read(path, clock)
for _ in range(12):
    open_and_read(path, clock)
gc.collect()
print(one_store - before, tracemalloc.get_traced_memory()[0] - before)
"""


def test_a_clinic_opened_and_closed_again_and_again_does_not_grow(tmp_path: Path) -> None:
    """Measured in a process of its own: the memory of one, whatever other tests leave
    running (a thread still reading a file of theirs would be counted here)."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, MESOTUI_KEYS=str(tmp_path / "keys"), PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / "clinic.json")],
                          capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    held, grown = map(int, done.stdout.split())
    assert held > 100_000  # the record really was in memory while open (the test can fail)
    assert grown < held / 2, f"12 opens kept {grown:,} bytes; one open store holds {held:,}"
